-- The tables of the scheduler: meetings, their notices, requests seen, referrals followed.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "scheduler"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @retain scheduler_requests | request_id | at_ms
-- @retain scheduler_notices | event_id | sent_ms
-- @retain scheduler_referrals | referral_id | updated_ms | state = 'closed'

-- @step 1 (legacy 5): scheduler: meetings with their notice timers, requests seen, notices sent
CREATE TABLE scheduler_meetings (
  meeting_id TEXT PRIMARY KEY,
  series_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  case_id TEXT NOT NULL,
  person_ref TEXT,
  participants TEXT NOT NULL,
  title TEXT NOT NULL,
  place TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  source_event_id TEXT NOT NULL,
  start_s INTEGER NOT NULL,
  end_s INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  status TEXT NOT NULL,
  notify_at_s INTEGER,
  remind_at_s INTEGER,
  notified_sequence INTEGER NOT NULL DEFAULT -1,
  agenda TEXT,
  stamp_s INTEGER NOT NULL);
CREATE INDEX scheduler_meetings_case ON scheduler_meetings(case_id);
CREATE INDEX scheduler_meetings_person ON scheduler_meetings(person_ref);
CREATE INDEX scheduler_meetings_start ON scheduler_meetings(start_s);
CREATE INDEX scheduler_meetings_notify ON scheduler_meetings(notify_at_s)
  WHERE notify_at_s IS NOT NULL;
CREATE INDEX scheduler_meetings_remind ON scheduler_meetings(remind_at_s)
  WHERE remind_at_s IS NOT NULL;
CREATE TABLE scheduler_requests (
  request_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE scheduler_notices (
  event_id TEXT PRIMARY KEY,
  meeting_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  notice TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  UNIQUE (meeting_id, sequence, notice)) WITHOUT ROWID;
CREATE TABLE scheduler_referrals (
  referral_id TEXT PRIMARY KEY,
  sector TEXT NOT NULL,
  due_by_s INTEGER,
  state TEXT NOT NULL,
  updated_ms INTEGER NOT NULL) WITHOUT ROWID;

-- @step 2: scheduler: whether a meeting was held (the meetings API)
CREATE TABLE scheduler_meeting_held (
  meeting_id TEXT PRIMARY KEY,
  held BIGINT NOT NULL,
  recorded_by TEXT NOT NULL,
  recorded_ms BIGINT NOT NULL);
