#include <wayhome/router/schema.hpp>

namespace wayhome::services {

const store::ModuleSchema& routerSchema() {
  static const store::ModuleSchema kSchema{
      "router",
      {
          {1, "router: processed events, consent register, referrals waiting for consent",
           "CREATE TABLE router_processed ("
           "  event_id TEXT PRIMARY KEY, processed_ms INTEGER NOT NULL) WITHOUT ROWID;"
           "CREATE TABLE router_consents ("
           "  consent_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,"
           "  to_sectors TEXT NOT NULL, purpose TEXT NOT NULL, valid_until TEXT NOT NULL,"
           "  withdrawn INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
           "CREATE INDEX router_consents_person ON router_consents(person_ref, from_sector, "
           "purpose);"
           "CREATE TABLE router_pending ("
           "  referral_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,"
           "  to_sector TEXT NOT NULL, purpose TEXT NOT NULL, rule_id TEXT NOT NULL,"
           "  source_event_id TEXT NOT NULL, topic TEXT NOT NULL, msg_key TEXT NOT NULL,"
           "  due TEXT NOT NULL, data TEXT NOT NULL, fields TEXT NOT NULL,"
           "  status TEXT NOT NULL, consent_id TEXT);"
           "CREATE INDEX router_pending_person ON router_pending(person_ref, status);",
           4},
          {2, "router: each referral's lifecycle (acknowledged, closed, escalated)",
           "CREATE TABLE router_referrals ("
           "  referral_id TEXT PRIMARY KEY, sector TEXT NOT NULL, person_ref TEXT,"
           "  rule_id TEXT NOT NULL, due_by_ms INTEGER, state TEXT NOT NULL,"
           "  created_ms INTEGER NOT NULL, acknowledged_ms INTEGER, closed_ms INTEGER,"
           "  escalated_ms INTEGER) WITHOUT ROWID;"
           "CREATE INDEX router_referrals_due ON router_referrals(due_by_ms)"
           "  WHERE state = 'open' AND escalated_ms IS NULL;",
           9},
          {3, "router: referrals deferred to a day (refer with at), until made or stopped",
           "CREATE TABLE router_deferred ("
           "  case_id TEXT NOT NULL, series TEXT NOT NULL, fire_date TEXT NOT NULL,"
           "  fire_at_ms BIGINT NOT NULL, reason TEXT NOT NULL, housing_contact_id TEXT NOT NULL,"
           "  referral_id TEXT NOT NULL, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,"
           "  to_sector TEXT NOT NULL, purpose TEXT NOT NULL, rule_id TEXT NOT NULL,"
           "  source_event_id TEXT NOT NULL, topic TEXT NOT NULL, msg_key TEXT NOT NULL,"
           "  due TEXT NOT NULL, data TEXT NOT NULL, fields TEXT NOT NULL, state TEXT NOT NULL,"
           "  PRIMARY KEY (case_id, series));"
           "CREATE INDEX router_deferred_due ON router_deferred(state, fire_at_ms);"},
          {4, "router: referrals waiting for consent keep their order without SQLite's rowid",
           "ALTER TABLE router_pending ADD COLUMN queued_seq INTEGER NOT NULL DEFAULT 0;"
           "UPDATE router_pending SET queued_seq = rowid;",
           0, "ALTER TABLE router_pending ADD COLUMN queued_seq BIGINT NOT NULL DEFAULT 0;"},
      },
      // Processed ids outlive the source topics' records (state.retention_days), so a
      // redelivered event still finds its own; closed referrals are history.
      {{"router_processed", "event_id", "processed_ms"},
       {"router_referrals", "referral_id", "closed_ms"}}};
  return kSchema;
}

}  // namespace wayhome::services
