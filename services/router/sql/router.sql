-- The tables of the router: events processed, the consent register, referrals and their lifecycle.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "router"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- Processed ids outlive the source topics' records (state.retention_days), so a
-- redelivered event still finds its own; closed referrals, ended consents, and
-- referrals made or stopped (waiting for a consent or for their day) are history.
-- A consent still valid, or a referral still waiting, stays however old.
-- @retain router_processed | event_id | processed_ms
-- @retain router_referrals | referral_id | closed_ms
-- @retain router_consents | consent_id | ended_ms | ended_ms > 0
-- @retain router_pending | referral_id | ended_ms | status <> 'waiting' AND ended_ms > 0
-- @retain router_deferred | case_id, series | fire_at_ms | state <> 'waiting'

-- @step 1 (legacy 4): router: processed events, consent register, referrals waiting for consent
CREATE TABLE router_processed (
  event_id TEXT PRIMARY KEY, processed_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE router_consents (
  consent_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,
  to_sectors TEXT NOT NULL, purpose TEXT NOT NULL, valid_until TEXT NOT NULL,
  withdrawn INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX router_consents_person ON router_consents(person_ref, from_sector, purpose);
CREATE TABLE router_pending (
  referral_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,
  to_sector TEXT NOT NULL, purpose TEXT NOT NULL, rule_id TEXT NOT NULL,
  source_event_id TEXT NOT NULL, topic TEXT NOT NULL, msg_key TEXT NOT NULL,
  due TEXT NOT NULL, data TEXT NOT NULL, fields TEXT NOT NULL,
  status TEXT NOT NULL, consent_id TEXT);
CREATE INDEX router_pending_person ON router_pending(person_ref, status);

-- @step 2 (legacy 9): router: each referral's lifecycle (acknowledged, closed, escalated)
CREATE TABLE router_referrals (
  referral_id TEXT PRIMARY KEY, sector TEXT NOT NULL, person_ref TEXT,
  rule_id TEXT NOT NULL, due_by_ms INTEGER, state TEXT NOT NULL,
  created_ms INTEGER NOT NULL, acknowledged_ms INTEGER, closed_ms INTEGER,
  escalated_ms INTEGER) WITHOUT ROWID;
CREATE INDEX router_referrals_due ON router_referrals(due_by_ms)
  WHERE state = 'open' AND escalated_ms IS NULL;

-- @step 3: router: referrals deferred to a day (refer with at), until made or stopped
CREATE TABLE router_deferred (
  case_id TEXT NOT NULL, series TEXT NOT NULL, fire_date TEXT NOT NULL,
  fire_at_ms BIGINT NOT NULL, reason TEXT NOT NULL, housing_contact_id TEXT NOT NULL,
  referral_id TEXT NOT NULL, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,
  to_sector TEXT NOT NULL, purpose TEXT NOT NULL, rule_id TEXT NOT NULL,
  source_event_id TEXT NOT NULL, topic TEXT NOT NULL, msg_key TEXT NOT NULL,
  due TEXT NOT NULL, data TEXT NOT NULL, fields TEXT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (case_id, series));
CREATE INDEX router_deferred_due ON router_deferred(state, fire_at_ms);

-- @step 4: router: referrals waiting for consent keep their order without SQLite's rowid
ALTER TABLE router_pending ADD COLUMN queued_seq INTEGER NOT NULL DEFAULT 0;
UPDATE router_pending SET queued_seq = rowid;
-- @postgres
ALTER TABLE router_pending ADD COLUMN queued_seq BIGINT NOT NULL DEFAULT 0;

-- Rows from before: a consent ends the day after its last valid day; one withdrawn,
-- and a waiting referral already decided, end now.
-- @step 5: router: when a consent ended (expired or withdrawn) and a waiting referral was made or stopped, so the retention can forget them
ALTER TABLE router_consents ADD COLUMN ended_ms INTEGER NOT NULL DEFAULT 0;
UPDATE router_consents SET ended_ms = CASE WHEN withdrawn <> 0
  THEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
  ELSE COALESCE(CAST((julianday(valid_until) + 1 - 2440587.5) * 86400000 AS INTEGER),
    0) END;
ALTER TABLE router_pending ADD COLUMN ended_ms INTEGER NOT NULL DEFAULT 0;
UPDATE router_pending SET ended_ms =
  CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE status <> 'waiting';
-- @postgres
ALTER TABLE router_consents ADD COLUMN ended_ms BIGINT NOT NULL DEFAULT 0;
UPDATE router_consents SET ended_ms = CASE WHEN withdrawn <> 0
  THEN (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
  WHEN valid_until ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
  THEN (EXTRACT(EPOCH FROM (valid_until::date + 1)::timestamp) * 1000)::BIGINT
  ELSE 0 END;
ALTER TABLE router_pending ADD COLUMN ended_ms BIGINT NOT NULL DEFAULT 0;
UPDATE router_pending SET ended_ms = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
  WHERE status <> 'waiting';

-- Each referral that waits for consent takes MAX(queued_seq) + 1: without an index a
-- scan of every row, so the router slowed down as referrals waited (a third of its CPU
-- in the router bench, issue 17).
-- @step 6: router: the order of referrals waiting for consent indexed
CREATE INDEX router_pending_seq ON router_pending(queued_seq);
