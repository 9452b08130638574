#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <rapidjson/error/en.h>

#include <wayhome/core/log.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "json_out.hpp"

namespace wayhome::services::router {
namespace {

constexpr std::size_t kMaxRulesBytes = 4 * 1024 * 1024;
constexpr rapidjson::SizeType kMaxRules = 1000;
constexpr rapidjson::SizeType kMaxConditions = 32;
constexpr rapidjson::SizeType kMaxActions = 16;

std::string str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string jsonQuoted(std::string_view s) {
  // Rule texts are operator input: keep messages one line and short.
  std::string out = schemas::jsonString(s.substr(0, 80));
  return out;
}

const char* typeName(const rapidjson::Value& v) {
  static constexpr const char* kNames[] = {"null",     "a boolean", "a boolean", "an object",
                                           "an array", "a string",  "a number"};
  return text::enumName(v.GetType(), kNames, "?");
}

std::vector<std::string> pointerTokens(const std::string& pointer) {
  std::vector<std::string> out;
  std::size_t at = 1;
  while (at <= pointer.size()) {
    const auto next = pointer.find('/', at);
    std::string token =
        pointer.substr(at, next == std::string::npos ? std::string::npos : next - at);
    std::string unescaped;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size()) {
        unescaped += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        unescaped += token[i];
      }
    }
    out.push_back(unescaped);
    if (next == std::string::npos) break;
    at = next + 1;
  }
  return out;
}

struct SchemaCache {
  std::map<std::string, rapidjson::Document> docs;
  const rapidjson::Value& get(const schemas::SchemaRegistry& registry, const std::string& type) {
    auto it = docs.find(type);
    if (it != docs.end()) return it->second;
    auto& d = docs[type];
    const auto* s = registry.find(type);
    if (s == nullptr || schemas::parseJson(d, s->text()) || !d.IsObject()) d.SetObject();
    return d;
  }
};

}  // namespace

// ---- helpers ----------------------------------------------------------------

const rapidjson::Value* lookup(const rapidjson::Value& data, const std::string& pointer) {
  return rapidjson::Pointer(pointer.c_str()).Get(data);
}

bool ParseContext::isSector(std::string_view sector) const {
  return std::find(sectors_->begin(), sectors_->end(), sector) != sectors_->end();
}

std::string ParseContext::sectorList() const {
  return bus::listSectorNames(*sectors_);
}

std::string sectorOfType(const std::string& type) {
  // The sector a case event belongs to, by the domain in its type name.
  if (type.starts_with("care.")) return "health_care";
  if (type.starts_with("loan.")) return "finance";
  if (type.starts_with("property.")) return "property";
  return "housing";
}

// ---- parse context ----------------------------------------------------------

void ParseContext::fail(const std::string& sub, const std::string& message) const {
  // Rule files are operator input: an identity number typed into one stays out of logs.
  throw RulesError(log::redact("rule " + ruleId_ + ": " + path_ + sub + ": " + message));
}

const rapidjson::Value& ParseContext::field(const std::string& sub,
                                            const std::string& pointer) const {
  if (pointer.empty() || pointer.front() != '/' || pointer.size() > 200) {
    fail(sub, "must be a JSON pointer such as \"/person_ref\", got " + jsonQuoted(pointer));
  }
  const rapidjson::Value* node = &schema_;
  for (const auto& token : pointerTokens(pointer)) {
    const rapidjson::Value* next = nullptr;
    if (node->IsObject()) {
      auto props = node->FindMember("properties");
      if (props != node->MemberEnd() && props->value.IsObject()) {
        auto m = props->value.FindMember(token.c_str());
        if (m != props->value.MemberEnd()) next = &m->value;
      }
      auto items = node->FindMember("items");
      if (next == nullptr && items != node->MemberEnd() && !token.empty() &&
          token.find_first_not_of("0123456789") == std::string::npos) {
        next = &items->value;
      }
    }
    if (next == nullptr) {
      fail(sub, "field " + jsonQuoted(pointer) + " is not in the schema of " + eventType_);
    }
    node = next;
  }
  return *node;
}

void ParseContext::onlyKeys(const std::string& sub, const rapidjson::Value& object,
                            std::initializer_list<const char*> allowed) const {
  if (!object.IsObject()) fail(sub, std::string("must be an object, got ") + typeName(object));
  for (const auto& m : object.GetObject()) {
    const std::string key = str(m.name);
    bool known = false;
    for (const char* a : allowed)
      known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed)
        list += std::string(list.empty() ? "" : ", ") + a;
      fail(sub + "/" + key, "unknown key (allowed: " + list + ")");
    }
  }
}

// ---- registry ---------------------------------------------------------------

void Registry::addMatcher(const std::string& name, std::unique_ptr<Matcher> matcher) {
  if (!matchers_.emplace(name, std::move(matcher)).second) {
    throw std::logic_error("condition operator '" + name + "' is registered twice");
  }
}
void Registry::addAction(const std::string& name, ActionFactory factory) {
  if (!actions_.emplace(name, std::move(factory)).second) {
    throw std::logic_error("action '" + name + "' is registered twice");
  }
}
const Matcher* Registry::matcher(const std::string& name) const {
  auto it = matchers_.find(name);
  return it == matchers_.end() ? nullptr : it->second.get();
}
const ActionFactory* Registry::action(const std::string& name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : &it->second;
}
std::vector<std::string> Registry::matcherNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : matchers_)
    out.push_back(k);
  return out;
}
std::vector<std::string> Registry::actionNames() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : actions_)
    out.push_back(k);
  return out;
}

const Registry& builtinRegistry() {
  static const Registry registry = [] {
    Registry r;
    registerBuiltinMatchers(r);
    registerBuiltinActions(r);
    return r;
  }();
  return registry;
}

std::vector<const Rule*> RuleTable::forType(const std::string& type) const {
  std::vector<const Rule*> out;
  for (const auto& r : rules) {
    if (r.type == type) out.push_back(&r);
  }
  return out;
}

// ---- parsing ----------------------------------------------------------------

// The conditions of one rule's match, each checked against the event's schema.
static void parseConditions(const ParseContext& at, const rapidjson::Value& match,
                            const Registry& registry, Rule& rule) {
  if (auto condIt = match.FindMember("conditions"); condIt != match.MemberEnd()) {
    const auto& conds = condIt->value;
    if (!conds.IsArray()) at.fail("/match/conditions", "must be an array");
    if (conds.Size() > kMaxConditions) at.fail("/match/conditions", "more than 32 conditions");
    for (rapidjson::SizeType c = 0; c < conds.Size(); ++c) {
      const std::string cp = "/match/conditions/" + std::to_string(c);
      const auto& cv = conds[c];
      at.onlyKeys(cp, cv, {"field", "op", "value"});
      auto f = cv.FindMember("field");
      if (f == cv.MemberEnd()) at.fail(cp + "/field", "required");
      if (!f->value.IsString()) at.fail(cp + "/field", "must be a string (a JSON pointer)");
      auto o = cv.FindMember("op");
      if (o == cv.MemberEnd()) at.fail(cp + "/op", "required");
      if (!o->value.IsString()) at.fail(cp + "/op", "must be a string");
      Condition cond;
      cond.field = str(f->value);
      cond.op = str(o->value);
      const auto& fieldSchema = at.field(cp + "/field", cond.field);
      cond.matcher = registry.matcher(cond.op);
      if (cond.matcher == nullptr) {
        std::string known;
        for (const auto& n : registry.matcherNames())
          known += (known.empty() ? "" : ", ") + n;
        at.fail(cp + "/op", "unknown operator " + jsonQuoted(cond.op) + " (known: " + known + ")");
      }
      cond.pointer = rapidjson::Pointer(cond.field.c_str());
      if (!cond.pointer.IsValid()) at.fail(cp + "/field", "not a valid JSON pointer");
      cond.value = std::make_shared<rapidjson::Document>();
      auto v = cv.FindMember("value");
      if (v != cv.MemberEnd()) cond.value->CopyFrom(v->value, cond.value->GetAllocator());
      if (auto problem =
              cond.matcher->check(v != cv.MemberEnd() ? &v->value : nullptr, fieldSchema)) {
        at.fail(cp + (v != cv.MemberEnd() ? "/value" : ""), *problem);
      }
      rule.conditions.push_back(std::move(cond));
    }
  }
}

// The actions of one rule, each made by its registered factory.
static void parseActions(const ParseContext& at, const rapidjson::Value& r,
                         const Registry& registry, Rule& rule) {
  auto actIt = r.FindMember("actions");
  if (actIt == r.MemberEnd()) at.fail("/actions", "required");
  const auto& actions = actIt->value;
  if (!actions.IsArray() || actions.Empty()) at.fail("/actions", "must be a non-empty array");
  if (actions.Size() > kMaxActions) at.fail("/actions", "more than 16 actions");
  for (rapidjson::SizeType a = 0; a < actions.Size(); ++a) {
    const std::string ap = "/actions/" + std::to_string(a);
    const auto& av = actions[a];
    if (!av.IsObject() || av.MemberCount() != 1) {
      at.fail(ap, "must be an object with exactly one key, the action's name");
    }
    const std::string name = str(av.MemberBegin()->name);
    const auto* factory = registry.action(name);
    if (factory == nullptr) {
      std::string known;
      for (const auto& n : registry.actionNames())
        known += (known.empty() ? "" : ", ") + n;
      at.fail(ap + "/" + name, "unknown action (known: " + known + ")");
    }
    const ParseContext actionAt = at.sub(ap + "/" + name);
    rule.actions.push_back((*factory)(av.MemberBegin()->value, actionAt));
  }
}

RuleTablePtr parseRules(std::string_view text, const schemas::SchemaRegistry& schemaRegistry,
                        const std::string& origin, const std::vector<std::string>& sectors,
                        const Registry& registry) {
  auto table = std::make_shared<RuleTable>();
  table->origin = origin;
  auto fail = [&](const std::string& message) -> void {
    throw RulesError(log::redact("rules " + origin + ": " + message));
  };
  if (text.size() > kMaxRulesBytes) fail("larger than 4 MiB");
  rapidjson::Document doc;
  if (auto bad = schemas::parseJson(doc, text, {.allowComments = true, .stopWhenDone = true})) {
    fail(bad->message);
  }
  static const rapidjson::Value kNoSchema(rapidjson::kObjectType);
  const ParseContext top("(file)", "", "", kNoSchema, schemaRegistry, sectors);
  top.onlyKeys("", doc, {"$comment", "description", "version", "rules"});
  auto rulesIt = doc.FindMember("rules");
  if (rulesIt == doc.MemberEnd()) top.fail("/rules", "required");
  const auto& rules = rulesIt->value;
  if (!rules.IsArray()) top.fail("/rules", std::string("must be an array, got ") + typeName(rules));
  if (rules.Size() > kMaxRules) top.fail("/rules", "more than 1000 rules");

  SchemaCache schemaCache;
  std::set<std::string> ids;
  static const std::regex kId("^[A-Za-z0-9._:-]{1,64}$");
  for (rapidjson::SizeType i = 0; i < rules.Size(); ++i) {
    const auto& r = rules[i];
    const std::string base = "/rules/" + std::to_string(i);
    const ParseContext anon("#" + std::to_string(i), base, "", kNoSchema, schemaRegistry, sectors);
    if (!r.IsObject()) anon.fail("", std::string("must be an object, got ") + typeName(r));
    auto idIt = r.FindMember("id");
    if (idIt == r.MemberEnd()) anon.fail("/id", "required");
    if (!idIt->value.IsString()) {
      anon.fail("/id", std::string("must be a string, got ") + typeName(idIt->value));
    }
    const std::string id = str(idIt->value);
    if (!std::regex_match(id, kId)) {
      anon.fail("/id", "must be 1-64 of A-Z a-z 0-9 . _ : -, got " + jsonQuoted(id));
    }
    const ParseContext named(id, base, "", kNoSchema, schemaRegistry, sectors);
    if (!ids.insert(id).second) named.fail("/id", "the id is used by an earlier rule");
    named.onlyKeys("", r, {"id", "description", "enabled", "match", "actions"});

    Rule rule;
    rule.id = id;
    if (auto d = r.FindMember("description"); d != r.MemberEnd()) {
      if (!d->value.IsString()) named.fail("/description", "must be a string");
      rule.description = str(d->value);
    }
    bool enabled = true;
    if (auto e = r.FindMember("enabled"); e != r.MemberEnd()) {
      if (!e->value.IsBool()) named.fail("/enabled", "must be true or false");
      enabled = e->value.GetBool();
    }
    auto matchIt = r.FindMember("match");
    if (matchIt == r.MemberEnd()) named.fail("/match", "required");
    const auto& match = matchIt->value;
    named.onlyKeys("/match", match, {"type", "conditions"});
    auto typeIt = match.FindMember("type");
    if (typeIt == match.MemberEnd()) named.fail("/match/type", "required");
    if (!typeIt->value.IsString()) named.fail("/match/type", "must be a string");
    rule.type = str(typeIt->value);
    if (!schemaRegistry.has(rule.type)) {
      named.fail("/match/type", "unknown event type " + jsonQuoted(rule.type) + " (no schema in " +
                                    schemaRegistry.directory().string() + ")");
    }
    if (rule.type.starts_with("consent.")) {
      named.fail("/match/type", "consent events feed the consent register, not rules");
    }
    const auto& schema = schemaCache.get(schemaRegistry, rule.type);
    const ParseContext at(id, base, rule.type, schema, schemaRegistry, sectors);

    parseConditions(at, match, registry, rule);
    parseActions(at, r, registry, rule);
    if (enabled) table->rules.push_back(std::move(rule));
  }
  return table;
}

RuleTablePtr loadRulesFile(const std::filesystem::path& file,
                           const schemas::SchemaRegistry& schemas,
                           const std::vector<std::string>& sectors, const Registry& registry) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw RulesError("rules " + file.string() + ": no such file");
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > kMaxRulesBytes) {
    throw RulesError("rules " + file.string() + ": cannot be read or larger than 4 MiB");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw RulesError("rules " + file.string() + ": cannot be read");
  return parseRules(ss.str(), schemas, file.string(), sectors, registry);
}

// ---- evaluation -------------------------------------------------------------

bus::OutboxEvent makeReferralEvent(const PendingReferral& p, const std::string& consentId,
                                   const EvalEnv& env) {
  rapidjson::Document data;
  (void)schemas::parseJson(data, p.data);  // made by this process from validated data
  JsonObject out;
  out.doc().CopyFrom(data, out.a());
  const auto due = parseDuration(p.due);
  out.set("created_at", formatRfc3339(env.now));
  out.set("due_by", formatRfc3339(due ? addToTime(env.now, *due) : env.now));
  out.setIf("consent_id", consentId);
  bus::OutboxEvent e;
  e.topic = p.topic;
  e.event.id = p.referralId;
  e.event.source = kRouterSource;
  e.event.type = "referral.created.v1";
  e.event.time = formatRfc3339(env.now);
  e.event.subject = p.key;
  e.event.data = out.text();
  return e;
}

Decision decisionAbout(std::string decision, const PendingReferral& p) {
  Decision d;
  d.decision = std::move(decision);
  d.ruleId = p.ruleId;
  d.sourceEventId = p.sourceEventId;
  d.personRef = p.personRef;
  d.referralId = p.referralId;
  d.toSector = p.toSector;
  return d;
}

Decision referralMade(const PendingReferral& p, const std::string& consentId,
                      const std::string& why, const EvalEnv& env) {
  Decision d = decisionAbout("referral_created", p);
  d.consentId = consentId;
  d.disclosed = p.fields;
  d.detail = (why.empty() ? "" : why + ": ") + "referred from " + p.fromSector + " to " +
             p.toSector + (consentId.empty() ? "" : " under consent " + consentId);
  d.output = makeReferralEvent(p, consentId, env);
  return d;
}

namespace {

Consent consentOf(const rapidjson::Value& data) {
  Consent c;
  auto s = [&](const char* k) {
    auto it = data.FindMember(k);
    return it != data.MemberEnd() && it->value.IsString() ? str(it->value) : std::string();
  };
  c.id = s("consent_id");
  c.personRef = s("person_ref");
  c.fromSector = s("from_sector");
  c.purpose = s("purpose");
  c.validUntil = s("valid_until");
  if (auto it = data.FindMember("to_sectors"); it != data.MemberEnd() && it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) c.toSectors.push_back(str(v));
    }
  }
  return c;
}

Result<Evaluation> consentEvent(const Event& event, const EvalEnv& env) {
  Evaluation ev;
  Consent c = consentOf(*event.data);
  c.source = event.source;
  Decision recorded;
  recorded.decision = "consent_recorded";
  recorded.sourceEventId = event.id;
  recorded.personRef = c.personRef;
  recorded.consentId = c.id;
  if (event.type == "consent.granted.v1") {
    const GrantOutcome outcome = env.consents.grant(c);
    if (outcome == GrantOutcome::kConflict) {
      // Consents are immutable: a second grant under one id that names another person,
      // sector, purpose or period is a forgery or a mistake, and never applied.
      return Error::permanent("consent " + c.id + " from " +
                              (c.source.empty() ? std::string("this source") : c.source) +
                              " is recorded already with other content; a consent id is "
                              "immutable (grant a new id)");
    }
    const bool fresh = outcome == GrantOutcome::kRecorded;
    const bool valid = c.validUntil >= today(env.now);
    recorded.detail = !fresh  ? "consent granted after it was withdrawn; ignored"
                      : valid ? "consent granted for " + c.purpose + " from " + c.fromSector
                              : "consent granted but already expired";
    ev.decisions.push_back(recorded);
    ev.trace.push_back("consent " + c.id + ": " + recorded.detail);
    if (fresh && valid) {
      for (const auto& p : env.consents.takePending(c, false)) {
        ev.decisions.push_back(referralMade(p, c.id, "", env));
        ev.trace.push_back("consent " + c.id + " releases waiting referral " + p.referralId +
                           " (rule " + p.ruleId + ") to " + p.toSector);
      }
    }
  } else {
    auto known = env.consents.withdraw(consentKey(c.source, c.id), c.personRef);
    recorded.detail = known ? "consent withdrawn" : "consent withdrawn before it was seen";
    ev.decisions.push_back(recorded);
    ev.trace.push_back("consent " + c.id + ": " + recorded.detail);
    if (known) {
      for (const auto& p : env.consents.takePending(*known, true)) {
        Decision d = decisionAbout("referral_stopped", p);
        d.consentId = c.id;
        d.detail = "the consent was withdrawn; the waiting referral is stopped";
        ev.trace.push_back("consent " + c.id + " withdrawn: stops waiting referral " +
                           p.referralId);
        ev.decisions.push_back(std::move(d));
      }
    }
  }
  return ev;
}

std::string describeValue(const rapidjson::Value* v) {
  if (v == nullptr) return "absent";
  if (v->IsString()) return "present";  // never echo strings: they may be personal
  return schemas::jsonText(*v);
}

}  // namespace

Result<Evaluation> evaluate(const RuleTable& table, const Event& event, const EvalEnv& env) {
  if (event.type == "consent.granted.v1" || event.type == "consent.withdrawn.v1") {
    return consentEvent(event, env);
  }
  Evaluation ev;
  bool matched = false;
  for (const Rule* rule : table.forType(event.type)) {
    std::string failed;
    for (const auto& c : rule->conditions) {
      const rapidjson::Value* actual = c.pointer.Get(*event.data);
      const rapidjson::Value* expected = c.value->IsNull() ? nullptr : c.value.get();
      if (!c.matcher->matches(actual, expected)) {
        failed = c.field + " " + c.op + (expected ? " " + schemas::jsonText(*expected) : "") +
                 " is false (" + describeValue(actual) + ")";
        break;
      }
    }
    if (!failed.empty()) {
      ev.trace.push_back("rule " + rule->id + ": no match: " + failed);
      continue;
    }
    matched = true;
    ev.trace.push_back(
        "rule " + rule->id + ": matched" +
        (rule->conditions.empty()
             ? ""
             : " (all " + std::to_string(rule->conditions.size()) + " conditions hold)"));
    for (std::size_t i = 0; i < rule->actions.size(); ++i) {
      const auto before = ev.decisions.size();
      auto r = rule->actions[i]->apply({event, *rule, i, env}, ev.decisions);
      if (!r) {
        return Error::permanent("rule " + rule->id + " action " + std::to_string(i) + " (" +
                                rule->actions[i]->describe() + "): " + r.error().message);
      }
      for (auto k = before; k < ev.decisions.size(); ++k) {
        auto& d = ev.decisions[k];
        d.action = static_cast<int>(i);
        std::string line = "  -> " + d.decision;
        if (!d.toSector.empty()) line += " to " + d.toSector;
        if (!d.disclosed.empty()) {
          line += " fields [";
          for (std::size_t f = 0; f < d.disclosed.size(); ++f) {
            line += (f ? ", " : "") + d.disclosed[f];
          }
          line += "]";
        }
        if (!d.consentId.empty()) line += " consent " + d.consentId;
        line += ": " + d.detail;
        ev.trace.push_back(line);
      }
    }
  }
  if (!matched) {
    Decision d;
    d.decision = "no_match";
    d.sourceEventId = event.id;
    if (const auto* p = lookup(*event.data, "/person_ref"); p != nullptr && p->IsString()) {
      d.personRef = str(*p);
    }
    d.detail = "no rule matched " + event.type;
    ev.trace.push_back("no rule matched");
    ev.decisions.push_back(std::move(d));
  }
  return ev;
}

Result<std::vector<bus::OutboxEvent>> decide(const RuleTable& table, const Event& event,
                                             const EvalEnv& env,
                                             const schemas::SchemaRegistry& schemas,
                                             const CallAudit* call) {
  auto evaluation = evaluate(table, event, env);
  if (!evaluation) return evaluation.error();
  const auto& decisions = evaluation.value().decisions;
  std::vector<bus::OutboxEvent> out;
  out.reserve(decisions.size() + 1);
  for (const auto& d : decisions) {
    if (d.output) out.push_back(*d.output);
  }
  // A rule that matched but had nothing to do (cancel_referrals with nothing waiting)
  // decided nothing: no audit record, as with one record per decision before (v2
  // requires at least one decision).
  if (!decisions.empty() || call != nullptr) {
    out.push_back(auditEvent(event.id, event.id, decisions, env, call));
  }
  for (const auto& e : out) {
    if (auto invalid = schemas.validate(e.event.type, e.event.data)) {
      return Error::permanent("the " + e.event.type + " it makes is invalid: " + invalid->message);
    }
  }
  return out;
}

bus::audit::Entry auditEntry(const Decision& d) {
  bus::audit::Entry e;
  e.decision = d.decision;
  e.ruleId = d.ruleId;
  e.action = d.action;
  e.sourceEventId = d.sourceEventId;
  e.referralId = d.referralId;
  e.consentId = d.consentId;
  e.toSector = d.toSector;
  if (d.output) {
    e.topic = d.output->topic;
    e.outputId = d.output->event.id;
  }
  if (d.decision == "referral_created" && !d.toSector.empty()) {
    e.disclosed.push_back({d.toSector, d.disclosed});
  }
  e.detail = d.detail;
  return e;
}

bus::OutboxEvent auditEvent(std::string_view key, const std::string& sourceEventId,
                            const std::vector<Decision>& decisions, const EvalEnv& env,
                            const CallAudit* call) {
  bus::audit::Record r;
  r.id = bus::audit::idFor("aud-", key);
  r.source = kRouterSource;
  r.service = "router";
  r.decidedAt = env.now;
  r.sourceEventId = sourceEventId;
  r.decisions.reserve(decisions.size() + 1);
  if (call != nullptr) {
    r.actor = call->actor;
    r.decisions.push_back(call->call);
  }
  for (const auto& d : decisions) {
    if (r.personRef.empty()) r.personRef = d.personRef;
    r.decisions.push_back(auditEntry(d));
  }
  return {env.topics.auditDecisions(), bus::audit::event(r)};
}

}  // namespace wayhome::services::router
