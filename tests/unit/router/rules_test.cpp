// Rules as data: parsing, validation against the event schemas, operators, actions,
// calendar arithmetic and the consent register (memory and SQLite).

#include <sstream>

#include <gtest/gtest.h>

#include <wayhome/core/log.hpp>
#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/deferral_store.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/router/schema.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services::router {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono;

const schemas::SchemaRegistry& schemaRegistry() {
  static const auto r = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  return r;
}

std::string errorOf(const std::string& text) {
  try {
    (void)parseRules(text, schemaRegistry(), "test.json");
  } catch (const RulesError& e) {
    return e.what();
  }
  return "<accepted>";
}

// One rule around `body` (the inside of a rule object after its id).
std::string oneRule(const std::string& body, const std::string& id = "X1") {
  return R"({"rules": [{"id": ")" + id + "\", " + body + "}]}";
}

const std::string kArrears = R"("match": {"type": "tenancy.rent_arrears.v1"}, )";
const std::string kRefer =
    R"("actions": [{"refer": {"to": "finance", "reason": "r", "due": "P1D", "fields": ["months_overdue"]}}])";

TEST(RulesParse, TheShippedRulesAreValid) {
  const auto table =
      loadRulesFile(t::sourceDir() / "deploy" / "config" / "rules.json", schemaRegistry());
  EXPECT_GE(table->rules.size(), 12u);
  EXPECT_EQ(table->forType("tenancy.rent_arrears.v1").size(), 2u);
}

struct BadRules {
  std::string name;
  std::string text;
  std::vector<std::string> mustMention;
};

class RulesRefused : public ::testing::TestWithParam<BadRules> {};

TEST_P(RulesRefused, WithAnErrorNamingTheRuleAndThePath) {
  const auto message = errorOf(GetParam().text);
  ASSERT_NE(message, "<accepted>");
  for (const auto& m : GetParam().mustMention) {
    EXPECT_NE(message.find(m), std::string::npos) << "'" << m << "' missing in: " << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RulesRefused,
    ::testing::Values(
        BadRules{"malformed", R"({"rules": [ {"id": )", {"not valid JSON", "line 1"}},
        BadRules{"not_an_object", "[1, 2]", {"must be an object"}},
        BadRules{"rules_missing", "{}", {"/rules", "required"}},
        BadRules{"rules_wrong_type", R"({"rules": {"id": "x"}})", {"/rules", "must be an array"}},
        BadRules{"unknown_top_key", R"({"rules": [], "rulez": 1})", {"/rulez", "unknown key"}},
        BadRules{"rule_not_object", R"({"rules": [7]})", {"#0", "/rules/0"}},
        BadRules{"id_missing", R"({"rules": [{"match": {}}]})", {"/rules/0/id", "required"}},
        BadRules{"id_wrong_type", R"({"rules": [{"id": 5}]})", {"/rules/0/id", "must be a string"}},
        BadRules{"id_hostile",
                 "{\"rules\": [{\"id\": \"a b\\u0000<script>\"}]}",
                 {"/rules/0/id", "must be 1-64"}},
        BadRules{"id_twice",
                 R"({"rules": [{"id": "A", "match": {"type": "tenancy.rent_arrears.v1"}, )" +
                     kRefer + R"(}, {"id": "A"}]})",
                 {"rule A", "/rules/1/id", "used by an earlier rule"}},
        BadRules{"unknown_rule_key",
                 oneRule(kArrears + kRefer + R"(, "priority": 1)"),
                 {"rule X1", "/rules/0/priority", "unknown key"}},
        BadRules{"unknown_type",
                 oneRule(R"("match": {"type": "tenancy.nope.v1"}, )" + kRefer),
                 {"rule X1", "/rules/0/match/type", "unknown event type"}},
        BadRules{"consent_type",
                 oneRule(R"("match": {"type": "consent.granted.v1"}, )" + kRefer),
                 {"/rules/0/match/type", "consent register"}},
        BadRules{
            "unknown_field",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "/months_owed", "op": "gt", "value": 1}]}, )" +
                kRefer),
            {"rule X1", "/rules/0/match/conditions/0/field", "/months_owed",
             "not in the schema of tenancy.rent_arrears.v1"}},
        BadRules{
            "field_not_pointer",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "months_overdue", "op": "exists"}]}, )" +
                kRefer),
            {"/rules/0/match/conditions/0/field", "JSON pointer"}},
        BadRules{
            "unknown_op",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "/months_overdue", "op": "approx", "value": 1}]}, )" +
                kRefer),
            {"rule X1", "/rules/0/match/conditions/0/op", "unknown operator", "gte"}},
        BadRules{
            "value_wrong_type",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "/months_overdue", "op": "gte", "value": "two"}]}, )" +
                kRefer),
            {"/rules/0/match/conditions/0/value", "integer"}},
        BadRules{
            "value_not_in_enum",
            oneRule(
                R"("match": {"type": "care.housing_need_observed.v1", "conditions": [{"field": "/urgency", "op": "equals", "value": "urgnt"}]}, )"
                R"("actions": [{"refer": {"to": "housing", "reason": "r", "due": "P1D", "fields": []}}])"),
            {"/rules/0/match/conditions/0/value", "not one the field allows"}},
        BadRules{
            "exists_with_value",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "/months_overdue", "op": "exists", "value": 1}]}, )" +
                kRefer),
            {"/rules/0/match/conditions/0/value", "takes no value"}},
        BadRules{
            "in_not_array",
            oneRule(
                R"("match": {"type": "tenancy.rent_arrears.v1", "conditions": [{"field": "/months_overdue", "op": "in", "value": 3}]}, )" +
                kRefer),
            {"/rules/0/match/conditions/0/value", "array"}},
        BadRules{"no_actions",
                 oneRule(kArrears + R"("actions": [])"),
                 {"/rules/0/actions", "non-empty"}},
        BadRules{"unknown_action",
                 oneRule(kArrears + R"("actions": [{"email": {}}])"),
                 {"rule X1", "/rules/0/actions/0/email", "unknown action", "refer"}},
        BadRules{"two_keys_action",
                 oneRule(kArrears + R"("actions": [{"refer": {}, "request_notice": {}}])"),
                 {"/rules/0/actions/0", "exactly one key"}},
        BadRules{
            "unknown_sector",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "hosing", "reason": "r", "due": "P1D", "fields": []}}])"),
            {"rule X1", "/rules/0/actions/0/refer/to", "\"hosing\" is not a configured sector"}},
        BadRules{
            "unknown_refer_key",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "P1D", "fields": [], "cc": "x"}}])"),
            {"/rules/0/actions/0/refer/cc", "unknown key"}},
        BadRules{
            "bad_due",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "two weeks", "fields": []}}])"),
            {"/rules/0/actions/0/refer/due", "ISO 8601"}},
        BadRules{
            "due_wrong_type",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": 14, "fields": []}}])"),
            {"/rules/0/actions/0/refer/due", "must be a string"}},
        BadRules{
            "unknown_fact_field",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "P1D", "fields": ["contract_id", "diagnosis"]}}])"),
            {"rule X1", "/rules/0/actions/0/refer/fields/1", "diagnosis", "not in the schema"}},
        BadRules{
            "fields_wrong_type",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "P1D", "fields": "contract_id"}}])"),
            {"/rules/0/actions/0/refer/fields", "array"}},
        BadRules{
            "bad_purpose",
            oneRule(
                kArrears +
                R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "P1D", "fields": [], "consent": {"purpose": "gossip"}}}])"),
            {"/rules/0/actions/0/refer/consent/purpose", "gossip"}},
        BadRules{
            "notice_case_unknown",
            oneRule(kArrears +
                    R"("actions": [{"request_notice": {"kind": "ad_hoc", "case": "/case_no"}}])"),
            {"/rules/0/actions/0/request_notice/case", "/case_no"}},
        BadRules{
            "notice_not_before_not_date",
            oneRule(
                kArrears +
                R"("actions": [{"request_notice": {"kind": "ad_hoc", "case": "/contract_id", "not_before": {"field": "/months_overdue"}}}])"),
            {"/rules/0/actions/0/request_notice/not_before/field", "date field"}},
        BadRules{
            "notice_bad_kind",
            oneRule(
                kArrears +
                R"("actions": [{"request_notice": {"kind": "party", "case": "/contract_id"}}])"),
            {"/rules/0/actions/0/request_notice/kind", "party"}},
        BadRules{
            "notice_title_with_identity_number",
            oneRule(
                kArrears +
                R"("actions": [{"request_notice": {"kind": "ad_hoc", "case": "/contract_id", "title": "for 15838510075"}}])"),
            {"/rules/0/actions/0/request_notice/title", "identity number"}}),
    [](const auto& p) { return p.param.name; });

TEST(RulesParse, ErrorsNeverEchoAnIdentityNumberFromTheFile) {
  const auto message = errorOf(oneRule(
      kArrears +
      R"("actions": [{"refer": {"to": "nav", "reason": "r", "due": "P1D", "fields": [], "consent": {"purpose": "15838510075"}}}])"));
  ASSERT_NE(message, "<accepted>");
  EXPECT_EQ(wayhome::log::redact(message), message) << message;
}

TEST(TimeMath, DurationsDatesAndWorkingDays) {
  EXPECT_FALSE(parseDuration("P"));
  EXPECT_FALSE(parseDuration("PT"));
  EXPECT_FALSE(parseDuration("14D"));
  EXPECT_FALSE(parseDuration(std::string(100, '1')));
  const auto d = *parseDate("2024-01-31");
  EXPECT_EQ(formatDate(addToDate(d, *parseDuration("P1M"))), "2024-02-29");
  EXPECT_EQ(formatDate(addToDate(d, *parseDuration("P1Y"))), "2025-01-31");
  EXPECT_EQ(formatDate(addToDate(*parseDate("2028-12-31"), *parseDuration("-P6M"))), "2028-06-30");
  EXPECT_EQ(formatDate(addToDate(d, *parseDuration("P2W"))), "2024-02-14");
  // 2026-03-06 is a Friday: two working days later is Tuesday.
  EXPECT_EQ(formatDate(addToDate(*parseDate("2026-03-06"), *parseDuration("2WD"))), "2026-03-10");
  // Wednesday before Easter 2027: Maundy Thursday to Easter Monday are not working days.
  EXPECT_EQ(formatDate(addToDate(*parseDate("2027-03-24"), *parseDuration("2WD"))), "2027-03-31");
  // Christmas 2026: Friday 25 and the weekend; Monday 28 December is the first.
  EXPECT_EQ(formatDate(addToDate(*parseDate("2026-12-24"), *parseDuration("1WD"))), "2026-12-28");
  EXPECT_FALSE(parseDate("2026-02-30"));
  EXPECT_FALSE(parseDate("2026-2-3"));
  const auto t0 = sys_days(*parseDate("2026-03-02")) + hours(9);
  EXPECT_EQ(formatRfc3339(addToTime(t0, *parseDuration("PT48H"))), "2026-03-04T09:00:00.000Z");
}

// ---- evaluation ---------------------------------------------------------------

constexpr const char* kPerson = "pr_0123456789abcdef0123456789abcdef";

class Evaluate : public ::testing::Test {
 protected:
  Evaluate() : clock_(sys_days(*parseDate("2026-03-02")) + hours(9)) {}

  Result<Evaluation> run(const std::string& type, const std::string& data,
                         const std::string& id = "ev-1", const std::string& source = "") {
    docs_.push_back(std::make_unique<rapidjson::Document>());
    docs_.back()->Parse(data.c_str());
    if (auto invalid = schemaRegistry().validate(type, data)) {
      ADD_FAILURE() << "test event invalid: " << invalid->message;
    }
    const EvalEnv env{clock_.now(), *store_, topics_, deferrals_.get()};
    return evaluate(*table_, Event{id, type, kPerson, docs_.back().get(), source}, env);
  }

  static std::string arrears(int months) {
    return R"({"contract_id": "K-1", "person_ref": ")" + std::string(kPerson) +
           R"(", "months_overdue": )" + std::to_string(months) + R"(, "amount_nok": 9000})";
  }
  static std::string grant(const std::string& id, const std::string& until,
                           const std::string& to = R"(["nav"])") {
    return R"({"consent_id": ")" + id + R"(", "person_ref": ")" + kPerson +
           R"(", "from_sector": "housing", "to_sectors": )" + to +
           R"(, "purpose": "social_services", "valid_until": ")" + until +
           R"(", "granted_at": "2026-01-01T00:00:00Z"})";
  }
  static std::string withdraw(const std::string& id) {
    return R"({"consent_id": ")" + id + R"(", "person_ref": ")" + kPerson +
           R"(", "withdrawn_at": "2026-03-01T00:00:00Z"})";
  }

  ManualClock clock_;
  std::unique_ptr<ConsentStore> store_ = memoryConsentStore();
  std::unique_ptr<DeferralStore> deferrals_ = memoryDeferralStore();
  bus::Topics topics_;
  RuleTablePtr table_ =
      loadRulesFile(t::sourceDir() / "deploy" / "config" / "rules.json", schemaRegistry());
  std::vector<std::unique_ptr<rapidjson::Document>> docs_;
};

std::vector<std::string> kinds(const Evaluation& e) {
  std::vector<std::string> out;
  for (const auto& d : e.decisions)
    out.push_back(d.decision + (d.toSector.empty() ? "" : ":" + d.toSector));
  return out;
}

TEST_F(Evaluate, ConditionsPickTheRulesAndFactsAreOnlyTheListedFields) {
  auto one = run("tenancy.rent_arrears.v1", arrears(1));
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(kinds(one.value()), std::vector<std::string>{"referral_created:finance"});
  const auto& d = one.value().decisions[0];
  EXPECT_EQ(d.ruleId, "R5-finance");
  EXPECT_EQ(d.disclosed, (std::vector<std::string>{"contract_id", "months_overdue", "amount_nok"}));
  ASSERT_TRUE(d.output);
  EXPECT_EQ(d.output->topic, "referrals.finance");
  rapidjson::Document out;
  out.Parse(d.output->event.data.c_str());
  EXPECT_EQ(out["facts"].MemberCount(), 3u);
  EXPECT_EQ(std::string(out["due_by"].GetString()), "2026-03-09T09:00:00.000Z");
  EXPECT_FALSE(schemaRegistry().validate("referral.created.v1", d.output->event.data));

  auto three = run("tenancy.rent_arrears.v1", arrears(3), "ev-2");
  ASSERT_TRUE(three);
  EXPECT_EQ(kinds(three.value()),
            (std::vector<std::string>{"referral_created:finance", "consent_needed:housing"}));
}

TEST_F(Evaluate, ConsentNeededThenGrantedMakesTheReferralOnce) {
  auto first = run("tenancy.rent_arrears.v1", arrears(2));
  ASSERT_TRUE(first);
  const auto waiting = first.value().decisions.at(1);
  ASSERT_EQ(waiting.decision, "consent_needed");
  ASSERT_TRUE(waiting.pending);

  auto granted = run("consent.granted.v1", grant("c-1", "2026-12-31"), "ev-c");
  ASSERT_TRUE(granted);
  ASSERT_EQ(kinds(granted.value()),
            (std::vector<std::string>{"consent_recorded", "referral_created:nav"}));
  const auto& made = granted.value().decisions[1];
  EXPECT_EQ(made.referralId, waiting.referralId);
  EXPECT_EQ(made.consentId, "c-1");
  EXPECT_EQ(made.ruleId, "R5-nav");
  EXPECT_FALSE(schemaRegistry().validate("referral.created.v1", made.output->event.data));

  // The next case under the same consent is referred at once.
  auto again = run("tenancy.rent_arrears.v1", arrears(4), "ev-3");
  ASSERT_TRUE(again);
  EXPECT_EQ(kinds(again.value()),
            (std::vector<std::string>{"referral_created:finance", "referral_created:nav"}));
  EXPECT_EQ(again.value().decisions[1].consentId, "c-1");
  // A second grant finds nothing waiting.
  auto twice = run("consent.granted.v1", grant("c-2", "2026-12-31"), "ev-c2");
  EXPECT_EQ(kinds(twice.value()), std::vector<std::string>{"consent_recorded"});
}

TEST_F(Evaluate, ConsentForAnotherSectorOrPurposeOrExpiredDoesNotCover) {
  ASSERT_TRUE(run("consent.granted.v1", grant("c-fin", "2026-12-31", R"(["finance"])"), "c1"));
  ASSERT_TRUE(run("consent.granted.v1", grant("c-old", "2026-03-01"), "c2"));  // yesterday
  auto r = run("tenancy.rent_arrears.v1", arrears(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(kinds(r.value()),
            (std::vector<std::string>{"referral_created:finance", "consent_needed:housing"}));
  // Valid through its last day, not after.
  clock_.set(sys_days(*parseDate("2026-03-01")) + hours(23));
  auto lastDay = run("tenancy.rent_arrears.v1", arrears(2), "ev-2");
  EXPECT_EQ(lastDay.value().decisions[1].consentId, "c-old");
}

TEST_F(Evaluate, WithdrawalStopsWaitingReferralsAndALateGrantIsIgnored) {
  ASSERT_TRUE(run("consent.granted.v1", grant("c-1", "2020-01-01"), "c0"));  // expired
  auto r = run("tenancy.rent_arrears.v1", arrears(2));
  ASSERT_EQ(r.value().decisions[1].decision, "consent_needed");
  auto w = run("consent.withdrawn.v1", withdraw("c-1"), "w1");
  ASSERT_TRUE(w);
  EXPECT_EQ(kinds(w.value()),
            (std::vector<std::string>{"consent_recorded", "referral_stopped:nav"}));
  // A grant that comes after its own withdrawal does not revive it.
  auto late = run("consent.granted.v1", grant("c-1", "2026-12-31"), "c1");
  EXPECT_EQ(kinds(late.value()), std::vector<std::string>{"consent_recorded"});
  auto again = run("tenancy.rent_arrears.v1", arrears(2), "ev-2");
  EXPECT_EQ(again.value().decisions[1].decision, "consent_needed");
}

// Issue 12: consent ids are namespaced per source and immutable. A second grant under
// one id with another person or sector is refused (the router dead-letters it), and
// one source can neither overwrite nor withdraw another source's consent.
TEST_F(Evaluate, ConsentIdsAreImmutableAndNamespacedPerSource) {
  const std::string src = "/wayhome/connectors/gerica/gerica";
  auto r = run("tenancy.rent_arrears.v1", arrears(2));
  ASSERT_EQ(r.value().decisions[1].decision, "consent_needed");
  ASSERT_TRUE(run("consent.granted.v1", grant("c-1", "2020-01-01"), "g1", src));  // expired
  // The same id again with other sectors: refused, not applied (it would release nav).
  auto changed = run("consent.granted.v1", grant("c-1", "2026-12-31"), "g2", src);
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message.find("immutable"), std::string::npos)
      << changed.error().message;
  std::string other = grant("c-1", "2020-01-01");
  other.replace(other.find(kPerson), std::string(kPerson).size(),
                "pr_fedcba9876543210fedcba9876543210");
  EXPECT_FALSE(run("consent.granted.v1", other, "g3", src)) << "another person, same id";
  // The identical grant again is no conflict.
  EXPECT_TRUE(run("consent.granted.v1", grant("c-1", "2020-01-01"), "g4", src));
  // Another source's "c-1" is another consent: it releases the waiting referral ...
  auto api = run("consent.granted.v1", grant("c-1", "2026-12-31"), "g5", "/wayhome/api");
  ASSERT_TRUE(api) << api.error().message;
  EXPECT_EQ(kinds(api.value()),
            (std::vector<std::string>{"consent_recorded", "referral_created:nav"}));
  EXPECT_EQ(api.value().decisions[1].consentId, "c-1");  // referrals name the plain id
  // ... and the first source's withdrawal of its own "c-1" leaves it standing.
  ASSERT_TRUE(run("consent.withdrawn.v1", withdraw("c-1"), "w1", src));
  auto next = run("tenancy.rent_arrears.v1", arrears(2), "ev-2");
  EXPECT_EQ(kinds(next.value()),
            (std::vector<std::string>{"referral_created:finance", "referral_created:nav"}));
}

// One audit record per source event: every decision in it, with its rule, action, target,
// output and disclosure; its id derives from the event's id alone, so deciding the same
// event again (a replay, a crash before the commit) makes the same record.
TEST_F(Evaluate, DecideWritesOneAuditRecordPerEventListingEveryDecision) {
  docs_.push_back(std::make_unique<rapidjson::Document>());
  docs_.back()->Parse(arrears(2).c_str());
  const EvalEnv env{clock_.now(), *store_, topics_, deferrals_.get()};
  const Event event{"ev-9", "tenancy.rent_arrears.v1", kPerson, docs_.back().get(), ""};
  auto made = decide(*table_, event, env, schemaRegistry());
  ASSERT_TRUE(made) << made.error().message;
  std::vector<const bus::OutboxEvent*> audits;
  std::vector<std::string> outputIds;
  for (const auto& e : made.value()) {
    if (e.topic == topics_.auditDecisions()) {
      audits.push_back(&e);
    } else {
      outputIds.push_back(e.event.id);
    }
  }
  ASSERT_EQ(audits.size(), 1U);
  ASSERT_EQ(outputIds.size(), 2U);  // the finance referral, nav's consent request
  const auto& a = audits[0]->event;
  EXPECT_EQ(a.type, "audit.decision.v2");
  EXPECT_EQ(a.id, bus::audit::idFor("aud-", "ev-9"));
  EXPECT_EQ(a.subject, kPerson);
  EXPECT_FALSE(schemaRegistry().validate("audit.decision.v2", a.data)) << a.data;
  rapidjson::Document d;
  d.Parse(a.data.c_str());
  EXPECT_STREQ(d["audit_id"].GetString(), a.id.c_str());
  EXPECT_STREQ(d["source_event_id"].GetString(), "ev-9");
  EXPECT_STREQ(d["person_ref"].GetString(), kPerson);
  const auto& list = d["decisions"];
  ASSERT_EQ(list.Size(), 2U);
  EXPECT_STREQ(list[0]["decision"].GetString(), "referral_created");
  EXPECT_STREQ(list[0]["rule_id"].GetString(), "R5-finance");
  EXPECT_EQ(list[0]["action"].GetInt(), 0);
  EXPECT_STREQ(list[0]["to_sector"].GetString(), "finance");
  EXPECT_STREQ(list[0]["topic"].GetString(), "referrals.finance");
  EXPECT_EQ(list[0]["output_id"].GetString(), outputIds[0]);
  ASSERT_EQ(list[0]["disclosed"].Size(), 1U);
  EXPECT_STREQ(list[0]["disclosed"][0]["to_sector"].GetString(), "finance");
  EXPECT_EQ(list[0]["disclosed"][0]["fields"].Size(), 3U);
  EXPECT_STREQ(list[1]["decision"].GetString(), "consent_needed");
  EXPECT_STREQ(list[1]["to_sector"].GetString(), "housing");  // the housing contact is asked
  EXPECT_EQ(list[1]["output_id"].GetString(), outputIds[1]);
  EXPECT_EQ(list[1]["disclosed"].Size(), 0U);  // nothing reaches nav before the consent

  // The same event decided again: the same audit record (the outbox keeps the first).
  const auto fresh = memoryConsentStore();
  const auto freshDeferrals = memoryDeferralStore();
  auto again = decide(*table_, event, {clock_.now(), *fresh, topics_, freshDeferrals.get()},
                      schemaRegistry());
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().back().event.id, a.id);
  EXPECT_EQ(again.value().back().event.data, a.data);
}

TEST_F(Evaluate, NoMatchAndNoticeDates) {
  auto none = run(
      "care.service_decision.v1",
      R"({"decision_id": "D-1", "person_ref": ")" + std::string(kPerson) +
          R"(", "service_code": "day_care", "outcome": "ended", "decided_date": "2026-02-01"})");
  ASSERT_TRUE(none);
  EXPECT_EQ(kinds(none.value()), std::vector<std::string>{"no_match"});
  const auto audit =
      auditEvent("ev-1", "ev-1", none.value().decisions, {clock_.now(), *store_, topics_});
  EXPECT_EQ(audit.event.type, "audit.decision.v2");
  EXPECT_FALSE(schemaRegistry().validate("audit.decision.v2", audit.event.data))
      << audit.event.data;

  auto signedEv = run(
      "tenancy.contract_signed.v1",
      R"({"contract_id": "K-7", "unit_id": "A-1", "person_ref": ")" + std::string(kPerson) +
          R"(", "start_date": "2026-01-31", "scheduled_end_date": "2028-12-31", "fixed_term": true, "housing_contact_id": "hc-1", "guidance_folder_handed_over": true})");
  ASSERT_TRUE(signedEv);
  EXPECT_EQ(kinds(signedEv.value()),
            (std::vector<std::string>{"notice_requested", "notice_requested", "notice_requested",
                                      "referral_deferred:finance"}));
  rapidjson::Document renewal;
  renewal.Parse(signedEv.value().decisions[2].output->event.data.c_str());
  EXPECT_STREQ(renewal["not_before"].GetString(), "2028-06-30");
  EXPECT_STREQ(renewal["not_after"].GetString(), "2028-07-30");
  EXPECT_STREQ(renewal["series_id"].GetString(), "K-7:renewal");
}

TEST(Evaluation, AnActionThatCannotUseTheEventIsAnError) {
  const auto table = parseRules(
      oneRule(
          kArrears +
          R"("actions": [{"request_notice": {"kind": "ad_hoc", "case": "/housing_contact_id"}}])"),
      schemaRegistry(), "t");
  rapidjson::Document data;
  data.Parse(
      R"({"contract_id": "K-1", "person_ref": "pr_0123456789abcdef0123456789abcdef", "months_overdue": 1, "amount_nok": 1})");
  const auto store = memoryConsentStore();
  bus::Topics topics;
  auto r = evaluate(*table, Event{"e", "tenancy.rent_arrears.v1", "", &data},
                    {SystemClock::instance().now(), *store, topics});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("X1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("/housing_contact_id"), std::string::npos);
}

TEST(Matchers, Semantics) {
  const auto& reg = builtinRegistry();
  rapidjson::Document v;
  v.Parse(R"({"n": 2, "s": "2026-03-01", "list": ["a", "b"], "t": true})");
  auto m = [&](const char* op) { return reg.matcher(op); };
  EXPECT_TRUE(m("gte")->matches(&v["n"], &v["n"]));
  EXPECT_FALSE(m("gt")->matches(&v["n"], &v["n"]));
  rapidjson::Value later("2026-04-01");
  EXPECT_TRUE(m("lt")->matches(&v["s"], &later));  // dates compare as text
  EXPECT_FALSE(m("gte")->matches(&v["s"], &later));
  EXPECT_FALSE(m("gt")->matches(&v["n"], &v["s"]));  // number vs string: false
  EXPECT_FALSE(m("gt")->matches(nullptr, &v["n"]));
  EXPECT_TRUE(m("in")->matches(&v["list"][1], &v["list"]));
  EXPECT_TRUE(m("not_equals")->matches(nullptr, &v["t"]));
  EXPECT_TRUE(m("exists")->matches(&v["t"], nullptr));
  EXPECT_TRUE(m("not_exists")->matches(nullptr, nullptr));
}

// ---- the SQLite register ------------------------------------------------------

TEST(SqliteConsents, RegisterAndWaitingReferralsLiveInTheStateStore) {
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  state.migrate(routerSchema());
  Consent c{"c-1", kPerson, "health_care", {"housing", "nav"}, "housing_need", "2026-12-31", false};
  state.transaction([&](store::Connection& db) {
    StoreConsentStore s(db, 1000);
    EXPECT_FALSE(s.find(kPerson, "health_care", "housing", "housing_need", "2026-03-02"));
    PendingReferral p;
    p.referralId = "ref-1";
    p.personRef = kPerson;
    p.fromSector = "health_care";
    p.toSector = "housing";
    p.purpose = "housing_need";
    p.ruleId = "R6";
    p.sourceEventId = "e1";
    p.topic = "referrals.housing";
    p.key = kPerson;
    p.due = "2WD";
    p.data = "{}";
    p.fields = {"need_code", "urgency"};
    s.addPending(p);
    EXPECT_EQ(s.grant(c), GrantOutcome::kRecorded);
  });
  state.transaction([&](store::Connection& db) {
    StoreConsentStore s(db, 1000);
    EXPECT_EQ(s.find(kPerson, "health_care", "nav", "housing_need", "2026-03-02"), "c-1");
    EXPECT_FALSE(s.find(kPerson, "health_care", "finance", "housing_need", "2026-03-02"));
    EXPECT_FALSE(s.find(kPerson, "health_care", "nav", "housing_need", "2027-01-01"));
    const auto made = s.takePending(c, false);
    ASSERT_EQ(made.size(), 1u);
    EXPECT_EQ(made[0].fields, (std::vector<std::string>{"need_code", "urgency"}));
    EXPECT_TRUE(s.takePending(c, false).empty());
    EXPECT_TRUE(s.withdraw("c-1", kPerson));
    EXPECT_FALSE(s.find(kPerson, "health_care", "nav", "housing_need", "2026-03-02"));
    EXPECT_EQ(s.grant(c), GrantOutcome::kWithdrawnBefore);
    EXPECT_FALSE(s.withdraw("c-unknown", kPerson));
  });
}

// `wayhome rules test` over the shipped rules: what case workers start through the API
// (issue 15, items 2 and 3) takes the routes R30-R35; health-originated referrals and
// needs for health and care or NAV wait for consent; the need's note is disclosed only
// as the rule lists.
TEST(ShippedRules, RouteWhatCaseWorkersStart) {
  const auto table =
      loadRulesFile(t::sourceDir() / "deploy" / "config" / "rules.json", schemaRegistry());
  const std::string anna = "pr_0123456789abcdef0123456789abcdef";
  auto requested = [&](const std::string& id, const std::string& from, const std::string& to,
                       const std::string& urgency) {
    return R"({"id": ")" + id + R"(", "type": "referral.requested.v1", "subject": ")" + anna +
           R"(", "data": {"request_id": ")" + id + R"(", "person_ref": ")" + anna +
           R"(", "from_sector": ")" + from + R"(", "to_sector": ")" + to +
           R"(", "need": "debt", "urgency": ")" + urgency +
           R"(", "requested_by": "x", "requested_at": "2027-01-04T09:00:00Z"}})"
           "\n";
  };
  auto observed = [&](const std::string& id, const std::string& need, const std::string& urgency) {
    return R"({"id": ")" + id + R"(", "type": "housing.need_observed.v1", "subject": ")" + anna +
           R"(", "data": {"observation_id": ")" + id + R"(", "person_ref": ")" + anna +
           R"(", "need": ")" + need + R"(", "urgency": ")" + urgency +
           R"(", "observed_by": "x", "observed_at": "2027-01-04T09:00:00Z"}})"
           "\n";
  };
  std::istringstream in(
      requested("q1", "nav", "finance", "normal") +
      requested("q2", "finance", "housing", "urgent") +
      requested("q3", "health_care", "housing", "normal") +
      requested("q4", "health_care", "finance", "urgent") +
      observed("n1", "mental_health", "normal") + observed("n2", "maintenance", "urgent") +
      observed("n3", "social_services", "normal") + observed("n4", "debt", "normal") +
      observed("n5", "home_adaptation", "normal"));
  std::ostringstream out;
  const int dead = services::rulesTestEvents(*table, schemaRegistry(), in, out,
                                             sys_days{year{2027} / 1 / 4} + hours(9));
  const std::string trace = out.str();
  EXPECT_EQ(dead, 0) << trace;
  for (const char* line :
       {"rule R30-referral: matched", "-> referral_created to finance",
        "rule R30-referral-urgent: matched", "-> referral_created to housing",
        "rule R31-care-housing: matched", "rule R31-care-finance-urgent: matched",
        "rule R32-need-care: matched", "rule R33-need-property-urgent: matched",
        "-> referral_created to property", "rule R34-need-nav: matched",
        "rule R35-need-finance: matched", "rule R33-need-property: matched",
        "no valid consent for housing_need from health_care to housing",
        "no valid consent for financial_advice from health_care to finance",
        "no valid consent for care_coordination from housing to health_care",
        "no valid consent for social_services from housing to nav", "referred from nav to finance",
        "referred from finance to housing"}) {
    EXPECT_NE(trace.find(line), std::string::npos) << line << "\n" << trace;
  }
  EXPECT_EQ(trace.find("no rule matched"), std::string::npos) << trace;
}

TEST(RulesParse, AReferSectorFromAFieldMustBeAnEnumOfSectors) {
  const std::string requested = R"("match": {"type": "referral.requested.v1"}, )";
  auto refer = [&](const std::string& to) {
    return oneRule(requested + R"("actions": [{"refer": {"to": ")" + to +
                   R"(", "reason": "r", "due": "P1D", "fields": ["need"]}}])");
  };
  EXPECT_EQ(errorOf(refer("/to_sector")), "<accepted>");
  EXPECT_NE(errorOf(refer("/need")).find("which is not a configured sector"), std::string::npos);
  // A field with the sector-name pattern is accepted: the router checks each value.
  EXPECT_EQ(errorOf(refer("/from_sector")), "<accepted>");
  EXPECT_NE(errorOf(refer("/note")).find("must be an enum of sectors"), std::string::npos);
  EXPECT_NE(errorOf(refer("/nope")).find("is not in the schema"), std::string::npos);
}

// Rules are checked against the configured sectors, not a list in code.
TEST(RulesParse, SectorsAreTheConfiguredOnes) {
  const std::vector<std::string> withElderly{"housing", "finance",  "health_care",
                                             "nav",     "property", "elderly_care"};
  const std::string text = oneRule(
      kArrears +
          R"("actions": [{"refer": {"to": "elderly_care", "reason": "r", "due": "P1D", "fields": []}}])",
      "E1");
  // With the defaults the rule names an unknown sector: the error names rule and field.
  std::string e = errorOf(text);
  EXPECT_NE(e.find("rule E1"), std::string::npos) << e;
  EXPECT_NE(e.find("/rules/0/actions/0/refer/to"), std::string::npos) << e;
  EXPECT_NE(e.find("\"elderly_care\" is not a configured sector (configured: housing, finance, "
                   "health_care, nav, property)"),
            std::string::npos)
      << e;
  // Configured, it is accepted.
  try {
    const auto table = parseRules(text, schemaRegistry(), "t.json", withElderly);
    EXPECT_EQ(table->rules.size(), 1u);
  } catch (const RulesError& x) {
    ADD_FAILURE() << x.what();
  }
  // A meeting participant of an unknown sector names its own field.
  const std::string meeting = oneRule(
      R"("match": {"type": "tenancy.contract_signed.v1"}, "actions": [{"request_notice": {
           "kind": "tenancy_follow_up", "action": "schedule", "case": "/contract_id",
           "not_before": {"field": "/start_date", "add": "P1Y"}, "window_days": 30, "title": "T",
           "participants": [{"role": "tenant"}, {"role": "x", "sector": "elderly"}]}}])",
      "E2");
  try {
    (void)parseRules(meeting, schemaRegistry(), "t.json", withElderly);
    ADD_FAILURE() << "accepted";
  } catch (const RulesError& x) {
    e = x.what();
  }
  EXPECT_NE(e.find("rule E2"), std::string::npos) << e;
  EXPECT_NE(e.find("/participants/1/sector"), std::string::npos) << e;
  EXPECT_NE(e.find("not a configured sector"), std::string::npos) << e;
  // Without nav, the shipped rules name a sector that is not there.
  try {
    (void)loadRulesFile(t::sourceDir() / "deploy" / "config" / "rules.json", schemaRegistry(),
                        {"housing", "finance", "health_care", "property"});
    ADD_FAILURE() << "accepted";
  } catch (const RulesError& x) {
    e = x.what();
  }
  EXPECT_NE(e.find("\"nav\" is not a configured sector"), std::string::npos) << e;
}

}  // namespace
}  // namespace wayhome::services::router
