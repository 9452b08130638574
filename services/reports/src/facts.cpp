#include <algorithm>
#include <array>

#include <rapidjson/document.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/reports/facts.hpp>
#include <wayhome/reports/period.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/store/columns.hpp>

#include "reports_sql.hpp"  // generated from sql/reports.sql: kReportsTables

namespace wayhome::reports {
namespace {

using namespace std::chrono;

// Per counted type: where its time is ("" = ce_time), what it is about, and the
// fields the figures read (never free text).
struct TypeSpec {
  std::string_view type;
  std::string_view timeField;
  std::string_view keyField;
  std::vector<std::string_view> fields;
};

const std::vector<TypeSpec>& typeSpecs() {
  static const std::vector<TypeSpec> kSpecs{
      {"tenancy.contract_signed.v1",
       "start_date",
       "contract_id",
       {"start_date", "scheduled_end_date", "fixed_term", "housing_contact_id",
        "guidance_folder_handed_over"}},
      {"tenancy.contract_renewed.v1",
       "",
       "contract_id",
       {"new_scheduled_end_date", "previous_scheduled_end_date"}},
      {"tenancy.contract_terminated.v1", "end_date", "contract_id", {"end_date", "reason"}},
      {"tenancy.rent_arrears.v1", "", "contract_id", {}},
      {"tenancy.arrears_cleared.v1", "", "contract_id", {}},
      {"referral.created.v1",
       "created_at",
       "referral_id",
       {"to_sector", "reason", "rule_id", "created_at", "due_by"}},
      {"referral.acknowledged.v1", "at", "referral_id", {"at"}},
      {"referral.closed.v1", "at", "referral_id", {"at"}},
      {"referral.escalated.v1", "escalated_at", "referral_id", {"to_sector"}},
      {"referral.consent_needed.v1", "", "referral_id", {}},
      {"consent.granted.v1", "granted_at", "consent_id", {}},
      {"consent.withdrawn.v1", "withdrawn_at", "consent_id", {}},
      {"loan.application_submitted.v1", "submitted_date", "application_id", {}},
      {"loan.application_decided.v1", "decided_date", "application_id", {"outcome", "amount_nok"}},
      {"loan.disbursed.v1", "disbursed_date", "loan_id", {}},
      {"loan.instalment_missed.v1", "", "loan_id", {}},
      {"meeting.notice.v1", "", "meeting_id", {"kind", "case_id", "start", "status"}},
      {"meeting.held.v1", "start", "meeting_id", {"held", "start"}},
      {"housing.application_approved.v1", "approved_date", "application_id", {"approved_date"}},
      {"housing.unit_allocated.v1", "allocated_date", "application_id", {"allocated_date"}},
      {"housing.waiting_plan_recorded.v1", "plan_date", "application_id", {}},
      {"care.individual_plan_updated.v1", "updated_at", "plan_id", {}},
  };
  return kSpecs;
}

const TypeSpec* specOf(std::string_view type) {
  for (const auto& s : typeSpecs()) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

std::optional<std::string> scalar(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return std::string(v.GetBool() ? "true" : "false");
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return std::nullopt;
}

std::string fieldsJson(const std::map<std::string, std::string>& fields) {
  std::string out = "{";
  for (const auto& [k, v] : fields) {
    if (out.size() > 1) out += ',';
    schemas::appendJsonString(out, k);
    out += ':';
    schemas::appendJsonString(out, v);
  }
  return out + "}";
}

std::map<std::string, std::string> parseFields(const std::string& text) {
  std::map<std::string, std::string> out;
  rapidjson::Document d;
  if (schemas::parseJson(d, text) || !d.IsObject()) return out;
  for (const auto& m : d.GetObject()) {
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  }
  return out;
}

}  // namespace

const std::string& Fact::field(const std::string& name) const {
  static const std::string kEmpty;
  auto it = fields.find(name);
  return it == fields.end() ? kEmpty : it->second;
}

std::optional<std::int64_t> Fact::timeField(const std::string& name) const {
  auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  return parseTimeMs(it->second);
}

std::optional<std::int64_t> parseTimeMs(std::string_view text) {
  if (text.size() == 10) {
    auto day = scheduler::parseDate(text);
    if (!day) return std::nullopt;
    return osloMidnightMs(*day);
  }
  auto t = scheduler::parseRfc3339(text);
  if (!t) return std::nullopt;
  return duration_cast<milliseconds>(t->time_since_epoch()).count();
}

bool isReportedType(std::string_view type) {
  return specOf(type) != nullptr;
}

Result<std::optional<Fact>> factFromEvent(const bus::CloudEvent& event) {
  const TypeSpec* spec = specOf(event.type);
  if (spec == nullptr) return std::optional<Fact>{};
  rapidjson::Document data;
  if (auto bad = schemas::parseJson(data, event.data)) {
    return Error::permanent("data: " + bad->message);
  }
  if (!data.IsObject()) return Error::permanent("data: must be a JSON object");
  Fact f;
  f.eventId = event.id;
  f.type = event.type;
  for (auto name : spec->fields) {
    auto it = data.FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (it == data.MemberEnd()) continue;
    if (auto v = scalar(it->value)) f.fields[std::string(name)] = *v;
  }
  if (!spec->keyField.empty()) {
    auto it = data.FindMember(rapidjson::StringRef(spec->keyField.data(), spec->keyField.size()));
    if (it == data.MemberEnd() || !it->value.IsString()) {
      return Error::permanent("/" + std::string(spec->keyField) + ": missing or not a string");
    }
    f.key = it->value.GetString();
  }
  if (auto it = data.FindMember("person_ref"); it != data.MemberEnd() && it->value.IsString()) {
    f.person = it->value.GetString();
  }
  std::string timeText = event.time;
  std::string timeName = "ce_time";
  if (!spec->timeField.empty()) {
    timeName = "/" + std::string(spec->timeField);
    auto it = data.FindMember(rapidjson::StringRef(spec->timeField.data(), spec->timeField.size()));
    timeText = it != data.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    if (timeText.empty() && event.type == "meeting.held.v1") {
      timeText = event.time;  // issue 15 may not name the field; fall back to ce_time
      timeName = "ce_time";
    }
  }
  auto at = parseTimeMs(timeText);
  if (!at) return Error::permanent(timeName + ": missing or not a date or RFC 3339 time");
  f.atMs = *at;
  return std::optional<Fact>{std::move(f)};
}

const store::ModuleSchema& reportsSchema() {
  static const auto kSchema = store::parseModuleSchema("reports", kReportsTables);
  return kSchema;
}

std::size_t storeFacts(store::Connection& db, const std::vector<Fact>& facts, std::int64_t nowMs) {
  store::Statement seen(db, "SELECT 1 FROM reports_facts WHERE event_id = ?;");
  store::Statement insert(db,
                          "INSERT INTO reports_facts(event_id, type, at_ms, month, entity, "
                          "person_ref, fields, stored_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT(event_id) DO NOTHING;");
  std::size_t fresh = 0;
  for (const auto& f : facts) {
    seen.reset();
    seen.bind(1, f.eventId);
    if (seen.step()) continue;
    const auto month = Period::monthOf(sys_seconds{seconds{f.atMs / 1000}}).label();
    insert.reset();
    insert.bind(1, f.eventId)
        .bind(2, f.type)
        .bind(3, f.atMs)
        .bind(4, month)
        .bind(5, f.key)
        .bind(6, f.person)
        .bind(7, fieldsJson(f.fields))
        .bind(8, nowMs);
    insert.run();
    ++fresh;
  }
  return fresh;
}

std::vector<Fact> loadFacts(store::StateStore& state, std::int64_t beforeMs) {
  std::vector<Fact> out;
  state.transaction([&](store::Connection& db) {
    out.clear();
    store::Statement st(db,
                        "SELECT event_id, type, at_ms, entity, person_ref, fields FROM "
                        "reports_facts WHERE at_ms < ? ORDER BY at_ms, event_id;");
    st.bind(1, beforeMs);
    while (st.step()) {
      Fact f;
      store::readColumns(st, 0, f.eventId, f.type, f.atMs, f.key, f.person);
      f.fields = parseFields(st.columnText(5));
      out.push_back(std::move(f));
    }
  });
  return out;
}

}  // namespace wayhome::reports
