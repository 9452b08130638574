-- The tables of reports: facts kept from events, and reports published.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "reports"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @step 1: reports: one fact per consumed event id; published reports as published
CREATE TABLE reports_facts (
  event_id TEXT PRIMARY KEY, type TEXT NOT NULL, at_ms BIGINT NOT NULL,
  month TEXT NOT NULL, entity TEXT NOT NULL, person_ref TEXT NOT NULL,
  fields TEXT NOT NULL, stored_ms BIGINT NOT NULL);
CREATE INDEX reports_facts_at ON reports_facts(at_ms);
CREATE INDEX reports_facts_month ON reports_facts(month, type);
CREATE TABLE reports_published (
  period TEXT PRIMARY KEY, published_ms BIGINT NOT NULL, report TEXT NOT NULL);
