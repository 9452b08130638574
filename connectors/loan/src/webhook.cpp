#include <array>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/formats.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/connectors/settings.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "loan_settings_schema.hpp"  // generated from settings.schema.json: kLoanSettingsSchema

namespace wayhome::connectors::loan {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// The id shape of the canonical schemas: ^[A-Za-z0-9._:-]+$, 1 to 128 characters.
bool isIdText(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

enum class Kind { kId, kDate, kAmount, kDays, kText, kOutcome };

struct FieldSpec {
  std::string_view name;
  Kind kind;
  bool required;
};

struct TypeSpec {
  std::string_view type;       // webhook type
  std::string_view canonical;  // CloudEvents type
  std::vector<FieldSpec> fields;
};

const std::vector<TypeSpec>& typeSpecs() {
  static const std::vector<TypeSpec> kSpecs{
      {"application_submitted",
       "loan.application_submitted.v1",
       {{"application_id", Kind::kId, true},
        {"amount_asked_nok", Kind::kAmount, true},
        {"submitted_date", Kind::kDate, true}}},
      {"application_decided",
       "loan.application_decided.v1",
       {{"application_id", Kind::kId, true},
        {"outcome", Kind::kOutcome, true},
        {"decided_date", Kind::kDate, true},
        {"amount_nok", Kind::kAmount, false},
        {"valid_until", Kind::kDate, false},
        {"appeal_deadline", Kind::kDate, false},
        {"rejection_reason", Kind::kText, false}}},
      {"disbursed",
       "loan.disbursed.v1",
       {{"loan_id", Kind::kId, true},
        {"disbursed_date", Kind::kDate, true},
        {"amount_nok", Kind::kAmount, false},
        {"application_id", Kind::kId, false}}},
      {"instalment_missed",
       "loan.instalment_missed.v1",
       {{"loan_id", Kind::kId, true},
        {"days_overdue", Kind::kDays, true},
        {"amount_nok", Kind::kAmount, true},
        {"due_date", Kind::kDate, false}}},
  };
  return kSpecs;
}

constexpr std::string_view kNinField = "national_identity_number";

Error fieldError(std::string_view path, std::string_view problem) {
  std::string m(path);
  m += ": ";
  m += problem;
  return Error::permanent(std::move(m));
}

// Checks one data field and appends it to the canonical JSON (`out` already holds
// "{...,"). Returns the problem, or nothing.
std::optional<std::string> checkField(const FieldSpec& spec, const rapidjson::Value& v,
                                      std::string& out) {
  auto appendName = [&] {
    out += ',';
    schemas::appendJsonString(out, spec.name);
    out += ':';
  };
  switch (spec.kind) {
    case Kind::kAmount:
    case Kind::kDays: {
      if (!v.IsNumber())
        return "must be an integer, got " + std::string(v.IsString() ? "a string" : "another type");
      if (!v.IsInt64()) return std::string("must be a whole number");
      const std::int64_t n = v.GetInt64();
      const std::int64_t max = spec.kind == Kind::kAmount ? 100000000 : 3650;
      if (n < 1 || n > max) return "must be from 1 to " + std::to_string(max);
      appendName();
      out += std::to_string(n);
      return std::nullopt;
    }
    default:
      break;
  }
  if (!v.IsString()) return std::string("must be a string");
  const std::string_view s(v.GetString(), v.GetStringLength());
  switch (spec.kind) {
    case Kind::kId:
      if (!isIdText(s)) return std::string("must be 1 to 128 of A-Z a-z 0-9 . _ : -");
      if (hasIdentityNumberShape(s)) {
        return std::string("must not hold an 11-digit run (identity numbers go in " +
                           std::string(kNinField) + " only)");
      }
      break;
    case Kind::kDate:
      if (!isIsoDate(s)) return std::string("must be a date YYYY-MM-DD");
      break;
    case Kind::kText:
      if (s.empty() || s.size() > 500) return std::string("must be 1 to 500 characters");
      if (hasIdentityNumberShape(s)) {
        return std::string("must not hold an 11-digit run (identity numbers go in " +
                           std::string(kNinField) + " only)");
      }
      break;
    case Kind::kOutcome:
      if (s != "granted" && s != "rejected") return std::string("must be granted or rejected");
      break;
    default:
      break;
  }
  appendName();
  schemas::appendJsonString(out, s);
  return std::nullopt;
}

// Rules of a decision the schema cannot say: what a grant and a rejection carry.
std::optional<Error> checkDecision(const rapidjson::Value& data) {
  const std::string_view outcome = data["outcome"].GetString();
  auto has = [&](const char* name) { return data.HasMember(name); };
  if (outcome == "granted") {
    if (!has("amount_nok")) return fieldError("data.amount_nok", "is required when granted");
    if (!has("valid_until")) return fieldError("data.valid_until", "is required when granted");
    if (has("appeal_deadline"))
      return fieldError("data.appeal_deadline", "is only for a rejection");
    if (has("rejection_reason"))
      return fieldError("data.rejection_reason", "is only for a rejection");
  } else {
    if (!has("appeal_deadline"))
      return fieldError("data.appeal_deadline", "is required when rejected");
    if (has("amount_nok")) return fieldError("data.amount_nok", "is only for a grant");
    if (has("valid_until")) return fieldError("data.valid_until", "is only for a grant");
  }
  return std::nullopt;
}

// A second member of the same name is refused: readers disagree on which one wins.
std::optional<Error> duplicateMember(const rapidjson::Value& object, std::string_view prefix) {
  std::set<std::string_view> seen;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (!seen.insert(name).second) {
      return fieldError(std::string(prefix) + std::string(name), "appears more than once");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view loanSettingsSchema() {
  return kLoanSettingsSchema;
}

LoanSettings parseLoanSettings(const std::string& instanceName, std::string_view settingsJson) {
  rapidjson::Document d;
  readSettings(d, settingsJson, instanceName);
  LoanSettings s;
  auto optional = [&](const char* key) -> std::optional<std::string> {
    if (!d.HasMember(key) || !d[key].IsString()) return std::nullopt;
    return std::string(d[key].GetString(), d[key].GetStringLength());
  };
  s.secret = loadSecret(instanceName, optional("secret"), optional("secret_file"));
  using schemas::memberInt;
  s.maxClockSkew = std::chrono::seconds(memberInt(d, "max_clock_skew_s", s.maxClockSkew.count()));
  s.maxBodyBytes = static_cast<std::size_t>(
      memberInt(d, "max_body_bytes", static_cast<std::int64_t>(s.maxBodyBytes)));
  s.retryAfter = std::chrono::seconds(memberInt(d, "retry_after_s", s.retryAfter.count()));
  return s;
}

Result<LoanWebhook> parseLoanWebhook(std::string_view body, const PersonRefFn& personRef) {
  rapidjson::Document d;
  // Iterative and depth-capped: hostile nesting cannot exhaust the stack.
  if (auto bad = schemas::parseJson(d, body)) return Error::permanent("body: " + bad->message);
  if (d.IsArray()) {
    return Error::permanent(
        "body: a batch (JSON array) is not accepted; send one event per request");
  }
  if (!d.IsObject()) return Error::permanent("body: must be a JSON object");
  if (auto dup = duplicateMember(d, "")) return *dup;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name != "id" && name != "type" && name != "occurred_at" && name != "data") {
      return fieldError(
          std::string(hasIdentityNumberShape(name) ? "(a name with an 11-digit run)" : name),
          "is not a field of the loan webhook");
    }
  }
  auto str = [&](const char* name) -> std::optional<std::string_view> {
    auto it = d.FindMember(name);
    if (it == d.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string_view(it->value.GetString(), it->value.GetStringLength());
  };
  for (const char* name : {"id", "type", "occurred_at"}) {
    if (!d.HasMember(name)) return fieldError(name, "is required");
    if (!d[name].IsString()) return fieldError(name, "must be a string");
  }
  const std::string_view id = *str("id");
  if (!isIdText(id)) return fieldError("id", "must be 1 to 128 of A-Z a-z 0-9 . _ : -");
  if (hasIdentityNumberShape(id)) return fieldError("id", "must not hold an 11-digit run");
  const std::string_view type = *str("type");
  const TypeSpec* spec = nullptr;
  for (const auto& s : typeSpecs()) {
    if (s.type == type) spec = &s;
  }
  if (spec == nullptr) {
    return fieldError("type",
                      "unknown; expected application_submitted, application_decided, "
                      "disbursed or instalment_missed");
  }
  const std::string_view occurredAt = *str("occurred_at");
  if (!isRfc3339(occurredAt)) {
    return fieldError("occurred_at", "must be an RFC 3339 date-time, e.g. 2026-09-01T10:15:00Z");
  }
  if (!d.HasMember("data")) return fieldError("data", "is required");
  const auto& data = d["data"];
  if (!data.IsObject()) return fieldError("data", "must be an object");
  if (auto dup = duplicateMember(data, "data.")) return *dup;
  for (auto it = data.MemberBegin(); it != data.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    bool known = name == kNinField;
    for (const auto& f : spec->fields)
      known = known || f.name == name;
    if (!known) {
      return fieldError(
          "data." +
              std::string(hasIdentityNumberShape(name) ? "(a name with an 11-digit run)" : name),
          "is not a field of " + std::string(type));
    }
  }

  auto nin = data.FindMember("national_identity_number");
  if (nin == data.MemberEnd()) return fieldError("data.national_identity_number", "is required");
  if (!nin->value.IsString())
    return fieldError("data.national_identity_number", "must be a string");
  auto ref = personRef(std::string_view(nin->value.GetString(), nin->value.GetStringLength()));
  if (!ref) return fieldError("data.national_identity_number", ref.error().message);

  std::string out = "{\"person_ref\":";
  schemas::appendJsonString(out, ref.value());
  for (const auto& f : spec->fields) {
    auto it = data.FindMember(rapidjson::StringRef(f.name.data(), f.name.size()));
    if (it == data.MemberEnd()) {
      if (f.required) return fieldError("data." + std::string(f.name), "is required");
      continue;
    }
    if (auto problem = checkField(f, it->value, out)) {
      return fieldError("data." + std::string(f.name), *problem);
    }
  }
  out += '}';
  if (spec->type == "application_decided") {
    if (auto bad = checkDecision(data)) return *bad;
  }
  LoanWebhook w;
  w.id = std::string(id);
  w.type = std::string(type);
  w.event.type = std::string(spec->canonical);
  w.event.subject = std::move(ref.value());
  w.event.data = std::move(out);
  w.event.time = std::string(occurredAt);
  return w;
}

}  // namespace wayhome::connectors::loan
