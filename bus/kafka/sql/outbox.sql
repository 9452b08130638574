-- The tables of the outbox of events accepted for the bus, and how far the relay has read.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "outbox"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @step 1 (legacy 2): outbox of events accepted for the bus
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  msg_key TEXT NOT NULL,
  headers BLOB NOT NULL,
  value BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  published_ms INTEGER,
  failed TEXT);
CREATE INDEX outbox_pending ON outbox(seq) WHERE published_ms IS NULL AND failed IS NULL;
CREATE TABLE relay_offsets (
  topic TEXT NOT NULL, part INTEGER NOT NULL, last_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, part)) WITHOUT ROWID;
