#include <map>

#include <rapidjson/document.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/router/lifecycle.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/router/time_math.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "json_out.hpp"

namespace wayhome::services::router {
namespace {

using store::Statement;

constexpr std::string_view kCreated = "referral.created.v1";
constexpr std::string_view kAcknowledged = "referral.acknowledged.v1";
constexpr std::string_view kClosed = "referral.closed.v1";

std::int64_t millis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || !it->value.IsString()
             ? std::string()
             : std::string(it->value.GetString(), it->value.GetStringLength());
}

bus::OutboxEvent routerEvent(std::string id, std::string topic, std::string type,
                             std::string subject, std::string data, Clock::TimePoint now) {
  bus::OutboxEvent e;
  e.topic = std::move(topic);
  e.event.id = std::move(id);
  e.event.source = kRouterSource;
  e.event.type = std::move(type);
  e.event.time = formatRfc3339(now);
  e.event.subject = std::move(subject);
  e.event.data = std::move(data);
  return e;
}

}  // namespace

void trackCreated(store::Connection& db, const std::vector<bus::OutboxEvent>& outputs,
                  Clock::TimePoint now) {
  Statement insert(db,
                   "INSERT INTO router_referrals(referral_id, sector, person_ref, "
                   "rule_id, due_by_ms, state, created_ms) VALUES(?, ?, ?, ?, ?, 'open', ?) ON "
                   "CONFLICT DO NOTHING;");
  for (const auto& o : outputs) {
    if (o.event.type != kCreated) continue;
    rapidjson::Document d;
    if (schemas::parseJson(d, o.event.data) || !d.IsObject()) continue;
    const auto due = scheduler::parseRfc3339(str(d, "due_by"));
    insert.reset();
    insert.bind(1, str(d, "referral_id")).bind(2, str(d, "to_sector"));
    const std::string person = str(d, "person_ref");
    if (person.empty())
      insert.bindNull(3);
    else
      insert.bind(3, person);
    insert.bind(4, str(d, "rule_id"));
    if (due)
      insert.bind(5, millis(*due));
    else
      insert.bindNull(5);
    insert.bind(6, millis(now));
    insert.run();
  }
}

bool isLifecycleEvent(const bus::CloudEvent& event) {
  return event.type == kAcknowledged || event.type == kClosed;
}

bool isOwnReferralOutput(const bus::CloudEvent& event) {
  return event.source == kRouterSource && event.type.starts_with("referral.");
}

bool applyLifecycle(store::Connection& db, const bus::CloudEvent& event, Clock::TimePoint now) {
  rapidjson::Document d;
  (void)schemas::parseJson(d, event.data);  // validated by the caller
  const std::string id = str(d, "referral_id");
  const std::string sector = str(d, "sector");
  {
    Statement known(db, "SELECT sector FROM router_referrals WHERE referral_id = ?;");
    known.bind(1, id);
    if (known.step() && known.columnText(0) != sector) return false;
  }
  // Monotonic: a late acknowledgement never reopens a closed referral.
  Statement st(db, event.type == kClosed
                       ? "UPDATE router_referrals SET state = 'closed', closed_ms = "
                         "COALESCE(closed_ms, ?1), acknowledged_ms = COALESCE(acknowledged_ms, "
                         "?1) WHERE referral_id = ?2;"
                       : "UPDATE router_referrals SET state = CASE WHEN state = 'closed' THEN "
                         "'closed' ELSE 'acknowledged' END, acknowledged_ms = "
                         "COALESCE(acknowledged_ms, ?1) WHERE referral_id = ?2;");
  st.bind(1, millis(now)).bind(2, id);
  st.run();
  if (db.changes() == 0) {
    log::info("router", "lifecycle event for a referral this router did not make",
              {{"referral_id", id}, {"type", event.type}});
  }
  return true;
}

std::vector<bus::OutboxEvent> escalateOverdue(store::Connection& db, Clock::TimePoint now,
                                              const bus::Topics& topics, std::size_t limit) {
  std::vector<bus::OutboxEvent> out;
  Statement due(db,
                "SELECT referral_id, sector, person_ref, rule_id, due_by_ms FROM router_referrals "
                "WHERE state = 'open' AND escalated_ms IS NULL AND due_by_ms < ? "
                "ORDER BY due_by_ms LIMIT ?;");
  due.bind(1, millis(now)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::string> escalated;
  while (due.step()) {
    const std::string id = due.columnText(0);
    const std::string sector = due.columnText(1);
    const std::string person = due.columnIsNull(2) ? std::string() : due.columnText(2);
    const std::string rule = due.columnText(3);
    const Clock::TimePoint dueBy{std::chrono::milliseconds(due.columnInt(4))};
    JsonObject data;
    data.set("referral_id", id)
        .setIf("person_ref", person)
        .set("to_sector", sector)
        .set("due_by", formatRfc3339(dueBy))
        .set("escalated_at", formatRfc3339(now))
        .setIf("rule_id", rule);
    const std::string subject = person.empty() ? id : person;
    out.push_back(routerEvent("esc-" + digest(id), topics.referrals(sector),
                              "referral.escalated.v1", subject, data.text(), now));
    bus::audit::Record audit;
    audit.id = "aud-esc-" + digest(id);
    audit.source = kRouterSource;
    audit.service = "router";
    audit.decidedAt = now;
    audit.personRef = person;
    audit.subject = subject;
    bus::audit::Entry e;
    e.decision = "referral_escalated";
    e.ruleId = rule;
    e.referralId = id;
    e.toSector = sector;
    e.topic = topics.referrals(sector);
    e.outputId = "esc-" + digest(id);
    e.detail = "not acknowledged by its due time " + formatRfc3339(dueBy);
    audit.decisions.push_back(std::move(e));
    out.push_back({topics.auditDecisions(), bus::audit::event(audit)});
    escalated.push_back(id);
  }
  Statement mark(db, "UPDATE router_referrals SET escalated_ms = ? WHERE referral_id = ?;");
  for (const auto& id : escalated) {
    mark.reset();
    mark.bind(1, millis(now)).bind(2, id);
    mark.run();
    log::info("router", "referral escalated: not acknowledged by its due time",
              {{"referral_id", id}});
  }
  return out;
}

void registerReferralMetrics(Metrics& metrics, store::StateStore& state, const Clock& clock,
                             const std::vector<std::string>& sectors) {
  metrics.addCollector(
      "wayhome_referrals", "Referrals this router made, per sector and state.", "gauge", [&state] {
        return countsInStore(state,
                             "SELECT sector, state, COUNT(*) FROM router_referrals GROUP BY "
                             "sector, state ORDER BY sector, state;",
                             {"sector", "state"});
      });
  metrics.addCollector(
      "wayhome_referrals_overdue",
      "Referrals not acknowledged by their due time (escalated), per sector.", "gauge",
      [&state, &clock, sectors] {
        std::map<std::string, double> bySector;
        for (const auto& s : sectors)
          bySector[s] = 0;
        state.transaction([&](store::Connection& db) {
          Statement st(db,
                       "SELECT sector, COUNT(*) FROM router_referrals WHERE state = 'open' AND "
                       "due_by_ms < ? GROUP BY sector;");
          st.bind(1, millis(clock.now()));
          while (st.step())
            bySector[st.columnText(0)] = static_cast<double>(st.columnInt(1));
        });
        std::vector<Metrics::Sample> out;
        for (const auto& [sector, n] : bySector)
          out.push_back({{{"sector", sector}}, n});
        return out;
      });
  metrics.addCollector("wayhome_referrals_escalated_total",
                       "Referrals escalated since the store was made.", "counter", [&state] {
                         return countsInStore(
                             state,
                             "SELECT sector, COUNT(*) FROM router_referrals WHERE escalated_ms "
                             "IS NOT NULL GROUP BY sector ORDER BY sector;",
                             {"sector"});
                       });
}

}  // namespace wayhome::services::router
