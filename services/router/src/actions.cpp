// The actions a rule can run. Adding one: a class and a factory here and one line in
// registerBuiltinActions().

#include <regex>

#include <wayhome/router/rules.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "json_out.hpp"

namespace wayhome::services::router {
namespace {

std::string str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

const rapidjson::Value& required(const rapidjson::Value& spec, const char* key,
                                 const ParseContext& at) {
  auto it = spec.FindMember(key);
  if (it == spec.MemberEnd()) at.fail(std::string("/") + key, "required");
  return it->value;
}

std::string requiredString(const rapidjson::Value& spec, const char* key, const ParseContext& at) {
  const auto& v = required(spec, key, at);
  if (!v.IsString()) at.fail(std::string("/") + key, "must be a string");
  return str(v);
}

constexpr const char* kSectorPattern = "^[a-z][a-z0-9_]{0,31}$";

std::string sector(const rapidjson::Value& spec, const char* key, const ParseContext& at) {
  const std::string s = requiredString(spec, key, at);
  if (s.starts_with("/")) {
    // A field of the event names the sector (referrals other services ask for): its
    // schema must allow sectors only: an enum of configured ones, or the sector-name
    // pattern (then the router checks the value against the configured set per event).
    const auto& schema = at.field(std::string("/") + key, s);
    auto pattern = schema.FindMember("pattern");
    if (pattern != schema.MemberEnd() && pattern->value.IsString() &&
        str(pattern->value) == kSectorPattern) {
      return s;
    }
    auto e = schema.FindMember("enum");
    if (e == schema.MemberEnd() || !e->value.IsArray() || e->value.Empty()) {
      at.fail(std::string("/") + key, "field " + s +
                                          " must be an enum of sectors or have the "
                                          "sector pattern " +
                                          kSectorPattern);
    }
    for (const auto& v : e->value.GetArray()) {
      if (!v.IsString() || !at.isSector(str(v))) {
        at.fail(std::string("/") + key,
                "field " + s + " allows \"" + (v.IsString() ? str(v).substr(0, 40) : "?") +
                    "\", which is not a configured sector (configured: " + at.sectorList() + ")");
      }
    }
    return s;
  }
  if (!at.isSector(s)) {
    at.fail(std::string("/") + key,
            "\"" + s.substr(0, 40) +
                "\" is not a configured sector (configured: " + at.sectorList() + ")");
  }
  return s;
}

/// A value from the enum of `property` in `type`'s schema, or fails.
std::string enumValue(const rapidjson::Value& spec, const char* key, const ParseContext& at,
                      const std::string& type, const std::string& property) {
  const std::string v = requiredString(spec, key, at);
  const auto* schema = at.registry().find(type);
  if (schema != nullptr) {
    rapidjson::Document d;
    (void)schemas::parseJson(d, schema->text());  // null when unreadable: no enum found
    const auto* e = rapidjson::Pointer(("/properties/" + property + "/enum").c_str()).Get(d);
    if (e != nullptr && e->IsArray()) {
      for (const auto& x : e->GetArray()) {
        if (x.IsString() && str(x) == v) return v;
      }
      at.fail(std::string("/") + key,
              "\"" + v.substr(0, 40) + "\" is not one of " + schemas::jsonText(*e));
    }
  }
  return v;
}

Duration duration(const rapidjson::Value& v, const std::string& sub, const ParseContext& at) {
  if (!v.IsString()) at.fail(sub, "must be a string: an ISO 8601 duration (\"P14D\") or \"<n>WD\"");
  auto d = parseDuration(str(v));
  if (!d) {
    at.fail(sub,
            "\"" + str(v).substr(0, 40) +
                "\" is not an ISO 8601 duration (\"P14D\", \"-P6M\") or working days (\"2WD\")");
  }
  return *d;
}

/// Fails unless `pointer` is a string field of the event type.
void stringField(const ParseContext& at, const std::string& sub, const std::string& pointer) {
  const auto& schema = at.field(sub, pointer);
  if (auto t = schema.FindMember("type");
      t != schema.MemberEnd() && !(t->value.IsString() && str(t->value) == "string")) {
    at.fail(sub, "the case field must be a string field");
  }
}

/// Fails unless `pointer` is a date field (YYYY-MM-DD) of the event type.
void dateField(const ParseContext& at, const std::string& sub, const std::string& pointer) {
  const auto& fs = at.field(sub, pointer);
  auto pattern = fs.FindMember("pattern");
  if (pattern == fs.MemberEnd() || !pattern->value.IsString() ||
      std::string(pattern->value.GetString()).find("-(0[1-9]|1[0-2])-") == std::string::npos) {
    at.fail(sub, "must be a date field (YYYY-MM-DD)");
  }
}

/// "series" of `spec`: 1-40 of A-Z a-z 0-9 . _ -; `fallback` when absent.
std::string series(const rapidjson::Value& spec, const ParseContext& at,
                   const std::string& fallback) {
  auto s = spec.FindMember("series");
  if (s == spec.MemberEnd()) return fallback;
  static const std::regex kSeries("^[A-Za-z0-9._-]{1,40}$");
  if (!s->value.IsString() || !std::regex_match(str(s->value), kSeries)) {
    at.fail("/series", "must be 1-40 of A-Z a-z 0-9 . _ -");
  }
  return str(s->value);
}

std::string personRefOf(const Event& e) {
  const auto* p = lookup(*e.data, "/person_ref");
  return p != nullptr && p->IsString() ? str(*p) : std::string();
}

class Refer : public Action {
 public:
  Refer(const rapidjson::Value& spec, const ParseContext& at) {
    at.onlyKeys("", spec,
                {"to", "from", "reason", "due", "fields", "consent", "at", "case", "series"});
    to_ = sector(spec, "to", at);
    from_ = spec.HasMember("from") ? sector(spec, "from", at) : sectorOfType(at.eventType());
    reason_ = requiredString(spec, "reason", at);
    static const std::regex kReason("^[a-z][a-z0-9_]{0,63}$");
    if (!std::regex_match(reason_, kReason)) {
      at.fail("/reason",
              "must be a code of a-z 0-9 _ (at most 64), got \"" + reason_.substr(0, 40) + "\"");
    }
    due_ = duration(required(spec, "due", at), "/due", at);
    if (due_.sign < 0) at.fail("/due", "must not be negative");
    const auto& fields = required(spec, "fields", at);
    if (!fields.IsArray() || fields.Size() > 32)
      at.fail("/fields", "must be an array of at most 32 field names");
    for (rapidjson::SizeType i = 0; i < fields.Size(); ++i) {
      const std::string sub = "/fields/" + std::to_string(i);
      if (!fields[i].IsString()) at.fail(sub, "must be a string (a field name)");
      const std::string name = str(fields[i]);
      if (name.empty() || name.find('/') != std::string::npos) {
        at.fail(sub, "must be a top-level field name such as \"contract_id\"");
      }
      (void)at.field(sub, "/" + name);
      if (std::find(fields_.begin(), fields_.end(), name) != fields_.end()) {
        at.fail(sub, "\"" + name + "\" is listed twice");
      }
      fields_.push_back(name);
    }
    if (auto c = spec.FindMember("consent"); c != spec.MemberEnd()) {
      at.onlyKeys("/consent", c->value, {"purpose"});
      purpose_ =
          enumValue(c->value, "purpose", at.sub("/consent"), "consent.granted.v1", "purpose");
    }
    parseDeferral(spec, at);
  }

  std::string describe() const override {
    return "refer to " + to_ + " (" + reason_ + ")" +
           (purpose_.empty() ? "" : " with consent for " + purpose_) +
           (atField_.empty() ? "" : " on " + atField_ + " " + atAdd_.text);
  }

  Result<void> apply(const ActionContext& c, std::vector<Decision>& out) const override {
    auto to = resolve(to_, c.event, c.env.topics);
    auto from = resolve(from_, c.event, c.env.topics);
    if (!to) return to.error();
    if (!from) return from.error();
    return refer(c, to.value(), from.value(), out);
  }

 private:
  // A sector named in the rule, or the value of the event field the rule points at.
  static Result<std::string> resolve(const std::string& spec, const Event& e,
                                     const bus::Topics& topics) {
    if (!spec.starts_with("/")) return spec;
    const auto* v = lookup(*e.data, spec);
    if (v == nullptr || !v->IsString() || !topics.hasSector(str(*v))) {
      return Error::permanent(
          "the sector field " + spec +
          " is missing or not a configured sector (configured: " + topics.sectorList() + ")");
    }
    return str(*v);
  }

  Result<void> refer(const ActionContext& c, const std::string& to, const std::string& from,
                     std::vector<Decision>& out) const {
    PendingReferral p;
    p.referralId = "ref-" + digest(c.event.id + "|" + c.rule.id + "|" + std::to_string(c.index));
    p.personRef = personRefOf(c.event);
    p.fromSector = from;
    p.toSector = to;
    p.purpose = purpose_;
    p.ruleId = c.rule.id;
    p.sourceEventId = c.event.id;
    p.topic = c.env.topics.referrals(to);
    p.key = !p.personRef.empty() ? p.personRef : c.event.subject;
    p.due = due_.text;
    JsonObject data;
    data.set("referral_id", p.referralId)
        .setIf("person_ref", p.personRef)
        .set("from_sector", from)
        .set("to_sector", to)
        .set("reason", reason_)
        .set("rule_id", c.rule.id)
        .set("source_event_id", c.event.id);
    if (p.personRef.empty()) data.setIf("subject_id", c.event.subject);
    rapidjson::Value facts(rapidjson::kObjectType);
    for (const auto& f : fields_) {
      auto it = c.event.data->FindMember(f.c_str());
      if (it == c.event.data->MemberEnd()) continue;
      if (it->value.IsObject() || it->value.IsNull()) {
        return Error::permanent("field " + f + " is " +
                                (it->value.IsNull() ? "null" : "an object") +
                                "; facts are strings, numbers, booleans or lists of strings");
      }
      facts.AddMember(rapidjson::Value(f.c_str(), data.a()), rapidjson::Value(it->value, data.a()),
                      data.a());
      p.fields.push_back(f);
    }
    data.set("facts", facts);
    p.data = data.text();
    std::string housingContact;
    if (const auto* hc = lookup(*c.event.data, "/housing_contact_id"); hc && hc->IsString()) {
      housingContact = str(*hc);
    }
    if (!purpose_.empty() && p.personRef.empty()) {
      return Error::permanent("a referral with consent needs /person_ref, which the event lacks");
    }
    if (!atField_.empty()) return defer(c, p, housingContact, out);
    referNow(p, reason_, housingContact, c.env, out);
    return {};
  }

  // "at", "case" and "series": the referral waits for a day computed from the event.
  void parseDeferral(const rapidjson::Value& spec, const ParseContext& at) {
    const bool any = spec.HasMember("at") || spec.HasMember("case") || spec.HasMember("series");
    if (!any) return;
    const auto& when = required(spec, "at", at);
    at.onlyKeys("/at", when, {"field", "add"});
    atField_ = requiredString(when, "field", at.sub("/at"));
    dateField(at, "/at/field", atField_);
    atAdd_ = *parseDuration("P0D");
    if (auto add = when.FindMember("add"); add != when.MemberEnd()) {
      atAdd_ = duration(add->value, "/at/add", at);
    }
    caseField_ = requiredString(spec, "case", at);
    stringField(at, "/case", caseField_);
    series_ = series(spec, at, reason_);
  }

  Result<void> defer(const ActionContext& c, const PendingReferral& p,
                     const std::string& housingContact, std::vector<Decision>& out) const {
    if (c.env.deferrals == nullptr) {
      return Error::permanent("deferred referrals cannot be kept here (no deferral store)");
    }
    const auto* caseValue = lookup(*c.event.data, caseField_);
    if (caseValue == nullptr || !caseValue->IsString()) {
      return Error::permanent("the case field " + caseField_ + " is missing");
    }
    const auto* v = lookup(*c.event.data, atField_);
    const auto day = v != nullptr && v->IsString() ? parseDate(str(*v)) : std::nullopt;
    if (!day) return Error::permanent("the date field " + atField_ + " is missing");
    const auto fire = addToDate(*day, atAdd_);
    DeferredReferral d;
    d.caseId = str(*caseValue);
    d.series = series_;
    d.fireDate = formatDate(fire);
    d.fireAtMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(fire.time_since_epoch()).count();
    d.reason = reason_;
    d.housingContactId = housingContact;
    d.referral = p;
    const std::string replaced = c.env.deferrals->defer(d);
    Decision decision = decisionAbout("referral_deferred", p);
    decision.ruleId = c.rule.id;
    decision.sourceEventId = c.event.id;
    decision.detail =
        reason_ + ": referral to " + p.toSector + " on " + d.fireDate + " (case " + d.caseId +
        ", series " + series_ + ")" +
        (replaced.empty() || replaced == p.referralId ? "" : "; replaces " + replaced);
    out.push_back(std::move(decision));
    return {};
  }

  std::string to_;
  std::string from_;
  std::string reason_;
  Duration due_;
  std::vector<std::string> fields_;
  std::string purpose_;
  std::string atField_;  ///< empty: referred at once
  Duration atAdd_;
  std::string caseField_;
  std::string series_;
};

/// Stops the deferred referrals of a case: {"case": "/contract_id", "series"?: "..."}.
class CancelReferrals : public Action {
 public:
  CancelReferrals(const rapidjson::Value& spec, const ParseContext& at) {
    at.onlyKeys("", spec, {"case", "series"});
    caseField_ = requiredString(spec, "case", at);
    stringField(at, "/case", caseField_);
    if (spec.HasMember("series")) series_ = series(spec, at, "");
  }

  std::string describe() const override {
    return "cancel_referrals of " + caseField_ + (series_.empty() ? "" : " series " + series_);
  }

  Result<void> apply(const ActionContext& c, std::vector<Decision>& out) const override {
    if (c.env.deferrals == nullptr) {
      return Error::permanent("deferred referrals cannot be kept here (no deferral store)");
    }
    const auto* caseValue = lookup(*c.event.data, caseField_);
    if (caseValue == nullptr || !caseValue->IsString()) {
      return Error::permanent("the case field " + caseField_ + " is missing");
    }
    for (const auto& d : c.env.deferrals->cancel(str(*caseValue), series_)) {
      Decision decision = decisionAbout("referral_stopped", d.referral);
      decision.ruleId = c.rule.id;
      decision.sourceEventId = c.event.id;
      decision.detail = d.reason + ": the referral to " + d.referral.toSector + " due on " +
                        d.fireDate + " (rule " + d.referral.ruleId + ") is no longer needed";
      out.push_back(std::move(decision));
    }
    return {};
  }

 private:
  std::string caseField_;
  std::string series_;
};

class RequestNotice : public Action {
 public:
  RequestNotice(const rapidjson::Value& spec, const ParseContext& at) {
    at.onlyKeys(
        "", spec,
        {"kind", "action", "case", "series", "not_before", "window_days", "participants", "title"});
    kind_ = enumValue(spec, "kind", at, "notice.requested.v1", "kind");
    action_ = spec.HasMember("action")
                  ? enumValue(spec, "action", at, "notice.requested.v1", "action")
                  : std::string("schedule");
    caseField_ = requiredString(spec, "case", at);
    stringField(at, "/case", caseField_);
    series_ = series(spec, at, kind_);
    if (auto nb = spec.FindMember("not_before"); nb != spec.MemberEnd()) {
      at.onlyKeys("/not_before", nb->value, {"field", "add"});
      notBeforeField_ = requiredString(nb->value, "field", at.sub("/not_before"));
      dateField(at, "/not_before/field", notBeforeField_);
      if (auto add = nb->value.FindMember("add"); add != nb->value.MemberEnd()) {
        notBeforeAdd_ = duration(add->value, "/not_before/add", at);
      } else {
        notBeforeAdd_ = *parseDuration("P0D");
      }
    }
    if (auto w = spec.FindMember("window_days"); w != spec.MemberEnd()) {
      if (!w->value.IsInt() || w->value.GetInt() < 0 || w->value.GetInt() > 366) {
        at.fail("/window_days", "must be a whole number of days from 0 to 366");
      }
      if (notBeforeField_.empty()) at.fail("/window_days", "needs not_before");
      windowDays_ = w->value.GetInt();
    }
    if (auto ps = spec.FindMember("participants"); ps != spec.MemberEnd()) {
      if (!ps->value.IsArray() || ps->value.Empty() || ps->value.Size() > 50) {
        at.fail("/participants", "must be an array of 1 to 50 participants");
      }
      static const std::regex kRole("^[a-z][a-z0-9_]{0,63}$");
      for (rapidjson::SizeType i = 0; i < ps->value.Size(); ++i) {
        const std::string sub = "/participants/" + std::to_string(i);
        const auto& p = ps->value[i];
        at.onlyKeys(sub, p, {"role", "sector"});
        auto role = p.FindMember("role");
        if (role == p.MemberEnd() || !role->value.IsString() ||
            !std::regex_match(str(role->value), kRole)) {
          at.fail(sub + "/role", "required: a role code such as \"tenant\"");
        }
        std::string sec;
        if (auto s = p.FindMember("sector"); s != p.MemberEnd()) {
          if (!s->value.IsString() || !at.isSector(str(s->value))) {
            at.fail(sub + "/sector",
                    "not a configured sector (configured: " + at.sectorList() + ")");
          }
          sec = str(s->value);
        }
        participants_.emplace_back(str(role->value), sec);
      }
    }
    if (auto t = spec.FindMember("title"); t != spec.MemberEnd()) {
      static const std::regex kDigits("[0-9]{6} ?[0-9]{5}");
      if (!t->value.IsString() || t->value.GetStringLength() == 0 ||
          t->value.GetStringLength() > 200 || std::regex_search(str(t->value), kDigits)) {
        at.fail("/title", "must be a text of 1 to 200 characters without an identity number");
      }
      title_ = str(t->value);
    }
  }

  std::string describe() const override { return "request_notice " + action_ + " " + kind_; }

  Result<void> apply(const ActionContext& c, std::vector<Decision>& out) const override {
    const auto* caseValue = lookup(*c.event.data, caseField_);
    if (caseValue == nullptr || !caseValue->IsString()) {
      return Error::permanent("the case field " + caseField_ + " is missing");
    }
    const std::string caseId = str(*caseValue);
    const std::string requestId =
        "nr-" + digest(c.event.id + "|" + c.rule.id + "|" + std::to_string(c.index));
    const std::string personRef = personRefOf(c.event);
    JsonObject data;
    data.set("request_id", requestId)
        .set("action", action_)
        .set("kind", kind_)
        .set("case_id", caseId)
        .set("series_id", (caseId + ":" + series_).substr(0, 128))
        .setIf("person_ref", personRef)
        .set("rule_id", c.rule.id)
        .set("source_event_id", c.event.id)
        .setIf("title", title_);
    std::string when;
    if (!notBeforeField_.empty()) {
      const auto* v = lookup(*c.event.data, notBeforeField_);
      if (v == nullptr || !v->IsString()) {
        return Error::permanent("the date field " + notBeforeField_ + " is missing");
      }
      const auto day = parseDate(str(*v));
      if (!day) return Error::permanent("the field " + notBeforeField_ + " is not a calendar date");
      const auto from = addToDate(*day, notBeforeAdd_);
      data.set("not_before", formatDate(from));
      when = " from " + formatDate(from);
      if (windowDays_ >= 0) {
        data.set("not_after", formatDate(from + std::chrono::days(windowDays_)));
      }
    }
    if (!participants_.empty()) {
      rapidjson::Value list(rapidjson::kArrayType);
      for (const auto& [role, sec] : participants_) {
        rapidjson::Value p(rapidjson::kObjectType);
        p.AddMember("role", rapidjson::Value(role.c_str(), data.a()), data.a());
        if (!sec.empty()) p.AddMember("sector", rapidjson::Value(sec.c_str(), data.a()), data.a());
        list.PushBack(p, data.a());
      }
      data.set("participants", list);
    }
    Decision d;
    d.decision = "notice_requested";
    d.ruleId = c.rule.id;
    d.sourceEventId = c.event.id;
    d.personRef = personRef;
    d.detail = action_ + " " + kind_ + when + " (request " + requestId + ")";
    bus::OutboxEvent e;
    e.topic = c.env.topics.noticeRequests();
    e.event.id = requestId;
    e.event.source = kRouterSource;
    e.event.type = "notice.requested.v1";
    e.event.time = formatRfc3339(c.env.now);
    e.event.subject = !personRef.empty() ? personRef : caseId;
    e.event.data = data.text();
    d.output = std::move(e);
    out.push_back(std::move(d));
    return {};
  }

 private:
  std::string kind_;
  std::string action_;
  std::string caseField_;
  std::string series_;
  std::string notBeforeField_;
  Duration notBeforeAdd_;
  int windowDays_ = -1;
  std::vector<std::pair<std::string, std::string>> participants_;
  std::string title_;
};

}  // namespace

void referNow(const PendingReferral& p, const std::string& reason,
              const std::string& housingContactId, const EvalEnv& env, std::vector<Decision>& out) {
  auto made = [&](const std::string& consentId) {
    out.push_back(referralMade(p, consentId, reason, env));
  };
  if (p.purpose.empty()) return made({});
  if (auto consent =
          env.consents.find(p.personRef, p.fromSector, p.toSector, p.purpose, today(env.now))) {
    return made(*consent);
  }
  env.consents.addPending(p);
  JsonObject need;
  need.set("referral_id", p.referralId)
      .set("person_ref", p.personRef)
      .set("from_sector", p.fromSector)
      .set("to_sector", p.toSector)
      .set("purpose", p.purpose)
      .set("rule_id", p.ruleId)
      .set("source_event_id", p.sourceEventId)
      .set("requested_at", formatRfc3339(env.now))
      .setIf("housing_contact_id", housingContactId);
  Decision d = decisionAbout("consent_needed", p);
  d.toSector = "housing";
  d.detail = "no valid consent for " + p.purpose + " from " + p.fromSector + " to " + p.toSector +
             "; the referral waits and the housing contact is asked";
  bus::OutboxEvent e;
  e.topic = env.topics.referrals("housing");
  e.event.id = "cn-" + digest(p.referralId);
  e.event.source = kRouterSource;
  e.event.type = "referral.consent_needed.v1";
  e.event.time = formatRfc3339(env.now);
  e.event.subject = p.personRef;
  e.event.data = need.text();
  d.output = std::move(e);
  d.pending = p;
  out.push_back(std::move(d));
}

void registerBuiltinActions(Registry& registry) {
  registry.addAction("refer", [](const rapidjson::Value& spec, const ParseContext& at) {
    return std::make_unique<Refer>(spec, at);
  });
  registry.addAction("request_notice", [](const rapidjson::Value& spec, const ParseContext& at) {
    return std::make_unique<RequestNotice>(spec, at);
  });
  registry.addAction("cancel_referrals", [](const rapidjson::Value& spec, const ParseContext& at) {
    return std::make_unique<CancelReferrals>(spec, at);
  });
}

}  // namespace wayhome::services::router
