-- The tables of delivery: the webhook queue.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "delivery"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @retain delivery_queue | seq | updated_ms | state IN ('delivered', 'dead')

-- @step 1 (legacy 8): delivery: webhook deliveries, from intake to delivered or dead
CREATE TABLE delivery_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription TEXT NOT NULL,
  event_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  record_key BLOB NOT NULL,
  headers BLOB NOT NULL,
  payload BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (subscription, event_id));
CREATE INDEX delivery_queue_due ON delivery_queue(subscription, next_attempt_ms)
  WHERE state = 'pending';
CREATE INDEX delivery_queue_done ON delivery_queue(updated_ms) WHERE state <> 'pending';
