-- The tables of the GERICA connector: the receipts of messages answered.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "gerica"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @retain gerica_receipts | instance, message_key | at_ms

-- @step 1 (legacy 7): gerica: the receipt (AppRec) of every message answered, for re-sent messages
CREATE TABLE gerica_receipts (
  instance TEXT NOT NULL,
  message_key TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  receipt TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (instance, message_key)) WITHOUT ROWID;
CREATE INDEX gerica_receipts_at ON gerica_receipts(at_ms);
