-- The tables of the Plania connector: what it saw last, its watermarks and the waiting list.
-- Compiled in (wayhome_embed) and applied by StateStore::migrate() under the module
-- name "plania"; the format is at parseModuleSchema() in wayhome/store/state_store.hpp.
-- A released step never changes: add a step.

-- @step 1 (legacy 3): plania: last seen state per record and poll watermark per entity
CREATE TABLE plania_seen (
  instance TEXT NOT NULL, entity TEXT NOT NULL, record_id TEXT NOT NULL,
  state_json TEXT NOT NULL, updated TEXT NOT NULL,
  PRIMARY KEY (instance, entity, record_id)) WITHOUT ROWID;
CREATE INDEX plania_seen_area ON plania_seen(
  instance, entity, json_extract(state_json, '$.areaId'));
CREATE TABLE plania_watermark (
  instance TEXT NOT NULL, entity TEXT NOT NULL, updated TEXT NOT NULL,
  PRIMARY KEY (instance, entity)) WITHOUT ROWID;
-- PostgreSQL reads the JSON with its own operator (and indexes the same one).
-- @postgres
CREATE TABLE plania_seen (
  instance TEXT NOT NULL, entity TEXT NOT NULL, record_id TEXT NOT NULL,
  state_json TEXT NOT NULL, updated TEXT NOT NULL,
  PRIMARY KEY (instance, entity, record_id));
CREATE INDEX plania_seen_area ON plania_seen(
  instance, entity, (state_json::jsonb ->> 'areaId'));
CREATE TABLE plania_watermark (
  instance TEXT NOT NULL, entity TEXT NOT NULL, updated TEXT NOT NULL,
  PRIMARY KEY (instance, entity));

-- @step 2: plania: the waiting list (approved applications without a unit), for reports
CREATE TABLE plania_waiting_list (
  instance TEXT NOT NULL, application_id TEXT NOT NULL, approved_date TEXT NOT NULL,
  PRIMARY KEY (instance, application_id));
