-- The tables of the identity vault: sealed identity numbers by person_ref.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "identity_vault"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @step 1: identity vault: identity numbers sealed with AES-256-GCM, by person_ref
CREATE TABLE identity_vault (
  person_ref TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  seen_ms BIGINT NOT NULL);
CREATE INDEX identity_vault_seen ON identity_vault(seen_ms);
