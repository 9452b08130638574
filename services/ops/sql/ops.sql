-- The tables of the ops API: what operators did with dead letters.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "ops"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @retain dlq_actions | dlq_id | at_ms

-- @step 1 (legacy 6): what operators did with dead letters
CREATE TABLE dlq_actions (
  dlq_id TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms INTEGER NOT NULL) WITHOUT ROWID;
