// Issue 15 (the rest of the Way Home), the routes driven by source events: referrals
// deferred to a day (R2's finance referral, the waiting list, the follow-up after a loan
// is paid out), moved and stopped; evictions and warnings; plans and decisions under
// consent; guidance folders; loans from application on. Through `wayhome rules test`
// with the shipped rules, and the deferral register in a real SQLite file.

#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

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

constexpr const char* kPerson = "pr_0123456789abcdef0123456789abcdef";

const schemas::SchemaRegistry& schemaRegistry() {
  static const auto r = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  return r;
}

RuleTablePtr shippedRules() {
  return loadRulesFile(t::sourceDir() / "deploy" / "config" / "rules.json", schemaRegistry());
}

// One CloudEvent a line (the data's line breaks, from raw strings, become spaces).
std::string line(const std::string& id, const std::string& type, std::string data) {
  std::replace(data.begin(), data.end(), '\n', ' ');
  return R"({"id": ")" + id + R"(", "type": ")" + type + R"(", "subject": ")" + kPerson +
         R"(", "data": )" + data + "}\n";
}

std::string withPerson(const std::string& fields) {
  return R"({"person_ref": ")" + std::string(kPerson) + "\", " + fields + "}";
}

// One event per new route, in the order a case would live it; `wayhome rules test`
// says which rule decided what.
TEST(WayHomeRulesTest, EveryNewRouteDecidesInWayhomeRulesTest) {
  std::string in;
  in += line("e-signed", "tenancy.contract_signed.v1",
             withPerson(R"("contract_id": "K-1", "unit_id": "A-1", "start_date": "2026-01-01",
                "scheduled_end_date": "2027-01-01", "fixed_term": true,
                "guidance_folder_handed_over": false)"));
  in += line("e-renewed", "tenancy.contract_renewed.v1",
             withPerson(R"("contract_id": "K-1", "new_scheduled_end_date": "2030-01-01")"));
  in += line("e-warned", "tenancy.termination_warned.v1",
             withPerson(R"("contract_id": "K-1", "warned_date": "2026-03-01", "reason": "arrears",
                "months_overdue": 2, "amount_nok": 14000)"));
  in += line("e-evicted", "tenancy.contract_terminated.v1",
             withPerson(R"("contract_id": "K-1", "end_date": "2026-04-01", "reason": "eviction")"));
  in += line("e-approved", "housing.application_approved.v1",
             withPerson(R"("application_id": "APP-1", "approved_date": "2026-02-01",
                "household_size": 2)"));
  in += line("e-plan", "housing.waiting_plan_recorded.v1",
             withPerson(R"("application_id": "APP-1", "plan_date": "2026-02-20")"));
  in += line("e-approved-2", "housing.application_approved.v1",
             withPerson(R"("application_id": "APP-2", "approved_date": "2026-02-01")"));
  in += line("e-allocated", "housing.unit_allocated.v1",
             withPerson(R"("application_id": "APP-2", "unit_id": "A-9",
                "allocated_date": "2026-03-01", "days_on_waiting_list": 28)"));
  in += line("e-plan-ip", "care.individual_plan_updated.v1",
             withPerson(R"("plan_id": "IP-1", "coordinator_role": "care_coordinator",
                "sectors": ["health_care", "housing"], "updated_at": "2026-03-01T10:00:00Z")"));
  in += line("e-home-care", "care.service_decision.v1",
             withPerson(R"("decision_id": "VED-1", "service_code": "home_nursing",
                "outcome": "granted", "decided_date": "2026-03-01")"));
  in += line("e-day-care", "care.service_decision.v1",
             withPerson(R"("decision_id": "VED-2", "service_code": "day_care",
                "outcome": "granted", "decided_date": "2026-03-01")"));
  in += line("e-loan-applied", "loan.application_submitted.v1",
             withPerson(R"("application_id": "SL-1", "amount_asked_nok": 2000000,
                "submitted_date": "2026-03-01")"));
  in += line("e-loan-granted", "loan.application_decided.v1",
             withPerson(R"("application_id": "SL-1", "outcome": "granted",
                "decided_date": "2026-03-20", "amount_nok": 1800000, "valid_until": "2026-09-20")"));
  in += line("e-loan-paid", "loan.disbursed.v1",
             withPerson(R"("loan_id": "L-1", "disbursed_date": "2026-04-01",
                "amount_nok": 1800000)"));
  std::istringstream events(in);
  std::ostringstream out;
  const auto dead = rulesTestEvents(*shippedRules(), schemaRegistry(), events, out,
                                    sys_days(2026y / March / 2) + hours(9));
  const std::string text = out.str();
  EXPECT_EQ(dead, 0) << text;
  for (const char* expected : {
           // 1: R2's finance referral waits for scheduled end - 6 months, R3 moves it,
           // R4 stops it.
           "-> referral_deferred to finance: renewal_financial_assessment: referral to finance "
           "on 2026-07-01 (case K-1, series renewal-finance)",
           "-> referral_deferred to finance: renewal_financial_assessment: referral to finance "
           "on 2029-07-01 (case K-1, series renewal-finance); replaces ref-",
           "rule R4-terminated: matched",
           "-> referral_stopped to finance: renewal_financial_assessment: the referral to finance "
           "due on 2029-07-01 (rule R3-renewed) is no longer needed",
           // 5: eviction and the warning before it.
           "rule R14-eviction-housing: matched",
           "-> referral_created to housing fields [contract_id, end_date, reason]",
           "-> notice_requested: schedule eviction_follow_up",
           "rule R14-eviction-nav: matched",
           "rule R15-warning-finance: matched",
           "-> referral_created to finance fields [contract_id, warned_date, months_overdue, "
           "amount_nok]",
           "rule R15-warning-nav: matched",
           // 6: the waiting list: deferred, stopped by a plan or an allocation.
           "-> referral_deferred to housing: waiting_list_plan: referral to housing on 2026-05-01 "
           "(case APP-1, series waiting-list)",
           "rule R18-plan-recorded: matched",
           "-> referral_stopped to housing: waiting_list_plan: the referral to housing due on "
           "2026-05-01 (rule R18-waiting-list) is no longer needed",
           "rule R18-allocated: matched",
           // 7: plans and home-care decisions: that they exist, with consent.
           "rule R19-individual-plan: matched",
           "rule R19-home-care: matched",
           "rule R19-home-care: no match: /service_code in",
           // 8: guidance folders.
           "rule R16-guidance-folder: matched",
           "-> referral_created to housing fields [contract_id, unit_id, start_date]",
           "rule R16-my-own-home-folder: matched",
           // 9: start-up loans from application on.
           "rule R17-loan-application: matched",
           "-> referral_created to finance fields [application_id, amount_asked_nok, "
           "submitted_date]",
           "-> referral_deferred to finance: loan_follow_up_after_disbursement: referral to "
           "finance on 2026-07-01 (case L-1, series disbursed-follow-up)",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
  // Plans and decisions tell housing only that they exist: no consent yet, so housing's
  // contact is asked first, and nothing of the plan's content is among the facts.
  EXPECT_NE(text.find("consent_needed to housing: no valid consent for housing_follow_up from "
                      "health_care to housing"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("fields [plan_id, coordinator_role"), std::string::npos) << text;
}

DeferredReferral deferred(const std::string& caseId, const std::string& series,
                          const std::string& day, const std::string& purpose = "") {
  DeferredReferral d;
  d.caseId = caseId;
  d.series = series;
  d.fireDate = day;
  d.fireAtMs = duration_cast<milliseconds>(sys_days(*parseDate(day)).time_since_epoch()).count();
  d.reason = "renewal_financial_assessment";
  auto& p = d.referral;
  p.referralId = "ref-" + caseId + "-" + day;
  p.personRef = kPerson;
  p.fromSector = purpose.empty() ? "housing" : "health_care";
  p.toSector = purpose.empty() ? "finance" : "housing";
  p.purpose = purpose;
  p.ruleId = "R2-renewal";
  p.sourceEventId = "e-" + caseId;
  p.topic = purpose.empty() ? "referrals.finance" : "referrals.housing";
  p.key = kPerson;
  p.due = "P30D";
  p.data = R"({"referral_id": ")" + p.referralId + R"(", "person_ref": ")" + kPerson +
           R"(", "from_sector": ")" + p.fromSector + R"(", "to_sector": ")" + p.toSector +
           R"(", "reason": "renewal_financial_assessment", "rule_id": "R2-renewal",
              "source_event_id": ")" +
           p.sourceEventId + R"(", "facts": {"contract_id": ")" + caseId + R"("}})";
  p.fields = {"contract_id"};
  return d;
}

// The register in the state store: a later deferral of the same case and series
// replaces the earlier one, a cancel stops it, and a due one is made once, at once or
// waiting for its consent, with a schema-valid referral and audit.
TEST(SqliteDeferrals, ReplacedStoppedAndMadeOnceWhenTheDayComes) {
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  state.migrate(routerSchema());
  bus::Topics topics;
  state.transaction([&](store::Connection& db) {
    StoreDeferralStore s(db);
    EXPECT_EQ(s.defer(deferred("K-1", "renewal-finance", "2026-07-01")), "");
    EXPECT_EQ(s.defer(deferred("K-1", "renewal-finance", "2026-03-01")), "ref-K-1-2026-07-01");
    EXPECT_EQ(s.defer(deferred("K-2", "renewal-finance", "2026-03-01")), "");
    EXPECT_EQ(s.defer(deferred("K-3", "plan", "2026-03-01", "housing_follow_up")), "");
    EXPECT_EQ(s.defer(deferred("K-4", "renewal-finance", "2026-09-01")), "");
    EXPECT_EQ(s.waiting(), 4U);
  });
  state.transaction([&](store::Connection& db) {
    StoreDeferralStore s(db);
    const auto stopped = s.cancel("K-2", "");
    ASSERT_EQ(stopped.size(), 1U);
    EXPECT_EQ(stopped[0].referral.referralId, "ref-K-2-2026-03-01");
    EXPECT_TRUE(s.cancel("K-2", "").empty());  // once
    EXPECT_TRUE(s.cancel("K-1", "other-series").empty());
  });
  const auto now = sys_days(2026y / March / 2) + hours(9);
  for (int round = 0; round < 2; ++round) {
    state.transaction([&](store::Connection& db) {
      StoreConsentStore consents(db, 0);
      StoreDeferralStore s(db);
      const EvalEnv env{now, consents, topics, &s};
      const auto decisions = makeDueReferrals(s, env);
      if (round == 1) {
        EXPECT_TRUE(decisions.empty()) << "made once";
        return;
      }
      ASSERT_EQ(decisions.size(), 2U);
      EXPECT_EQ(decisions[0].decision, "referral_created");
      EXPECT_EQ(decisions[0].referralId, "ref-K-1-2026-03-01");
      ASSERT_TRUE(decisions[0].output);
      EXPECT_EQ(decisions[0].output->topic, "referrals.finance");
      EXPECT_FALSE(
          schemaRegistry().validate("referral.created.v1", decisions[0].output->event.data))
          << decisions[0].output->event.data;
      EXPECT_NE(decisions[0].output->event.data.find("\"due_by\":\"2026-04-01T09:00:00.000Z\""),
                std::string::npos)
          << decisions[0].output->event.data;
      EXPECT_EQ(decisions[1].decision, "consent_needed");
      EXPECT_FALSE(
          schemaRegistry().validate("referral.consent_needed.v1", decisions[1].output->event.data));
      const auto audit = auditEvent("due", "", decisions, env);
      EXPECT_FALSE(schemaRegistry().validate("audit.decision.v2", audit.event.data))
          << audit.event.data;
      EXPECT_EQ(s.waiting(), 1U);  // K-4, in September
    });
  }
  // The retention forgets what was made or stopped, never what waits.
  state.prune(
      duration_cast<milliseconds>((sys_days(2027y / January / 1)).time_since_epoch()).count());
  state.transaction([&](store::Connection& db) {
    StoreDeferralStore s(db);
    EXPECT_EQ(s.waiting(), 1U);
    store::Statement rows(db, "SELECT COUNT(*) FROM router_deferred;");
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.columnInt(0), 1);
  });
}

struct BadDeferral {
  std::string name;
  std::string action;
  std::string mustMention;
};

class DeferralRulesRefused : public ::testing::TestWithParam<BadDeferral> {};

TEST_P(DeferralRulesRefused, NamingThePath) {
  const std::string text =
      R"({"rules": [{"id": "X1", "match": {"type": "tenancy.contract_signed.v1"}, "actions": [)" +
      GetParam().action + "]}]}";
  std::string message = "<accepted>";
  try {
    (void)parseRules(text, schemaRegistry(), "t");
  } catch (const RulesError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find(GetParam().mustMention), std::string::npos) << message;
}

const std::string kReferTo =
    R"("to": "finance", "reason": "r", "due": "P1D", "fields": ["contract_id"])";

INSTANTIATE_TEST_SUITE_P(
    Cases, DeferralRulesRefused,
    ::testing::Values(
        BadDeferral{"AtOnANonDate",
                    R"({"refer": {)" + kReferTo +
                        R"(, "at": {"field": "/contract_id"}, "case": "/contract_id"}})",
                    "/actions/0/refer/at/field: must be a date field"},
        BadDeferral{"AtWithoutCase",
                    R"({"refer": {)" + kReferTo + R"(, "at": {"field": "/start_date"}}})",
                    "/actions/0/refer/case: required"},
        BadDeferral{"CaseWithoutAt", R"({"refer": {)" + kReferTo + R"(, "case": "/contract_id"}})",
                    "/actions/0/refer/at: required"},
        BadDeferral{
            "BadAdd",
            R"({"refer": {)" + kReferTo +
                R"(, "at": {"field": "/start_date", "add": "6 months"}, "case": "/contract_id"}})",
            "/actions/0/refer/at/add"},
        BadDeferral{"CaseNotAString",
                    R"({"refer": {)" + kReferTo +
                        R"(, "at": {"field": "/start_date"}, "case": "/fixed_term"}})",
                    "/actions/0/refer/case: the case field must be a string field"},
        BadDeferral{"BadSeries",
                    R"({"cancel_referrals": {"case": "/contract_id", "series": "a b"}})",
                    "/actions/0/cancel_referrals/series"},
        BadDeferral{"UnknownKey", R"({"cancel_referrals": {"case": "/contract_id", "when": 1}})",
                    "/actions/0/cancel_referrals/when"},
        BadDeferral{"UnknownField", R"({"cancel_referrals": {"case": "/nope"}})",
                    "/actions/0/cancel_referrals/case"}),
    [](const auto& p) { return p.param.name; });

// A deferred referral needs somewhere to wait: without a store the event cannot be
// used (the router always has one; a tool that has none says so).
TEST(Deferral, WithoutAStoreTheRuleCannotApply) {
  const auto table = shippedRules();
  rapidjson::Document data;
  data.Parse(withPerson(R"("loan_id": "L-1", "disbursed_date": "2026-04-01")").c_str());
  const auto consents = memoryConsentStore();
  bus::Topics topics;
  auto r = evaluate(*table, Event{"e", "loan.disbursed.v1", kPerson, &data},
                    {SystemClock::instance().now(), *consents, topics});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("R17-loan-disbursed"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace wayhome::services::router
