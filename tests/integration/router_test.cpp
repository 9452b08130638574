// The router in a real service: embedded Kafka, the state in a real SQLite file or a
// real PostgreSQL database (each test on both), the default rules. Case events are
// produced as the connectors would (CloudEvents on cases.*).

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/service.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

// A third person besides t::kAnna and t::kBo.
const std::string kCai = t::personRef(1);
// A case worker of two sectors (housing and finance); the other callers are the
// testing library's.
constexpr const char* kCaseworkerToken = "caseworker-token-abcdefgh";

/// The dlq_reason header of each dead letter ("" where it has none).
std::vector<std::string> reasonsOf(const std::vector<bus::KafkaRecord>& dead) {
  std::vector<std::string> reasons;
  for (const auto& r : dead)
    reasons.push_back(r.header("dlq_reason") != nullptr ? *r.header("dlq_reason") : "");
  return reasons;
}

/// Whether one of `texts` holds `part`.
bool anyHolds(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const auto& text) { return text.find(part) != std::string::npos; });
}

class RouterTest : public t::StateBackendTest {
 public:
  static std::string arrears(const std::string& person, int months, const char* contract = "K-1") {
    return std::string(R"({"contract_id": ")") + contract + R"(", "person_ref": ")" + person +
           R"(", "months_overdue": )" + std::to_string(months) + R"(, "amount_nok": 9000})";
  }

 protected:
  void SetUp() override {
    StateBackendTest::SetUp();
    start();
  }

  /// Another handle on the service's state, opened as the service opens it.
  [[nodiscard]] std::unique_ptr<store::StateStore> openStore() const {
    return openStateStore(dir_ / "data" / "state.db");
  }

  /// The tests put consent events on the bus as "/test"; "/elsewhere" may not.
  const std::vector<std::string> kConsentSources{"/test", "/wayhome/api"};

  /// The configuration of an instance whose files are under `dir`.
  ServiceConfig config(const std::filesystem::path& dir) {
    auto c = t::serviceConfig(dir, 2);
    c.bus.topicPrefix = prefix_;
    c.statePostgres = postgres_;
    c.identityKeyFile = dir_.path() / "keys" / "person_ref.key";
    c.opsTokens = {{"case-system", "caseworker", kCaseworkerToken, {"housing", "finance"}},
                   {"fin-system", "caseworker", t::kFinanceToken, {"finance"}},
                   {"care-system", "caseworker", t::kCareToken, {"health_care"}},
                   {"nav-system", "caseworker", t::kNavToken, {"nav"}},
                   {"operator", "admin", t::kAdminToken},
                   {"watcher", "viewer", t::kViewerToken}};
    return c;
  }

  void start(std::optional<std::filesystem::path> rules = std::nullopt) {
    prefix_ = t::uniquePrefix();
    const auto c = config(dir_.path() / "data");
    auto router =
        std::make_unique<Router>(RouterOptions{.rulesFile = rules.value_or(defaultRulesFile()),
                                               .consentSources = kConsentSources,
                                               .clock = &clock_});
    router_ = router.get();
    service_ = t::startService(c, std::move(router));
    producer_ = t::producerOn(*service_);
  }

  /// A second instance on the same state and the same bus (the first one's embedded
  /// cluster), its router in a consumer group of its own: it reads every event the
  /// first one reads, as after a rebalance or a replay. Checks escalations often.
  std::unique_ptr<Service> startSecondInstance(Router*& router) {
    auto c = config(dir_.path() / "data-b");
    c.bus.embedded = false;
    c.bus.bootstrapServers = service_->bootstrapServers();
    c.createTopics = false;  // the first one made them
    auto owned = std::make_unique<Router>(RouterOptions{.rulesFile = defaultRulesFile(),
                                                        .consentSources = kConsentSources,
                                                        .groupId = "wayhome-router-b",
                                                        .escalationInterval = 50ms,
                                                        .clock = &clock_});
    router = owned.get();
    return t::startService(c, std::move(owned));
  }

  t::TopicReader& topic(const std::string& name) {
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      it = topics_
               .emplace(name, std::make_unique<t::TopicReader>(service_->bootstrapServers(),
                                                               prefix_ + name,
                                                               name.starts_with("dlq.") ? 1 : 2))
               .first;
    }
    return *it->second;
  }

  void send(const std::string& topicName, const std::string& id, const std::string& type,
            const std::string& subject, const std::string& data,
            const std::string& source = "/test") {
    bus::CloudEvent e;
    e.id = id;
    e.source = source;
    e.type = type;
    e.time = "2026-03-02T09:00:00Z";
    e.subject = subject;
    e.data = data;
    auto report = producer_->send(prefix_ + topicName, e).get();
    ASSERT_TRUE(report.ok) << report.error.message;
  }

  void sendRaw(const std::string& topicName, const std::string& value,
               std::vector<bus::Header> headers) {
    std::promise<bool> done;
    ASSERT_TRUE(producer_->sendRecord(prefix_ + topicName, "k", value, headers,
                                      [&](const bus::DeliveryReport& r) { done.set_value(r.ok); }));
    ASSERT_TRUE(done.get_future().get());
  }

  static std::string grant(const char* id, const std::string& person, const char* from,
                           const char* to, const char* purpose, const char* until) {
    return std::string(R"({"consent_id": ")") + id + R"(", "person_ref": ")" + person +
           R"(", "from_sector": ")" + from + R"(", "to_sectors": [")" + to + R"("], "purpose": ")" +
           purpose + R"(", "valid_until": ")" + until +
           R"(", "granted_at": "2026-01-01T00:00:00Z"})";
  }

  /// Waits until `n` records of `topicName` have `key` = `value`, then returns them.
  std::vector<rapidjson::Document> await(const std::string& topicName, const std::string& key,
                                         const std::string& value, std::size_t n = 1) {
    std::vector<rapidjson::Document> got;
    EXPECT_TRUE(t::waitFor(
        [&] {
          got = topic(topicName).where(key, value);
          return got.size() >= n;
        },
        20000ms))
        << topicName << " " << key << "=" << value << ": " << got.size() << " of " << n;
    return got;
  }

  static std::set<std::string> keys(const rapidjson::Value& obj) {
    std::set<std::string> out;
    for (const auto& m : obj.GetObject())
      out.insert(m.name.GetString());
    return out;
  }

  /// The audit decisions about `sourceEventId` with decision `what`.
  std::vector<rapidjson::Document> audits(const std::string& sourceEventId, const std::string& what,
                                          std::size_t n = 1) {
    std::vector<rapidjson::Document> got;
    EXPECT_TRUE(t::waitFor(
        [&] {
          got.clear();
          for (auto& d : topic("audit.decisions").decisions("source_event_id", sourceEventId)) {
            if (what == d["decision"].GetString()) got.push_back(std::move(d));
          }
          return got.size() >= n;
        },
        20000ms))
        << sourceEventId << " " << what;
    return got;
  }

  // The router's clock: Monday 2 March 2026, 09:00 UTC.
  ManualClock clock_{std::chrono::sys_days(std::chrono::year{2026} / 3 / 2) +
                     std::chrono::hours(9)};
  std::string prefix_;
  std::unique_ptr<Service> service_;
  Router* router_ = nullptr;
  std::unique_ptr<bus::Producer> producer_;
  std::map<std::string, std::unique_ptr<t::TopicReader>> topics_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RouterTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         t::backendName);

TEST_P(RouterTest, EveryEventDrivenRouteMakesItsReferralsNoticesAndAudit) {
  // A consent so that the consent-bound routes (R6, R9 nav) refer at once.
  send("consent.events", "c-ev-1", "consent.granted.v1", t::kBo,
       grant("cons-bo-h", t::kBo, "health_care", "housing", "housing_need", "2026-12-31"));
  send("consent.events", "c-ev-2", "consent.granted.v1", t::kBo,
       grant("cons-bo-n", t::kBo, "finance", "nav", "social_services", "2026-12-31"));
  audits("c-ev-2", "consent_recorded");

  send(
      "cases.plania", "r1", "tenancy.contract_signed.v1", t::kAnna,
      std::string(R"({"contract_id": "K-1", "unit_id": "A-1", "person_ref": ")") + t::kAnna +
          R"(", "start_date": "2026-03-01", "scheduled_end_date": "2029-02-28", "fixed_term": true, "guidance_folder_handed_over": true})");
  send("cases.plania", "r3", "tenancy.contract_renewed.v1", t::kAnna,
       std::string(R"({"contract_id": "K-1", "person_ref": ")") + t::kAnna +
           R"(", "new_scheduled_end_date": "2032-02-29"})");
  send("cases.plania", "r4", "tenancy.contract_terminated.v1", t::kAnna,
       std::string(R"({"contract_id": "K-1", "person_ref": ")") + t::kAnna +
           R"(", "end_date": "2033-01-31", "reason": "bought_own_home"})");
  send("cases.plania", "r5", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  send(
      "cases.gerica", "r6", "care.housing_need_observed.v1", t::kBo,
      std::string(R"({"observation_id": "O-1", "person_ref": ")") + t::kBo +
          R"(", "need_code": "needs_adaptation", "urgency": "urgent", "observer_role": "home_care_nurse", "observed_at": "2026-03-01T10:00:00Z", "note": "stairs are a problem"})");
  send(
      "cases.loan", "r7", "loan.application_decided.v1", t::kAnna,
      std::string(R"({"application_id": "LA-1", "person_ref": ")") + t::kAnna +
          R"(", "outcome": "granted", "decided_date": "2026-03-02", "amount_nok": 2500000, "valid_until": "2026-09-02"})");
  send(
      "cases.loan", "r8", "loan.application_decided.v1", kCai,
      std::string(R"({"application_id": "LA-2", "person_ref": ")") + kCai +
          R"(", "outcome": "rejected", "decided_date": "2026-03-02", "appeal_deadline": "2026-03-23", "rejection_reason": "income too low"})");
  send("cases.loan", "r9", "loan.instalment_missed.v1", t::kBo,
       std::string(R"({"loan_id": "L-1", "person_ref": ")") + t::kBo +
           R"(", "days_overdue": 75, "amount_nok": 12000, "due_date": "2025-12-15"})");
  send(
      "cases.plania", "r10", "property.maintenance_scheduled.v1", kCai,
      std::string(
          R"({"work_order_id": "W-1", "unit_id": "A-3", "from_date": "2026-05-01", "to_date": "2026-05-20", "tenant_must_move_out": true, "person_ref": ")") +
          kCai + R"(", "contract_id": "K-3", "work_type": "bathroom"})");
  send(
      "cases.plania", "r11", "property.unit_vacated.v1", "A-9",
      R"({"unit_id": "A-9", "available_from": "2026-04-01", "rent_to_own_potential": true, "monthly_rent_nok": 9800})");
  send(
      "cases.plania", "r12", "housing.application_received.v1", kCai,
      std::string(R"({"application_id": "HA-1", "person_ref": ")") + kCai +
          R"(", "household_size": 3, "registered_date": "2026-03-01", "wants_financial_advice": true})");
  send("cases.gerica", "nm", "care.service_decision.v1", t::kAnna,
       std::string(R"({"decision_id": "VED-9", "person_ref": ")") + t::kAnna +
           R"(", "service_code": "day_care", "outcome": "ended", "decided_date": "2026-03-01"})");

  // Each referral a rule makes: its source event, the sector (topic referrals.<sector>),
  // the rule, the facts it discloses and the consent it rests on (none: "").
  struct Expect {
    std::string source, sector, rule;
    std::set<std::string> facts;
    std::string consent = "";
  };
  const std::vector<Expect> referrals{
      {"r1",
       "housing",
       "R1-no-contact",
       {"contract_id", "unit_id", "start_date", "scheduled_end_date", "fixed_term",
        "guidance_folder_handed_over"}},
      {"r5", "finance", "R5-finance", {"contract_id", "months_overdue", "amount_nok"}},
      {"r6",
       "housing",
       "R6-urgent",
       {"observation_id", "need_code", "urgency", "observed_at"},
       "cons-bo-h"},
      {"r7",
       "finance",
       "R7-granted",
       {"application_id", "outcome", "amount_nok", "valid_until", "decided_date"}},
      {"r8",
       "finance",
       "R8-rejected",
       {"application_id", "outcome", "appeal_deadline", "decided_date"}},
      {"r9", "finance", "R9-finance", {"loan_id", "days_overdue", "amount_nok", "due_date"}},
      {"r9", "nav", "R9-nav", {"loan_id", "days_overdue"}, "cons-bo-n"},
      {"r10", "housing", "R10-move-out", {"work_order_id", "unit_id", "from_date", "to_date"}},
      {"r11",
       "housing",
       "R11-vacated",
       {"unit_id", "available_from", "rent_to_own_potential", "monthly_rent_nok"}},
      {"r12", "finance", "R12-advice", {"application_id", "household_size", "registered_date"}},
  };
  for (const auto& e : referrals) {
    SCOPED_TRACE(e.rule);
    std::vector<rapidjson::Document> found;
    ASSERT_TRUE(t::waitFor(
        [&] {
          found.clear();
          for (auto& d : topic("referrals." + e.sector).where("source_event_id", e.source)) {
            if (e.rule == d["rule_id"].GetString()) found.push_back(std::move(d));
          }
          return !found.empty();
        },
        20000ms));
    ASSERT_EQ(found.size(), 1u);
    const auto& r = found[0];
    EXPECT_EQ(keys(r["facts"]), e.facts);  // nothing beyond the rule's list
    EXPECT_EQ(r.HasMember("consent_id") ? std::string(r["consent_id"].GetString()) : "", e.consent);
    bool audited = false;
    for (auto& a : audits(e.source, "referral_created", 1)) {
      if (std::string(a["referral_id"].GetString()) != r["referral_id"].GetString()) continue;
      audited = true;
      EXPECT_EQ(std::string(a["rule_id"].GetString()), e.rule);
      ASSERT_EQ(a["disclosed"].Size(), 1u);
      std::set<std::string> disclosed;
      for (const auto& f : a["disclosed"][0]["fields"].GetArray())
        disclosed.insert(f.GetString());
      EXPECT_EQ(disclosed, e.facts);
      EXPECT_EQ(a.HasMember("consent_id") ? std::string(a["consent_id"].GetString()) : "",
                e.consent);
    }
    EXPECT_TRUE(audited);
  }
  // R6 urgent: due within two working days of now.
  EXPECT_STREQ(topic("referrals.housing").where("source_event_id", "r6")[0]["due_by"].GetString(),
               "2026-03-04T09:00:00.000Z");
  // R11 has no citizen: the unit is the subject.
  auto vacated = topic("referrals.housing").where("source_event_id", "r11");
  EXPECT_FALSE(vacated[0].HasMember("person_ref"));
  EXPECT_STREQ(vacated[0]["subject_id"].GetString(), "A-9");
  // R5 with one month overdue goes to finance only.
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "r5").empty());

  // Notice requests: R1 (two), R2, R3 (same series as R2), R4, R7, R10.
  auto r1 = await("notices.requests", "source_event_id", "r1", 3);
  std::map<std::string, std::string> bySeries;
  for (const auto& n : r1)
    bySeries[n["series_id"].GetString()] = n["not_before"].GetString();
  EXPECT_EQ(bySeries["K-1:follow-up-1y"], "2027-03-01");
  EXPECT_EQ(bySeries["K-1:follow-up-2y"], "2028-03-01");
  EXPECT_EQ(bySeries["K-1:renewal"], "2028-08-28");
  auto r3 = await("notices.requests", "source_event_id", "r3");
  EXPECT_STREQ(r3[0]["action"].GetString(), "reschedule");
  EXPECT_STREQ(r3[0]["series_id"].GetString(), "K-1:renewal");
  EXPECT_STREQ(r3[0]["not_before"].GetString(), "2031-08-29");
  EXPECT_STREQ(await("notices.requests", "source_event_id", "r4")[0]["action"].GetString(),
               "cancel_case");
  auto r7 = await("notices.requests", "source_event_id", "r7");
  EXPECT_STREQ(r7[0]["kind"].GetString(), "loan_guidance");
  EXPECT_STREQ(r7[0]["not_after"].GetString(), "2026-03-16");
  EXPECT_STREQ(await("notices.requests", "source_event_id", "r10")[0]["kind"].GetString(),
               "maintenance_move_out");
  audits("r1", "notice_requested", 3);
  audits("nm", "no_match");
  EXPECT_EQ(router_->counters().deadLettered, 0u);
}

// Issue 15 item 1: R2's finance referral waits in the state store for scheduled end - 6
// months, through a restart of the service, and is made once when the router's clock
// reaches that day; a contract terminated before then never gets one.
TEST_P(RouterTest, DeferredReferralWaitsForItsDayAcrossARestartAndIsMadeOnce) {
  auto signedContract = [&](const char* id, const char* contract, const char* end) {
    send(
        "cases.plania", id, "tenancy.contract_signed.v1", kCai,
        std::string(R"({"contract_id": ")") + contract + R"(", "unit_id": "A-1", "person_ref": ")" +
            kCai + R"(", "start_date": "2026-01-01", "scheduled_end_date": ")" + end +
            R"(", "fixed_term": true, "housing_contact_id": "HC-1", "guidance_folder_handed_over": true})");
  };
  signedContract("d1", "K-8", "2026-12-31");  // finance on 2026-06-30
  signedContract("d2", "K-9", "2026-12-31");  // terminated before then
  send("cases.plania", "d3", "tenancy.contract_terminated.v1", kCai,
       std::string(R"({"contract_id": "K-9", "person_ref": ")") + kCai +
           R"(", "end_date": "2026-05-31", "reason": "moved"})");
  const auto deferred = audits("d1", "referral_deferred");
  ASSERT_EQ(deferred.size(), 1U);
  EXPECT_NE(std::string(deferred[0]["detail"].GetString()).find("on 2026-06-30"),
            std::string::npos);
  const auto stopped = audits("d3", "referral_stopped");
  ASSERT_EQ(stopped.size(), 1U);
  EXPECT_EQ(std::string(stopped[0]["rule_id"].GetString()), "R4-terminated");
  // Nothing is made before the day.
  clock_.set(std::chrono::sys_days(std::chrono::year{2026} / 6 / 29) + std::chrono::hours(23));
  std::this_thread::sleep_for(1500ms);  // an escalation round or more: nothing to make
  EXPECT_TRUE(topic("referrals.finance").where("source_event_id", "d1").empty());

  // A restart: a new bus, the same state store.
  ASSERT_TRUE(service_->stop());
  service_.reset();
  topics_.clear();
  producer_.reset();
  clock_.set(std::chrono::sys_days(std::chrono::year{2026} / 7 / 1) + std::chrono::hours(9));
  start();
  const auto made = await("referrals.finance", "source_event_id", "d1");
  ASSERT_EQ(made.size(), 1U);
  EXPECT_EQ(std::string(made[0]["rule_id"].GetString()), "R2-renewal");
  EXPECT_EQ(std::string(made[0]["reason"].GetString()), "renewal_financial_assessment");
  EXPECT_EQ(std::string(made[0]["due_by"].GetString()), "2026-07-31T09:00:00.000Z");
  EXPECT_EQ(keys(made[0]["facts"]), (std::set<std::string>{"contract_id", "scheduled_end_date"}));
  ASSERT_EQ(audits("d1", "referral_created").size(), 1U);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(topic("referrals.finance").where("source_event_id", "d1").size(), 1U) << "once";
  EXPECT_TRUE(topic("referrals.finance").where("source_event_id", "d2").empty());
  // It is tracked like any referral: it escalates when nobody acknowledges it in time.
  clock_.set(std::chrono::sys_days(std::chrono::year{2026} / 8 / 1) + std::chrono::hours(9));
  EXPECT_EQ(await("referrals.finance", "referral_id", made[0]["referral_id"].GetString(), 2).size(),
            2U);
}

TEST_P(RouterTest, ConsentRefusedNeededArrivesWithdrawnAndExpired) {
  // Needed: no consent yet. Refused: nothing goes to nav.
  send("cases.plania", "a1", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 3));
  auto needed = await("referrals.housing", "source_event_id", "a1");
  ASSERT_EQ(needed.size(), 1u);
  EXPECT_STREQ(needed[0]["purpose"].GetString(), "social_services");
  EXPECT_STREQ(needed[0]["to_sector"].GetString(), "nav");
  audits("a1", "consent_needed");
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "a1").empty());

  // Arrives: the waiting referral is made, once, with the consent id.
  clock_.advance(std::chrono::hours(24));
  send("consent.events", "ca", "consent.granted.v1", t::kAnna,
       grant("cons-a", t::kAnna, "housing", "nav", "social_services", "2026-12-31"));
  auto made = await("referrals.nav", "source_event_id", "a1");
  EXPECT_STREQ(made[0]["consent_id"].GetString(), "cons-a");
  EXPECT_STREQ(made[0]["referral_id"].GetString(), needed[0]["referral_id"].GetString());
  EXPECT_STREQ(made[0]["created_at"].GetString(), "2026-03-03T09:00:00.000Z");
  audits("a1", "referral_created", 2);  // finance at once, nav on consent

  // Withdrawn: a waiting referral of another person stops.
  send("cases.plania", "b1", "tenancy.rent_arrears.v1", t::kBo, arrears(t::kBo, 2, "K-2"));
  send("consent.events", "cb0", "consent.granted.v1", t::kBo,
       grant("cons-b", t::kBo, "housing", "finance", "social_services", "2026-12-31"));
  audits("b1", "consent_needed");
  // (cons-b covers finance, not nav: b1 still waits.)
  send("consent.events", "cb1", "consent.withdrawn.v1", t::kBo,
       std::string(R"({"consent_id": "cons-b", "person_ref": ")") + t::kBo +
           R"(", "withdrawn_at": "2026-03-03T10:00:00Z"})");
  audits("cb1", "consent_recorded");
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "b1").empty());

  send("consent.events", "cb2", "consent.granted.v1", t::kBo,
       grant("cons-b2", t::kBo, "housing", "nav", "social_services", "2026-12-31"));
  send("consent.events", "cb3", "consent.withdrawn.v1", t::kBo,
       std::string(R"({"consent_id": "cons-b2", "person_ref": ")") + t::kBo +
           R"(", "withdrawn_at": "2026-03-03T11:00:00Z"})");
  // cons-b2 released b1 before it was withdrawn.
  EXPECT_EQ(await("referrals.nav", "source_event_id", "b1").size(), 1u);
  send("cases.plania", "b2", "tenancy.rent_arrears.v1", t::kBo, arrears(t::kBo, 2, "K-2"));
  audits("b2", "consent_needed");
  send("consent.events", "cb4", "consent.granted.v1", t::kBo,
       grant("cons-b3", t::kBo, "housing", "nav", "social_services", "2026-12-31"));
  send("consent.events", "cb5", "consent.withdrawn.v1", t::kBo,
       std::string(R"({"consent_id": "cons-b3", "person_ref": ")") + t::kBo +
           R"(", "withdrawn_at": "2026-03-03T11:00:00Z"})");
  audits("cb5", "consent_recorded");
  // The audit and the referral travel on different topics: wait for the referral too.
  EXPECT_EQ(await("referrals.nav", "source_event_id", "b2").size(), 1u);

  // A waiting referral that a withdrawal stops.
  send("cases.plania", "c1", "tenancy.rent_arrears.v1", kCai, arrears(kCai, 2, "K-3"));
  audits("c1", "consent_needed");
  send("consent.events", "cc0", "consent.granted.v1", kCai,
       grant("cons-c", kCai, "housing", "nav", "social_services", "2026-03-01"));  // expired
  audits("cc0", "consent_recorded");
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "c1").empty());
  send("consent.events", "cc1", "consent.withdrawn.v1", kCai,
       std::string(R"({"consent_id": "cons-c", "person_ref": ")") + kCai +
           R"(", "withdrawn_at": "2026-03-03T11:00:00Z"})");
  auto stopped = audits("c1", "referral_stopped");
  EXPECT_STREQ(stopped[0]["consent_id"].GetString(), "cons-c");
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "c1").empty());

  // Expired: an expired consent is ignored for new cases.
  send("cases.plania", "c2", "tenancy.rent_arrears.v1", kCai, arrears(kCai, 2, "K-3"));
  audits("c2", "consent_needed");
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "c2").empty());
}

TEST_P(RouterTest, RedeliveryMakesNoSecondReferral) {
  for (int i = 0; i < 3; ++i) {
    send("cases.plania", "dup-1", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  }
  send("cases.plania", "after", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  await("referrals.finance", "source_event_id", "after");
  EXPECT_EQ(topic("referrals.finance").where("source_event_id", "dup-1").size(), 1u);
  EXPECT_EQ(audits("dup-1", "referral_created").size(), 1u);
  EXPECT_GE(router_->counters().duplicates, 2u);
}

// Several instances share one database: PostgreSQL only (SQLite is one instance's file).
class RouterInstances : public RouterTest {};
INSTANTIATE_TEST_SUITE_P(Backends, RouterInstances, ::testing::Values(store::Dialect::postgres),
                         [](const auto&) { return std::string("PostgreSQL"); });

// Issue 13: two instances on one PostgreSQL database and one bus. Both routers read
// every event (a replay, a rebalance): each event is decided once, by whichever claims
// its processed key first. A consent recorded through the instance that did not
// create a waiting referral releases it; an acknowledgement through one instance
// closes the referral for both, so neither escalates it, and an overdue referral is
// escalated once although both look.
TEST_P(RouterInstances, TwoInstancesDecideEachEventOnceAndShareConsentsAndReferrals) {
  Router* routerB = nullptr;
  auto serviceB = startSecondInstance(routerB);
  auto sum = [&](auto field) { return router_->counters().*field + routerB->counters().*field; };

  // The same case event three times: six deliveries, one decision.
  for (int i = 0; i < 3; ++i)
    send("cases.plania", "twice-1", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  ASSERT_TRUE(t::waitFor([&] { return sum(&RouterCounters::duplicates) >= 5; }, 30000ms))
      << sum(&RouterCounters::duplicates);
  EXPECT_EQ(sum(&RouterCounters::processed), 1U);
  await("referrals.finance", "source_event_id", "twice-1");
  EXPECT_EQ(audits("twice-1", "referral_created").size(), 1U);

  // A referral waiting for consent, made by one of the two; the consent goes in
  // through the other's case-work API.
  const auto processedA = router_->counters().processed;
  send("cases.plania", "wait-1", "tenancy.rent_arrears.v1", t::kBo, arrears(t::kBo, 3, "K-2"));
  ASSERT_EQ(await("referrals.housing", "source_event_id", "wait-1").size(), 1U);  // needed
  ASSERT_TRUE(t::waitFor([&] { return sum(&RouterCounters::processed) == 2; }));
  const bool madeByA = router_->counters().processed > processedA;
  Service& other = madeByA ? *serviceB : *service_;
  auto post = [](Service& at, const std::string& target, const std::string& body,
                 const char* token) {
    return t::http(
        at.httpPort(), "POST", target, body,
        {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}});
  };
  auto r = post(other, "/api/v1/consents",
                grant("cons-two", t::kBo, "housing", "nav", "social_services", "2099-12-31"),
                kCaseworkerToken);
  ASSERT_EQ(r.status, 202) << r.body;
  const auto nav = await("referrals.nav", "source_event_id", "wait-1");
  ASSERT_EQ(nav.size(), 1U);
  EXPECT_STREQ(nav[0]["consent_id"].GetString(), "cons-two");
  const std::string navId = nav[0]["referral_id"].GetString();
  const std::string financeId =
      await("referrals.finance", "source_event_id", "wait-1")[0]["referral_id"].GetString();

  // Acknowledged through the instance that made it; then both are past their due time.
  Service& maker = madeByA ? *service_ : *serviceB;
  r = post(maker, "/api/v1/referrals/" + navId + "/acknowledge", "{}", t::kNavToken);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(await("referrals.nav", "referral_id", navId, 2).size(), 2U);
  clock_.advance(std::chrono::days(30));
  auto escalated = await("referrals.finance", "referral_id", financeId, 2);
  EXPECT_TRUE(escalated[1].HasMember("escalated_at"));
  std::this_thread::sleep_for(1500ms);  // both routers look again
  EXPECT_EQ(topic("referrals.finance").where("referral_id", financeId).size(), 2U);
  EXPECT_EQ(topic("referrals.nav").where("referral_id", navId).size(), 2U) << "escalated";
  std::size_t escalations = 0;
  for (const auto& d : topic("audit.decisions").decisions("decision", "referral_escalated"))
    escalations += std::string(d["referral_id"].GetString()) == financeId ? 1 : 0;
  EXPECT_EQ(escalations, 1U);
  EXPECT_EQ(topic("referrals.nav").where("source_event_id", "wait-1").size(), 1U);
  serviceB->stop();
}

TEST_P(RouterTest, PoisonGoesToTheDeadLetterTopicAndTheStreamContinues) {
  const std::vector<bus::Header> ce{{"ce_specversion", "1.0"},
                                    {"ce_id", "p-json"},
                                    {"ce_source", "/test"},
                                    {"ce_type", "tenancy.rent_arrears.v1"},
                                    {"content-type", "application/json"}};
  sendRaw("cases.plania", "{not json", ce);
  sendRaw("cases.plania", "{}", {{"content-type", "application/json"}});
  // Nesting that used to overflow the consumer's stack (and crash-loop it).
  send("cases.plania", "p-deep", "tenancy.rent_arrears.v1", t::kAnna, std::string(200000, '['));
  send("cases.plania", "p-type", "tenancy.rent_strike.v1", t::kAnna, "{}");
  send("cases.plania", "p-schema", "tenancy.rent_arrears.v1", t::kAnna,
       std::string(R"({"contract_id": "K-1", "person_ref": ")") + t::kAnna +
           R"(", "months_overdue": "three", "amount_nok": 9000})");
  send("cases.plania", "good", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  await("referrals.finance", "source_event_id", "good");

  const auto dead = topic("dlq.router").awaitAtLeast(5, 20000ms);
  ASSERT_GE(dead.size(), 5U);
  for (const auto& r : dead) {
    ASSERT_NE(r.header("dlq_reason"), nullptr);
    EXPECT_EQ(*r.header("dlq_original_topic"), prefix_ + "cases.plania");
    EXPECT_NE(r.header("dlq_original_partition"), nullptr);
    EXPECT_NE(r.header("dlq_original_offset"), nullptr);
  }
  const auto reasons = reasonsOf(dead);
  auto has = [&](const std::string& s) { return anyHolds(reasons, s); };
  EXPECT_TRUE(has("invalid JSON")) << ::testing::PrintToString(reasons);
  EXPECT_TRUE(has("ce_specversion"));
  EXPECT_TRUE(has("unknown type 'tenancy.rent_strike.v1'"));
  EXPECT_TRUE(has("schema-invalid data"));
  EXPECT_TRUE(has("/months_overdue"));
  EXPECT_TRUE(has("invalid JSON: nesting deeper than 64 at byte 64"))
      << ::testing::PrintToString(reasons);
  EXPECT_EQ(router_->counters().deadLettered, 5u);
}

// One request used to crash the process: a megabyte of '[' overflowed the stack of
// the schema validator's re-parse and of the case-work API's parser.
TEST_P(RouterTest, DeepNestingIsABadRequestNamingTheDepthAndTheServiceLives) {
  const int port = service_->httpPort();
  const std::string deep(1000000, '[');
  auto post = [&](const std::string& target, const std::string& body, const char* token) {
    return t::http(
        port, "POST", target, body,
        {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}});
  };
  auto r = post("/api/v1/schemas/tenancy.rent_arrears.v1/validate", deep, t::kViewerToken);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("nesting deeper than 64 at byte 64"), std::string::npos) << r.body;
  r = post("/api/v1/consents", "{\"consent_id\": " + deep, kCaseworkerToken);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("nesting deeper than 64"), std::string::npos) << r.body;
  // Still serving.
  r = post("/api/v1/schemas/tenancy.rent_arrears.v1/validate", "{}", t::kViewerToken);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(t::http(port, "GET", "/healthz").status, 200);
}

TEST(RouterRules, ARuleThatFailsOnAnEventDeadLettersItAndAReloadSwapsOrKeepsTheTable) {
  // Separate service: its own rules file.
  t::TempDir dir;
  const auto rules = dir / "rules.json";
  t::writeFile(rules, R"({"rules": [{"id": "N1", "match": {"type": "tenancy.rent_arrears.v1"},
    "actions": [{"request_notice": {"kind": "ad_hoc", "case": "/housing_contact_id"}}]}]})");
  const auto c = t::serviceConfig(dir / "data", 1);
  auto owned = std::make_unique<Router>(RouterOptions{.rulesFile = rules});
  auto* router = owned.get();
  const auto service = t::startService(c, std::move(owned));
  bus::Producer producer({{"bootstrap.servers", service->bootstrapServers()}});
  auto send = [&](const std::string& id, const std::string& data) {
    bus::CloudEvent e;
    e.id = id;
    e.source = "/t";
    e.type = "tenancy.rent_arrears.v1";
    e.subject = t::kAnna;
    e.data = data;
    ASSERT_TRUE(producer.send(c.bus.topicPrefix + "cases.plania", e).get().ok);
  };
  t::TopicReader dlq(service->bootstrapServers(), c.bus.topicPrefix + "dlq.router", 1);
  t::TopicReader notices(service->bootstrapServers(), c.bus.topicPrefix + "notices.requests", 1);
  send("f1", RouterTest::arrears(t::kAnna, 1));
  ASSERT_TRUE(t::waitFor([&] { return !dlq.records().empty(); }, 20000ms));
  EXPECT_NE(dlq.records()[0].header("dlq_reason")->find("rule evaluation failed: rule N1"),
            std::string::npos)
      << *dlq.records()[0].header("dlq_reason");

  // An invalid file is refused, naming rule and path; the old table stays.
  t::writeFile(rules, R"({"rules": [{"id": "N2", "match": {"type": "tenancy.rent_arrears.v1"},
    "actions": [{"refer": {"to": "nowhere", "reason": "x", "due": "P1D", "fields": []}}]}]})");
  std::string why;
  EXPECT_FALSE(router->reloadRules(why));
  EXPECT_NE(why.find("rule N2: /rules/0/actions/0/refer/to"), std::string::npos) << why;
  // A valid one is swapped in.
  t::writeFile(rules, R"({"rules": [{"id": "N3", "match": {"type": "tenancy.rent_arrears.v1"},
    "actions": [{"request_notice": {"kind": "ad_hoc", "case": "/contract_id"}}]}]})");
  EXPECT_TRUE(router->reloadRules(why)) << why;
  send("f2", std::string(R"({"contract_id": "K-5", "person_ref": ")") + t::kAnna +
                 R"(", "months_overdue": 1, "amount_nok": 1, "housing_contact_id": "hc-1"})");
  ASSERT_TRUE(t::waitFor([&] { return !notices.where("source_event_id", "f2").empty(); }, 20000ms));
  EXPECT_STREQ(notices.where("source_event_id", "f2")[0]["rule_id"].GetString(), "N3");
}

TEST_P(RouterTest, CaseWorkersRecordConsentsAcknowledgeAndCloseAndOverdueReferralsEscalateOnce) {
  const int port = service_->httpPort();
  auto post = [&](const std::string& target, const std::string& body, const std::string& token,
                  const std::string& type = "application/json") {
    return t::http(port, "POST", target, body,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", type}});
  };
  const std::string consent =
      grant("cons-api", t::kAnna, "housing", "nav", "social_services", "2099-12-31");

  // Refusals: nothing is recorded for any of them.
  EXPECT_EQ(
      t::http(port, "POST", "/api/v1/consents", consent, {{"Content-Type", "application/json"}})
          .status,
      401);
  auto r = post("/api/v1/consents", consent, t::kAdminToken);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("caseworker"), std::string::npos) << r.body;
  EXPECT_EQ(t::http(port, "GET", "/api/v1/connectors", "",
                    {{"Authorization", std::string("Bearer ") + kCaseworkerToken}})
                .status,
            403);  // a case worker's token opens no operator endpoint
  EXPECT_EQ(post("/api/v1/consents", consent, kCaseworkerToken, "text/plain").status, 415);
  r = post("/api/v1/consents", "{\"consent_id\": ", kCaseworkerToken);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  r = post("/api/v1/consents", "[1, 2]", kCaseworkerToken);
  EXPECT_EQ(r.status, 400);
  r = post("/api/v1/consents",
           grant("cons-api", "12345678901", "housing", "nav", "social_services", "2099-12-31"),
           kCaseworkerToken);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("/person_ref"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("12345678901"), std::string::npos) << "the error echoes the number";
  r = post("/api/v1/consents",
           grant("cons-api", t::kAnna, "housing", "nav", "social_services", "2020-01-01"),
           kCaseworkerToken);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("/valid_until"), std::string::npos) << r.body;

  // A referral waits for consent; the case worker's consent releases it, once.
  send("cases.plania", "a1", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 3));
  auto needed = await("referrals.housing", "source_event_id", "a1");
  ASSERT_EQ(needed.size(), 1U);
  r = post("/api/v1/consents", consent, kCaseworkerToken);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_NE(r.body.find("\"accepted\""), std::string::npos) << r.body;
  r = post("/api/v1/consents", consent, kCaseworkerToken);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"duplicate\""), std::string::npos) << r.body;
  auto nav = await("referrals.nav", "source_event_id", "a1");
  EXPECT_STREQ(nav[0]["consent_id"].GetString(), "cons-api");
  const std::string navId = nav[0]["referral_id"].GetString();
  auto finance = await("referrals.finance", "source_event_id", "a1");
  const std::string financeId = finance[0]["referral_id"].GetString();

  // Only the sector it went to acknowledges a referral.
  const std::string ack = "/api/v1/referrals/" + financeId + "/acknowledge";
  r = post(ack, R"({"sector": "housing"})", kCaseworkerToken);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("/sector"), std::string::npos) << r.body;
  EXPECT_EQ(
      post("/api/v1/referrals/ref-nope/acknowledge", R"({"sector": "finance"})", kCaseworkerToken)
          .status,
      404);
  r = post(ack, R"({"sector": "finance", "by": "adviser-7"})", kCaseworkerToken);
  EXPECT_EQ(r.status, 202) << r.body;
  auto acked = await("referrals.finance", "referral_id", financeId, 2);
  EXPECT_STREQ(acked[1]["by"].GetString(), "case-system");  // the token, not the body

  // Past their due time: the unacknowledged nav referral is escalated, once; the
  // acknowledged finance one is not.
  ASSERT_TRUE(t::waitFor([&] {
    return t::http(port, "GET", "/metrics", "",
                   {{"Authorization", std::string("Bearer ") + t::kViewerToken}})
               .body.find("wayhome_referrals{sector=\"finance\",state=\"acknowledged\"} 1") !=
           std::string::npos;
  }));
  clock_.advance(std::chrono::days(30));
  auto escalated = await("referrals.nav", "referral_id", navId, 2);
  EXPECT_TRUE(escalated[1].HasMember("escalated_at"));
  EXPECT_TRUE(t::waitFor([&] {
    for (const auto& d : topic("audit.decisions").decisions("referral_id", navId)) {
      if (std::string(d["decision"].GetString()) == "referral_escalated") return true;
    }
    return false;
  }));
  clock_.advance(std::chrono::days(30));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // two more checks
  EXPECT_EQ(topic("referrals.nav").where("referral_id", navId).size(), 2U);
  EXPECT_EQ(topic("referrals.finance").where("referral_id", financeId).size(), 2U);
  const auto metrics = t::http(port, "GET", "/metrics", "",
                               {{"Authorization", std::string("Bearer ") + t::kViewerToken}});
  EXPECT_NE(metrics.body.find("wayhome_referrals_overdue{sector=\"nav\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("wayhome_referrals_overdue{sector=\"finance\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("wayhome_referrals_escalated_total{sector=\"nav\"} 1"),
            std::string::npos);
  // Processing and end-to-end latency are histograms with observations.
  for (const char* series :
       {"wayhome_router_batch_seconds_count ", "wayhome_router_event_age_seconds_count "}) {
    const auto at = metrics.body.find(series);
    ASSERT_NE(at, std::string::npos) << series;
    EXPECT_GT(std::stod(metrics.body.substr(at + std::strlen(series))), 0) << series;
  }

  // Closed is final.
  const std::string close = "/api/v1/referrals/" + financeId + "/close";
  EXPECT_EQ(post(close, R"({"sector": "finance", "outcome": "resolved"})", kCaseworkerToken).status,
            202);
  EXPECT_TRUE(t::waitFor([&] {
    return post(ack, R"({"sector": "finance", "by": "adviser-8"})", kCaseworkerToken).status == 409;
  }));
}

// Issue 12, item 1: consent.* events count only from the configured sources, and a
// consent id is immutable within its source: a forged or re-used grant is dead-lettered
// and releases nothing.
TEST_P(RouterTest, ConsentsFromUnlistedSourcesOrReusingAnIdAreDeadLetteredNotApplied) {
  send("cases.plania", "x1", "tenancy.rent_arrears.v1", t::kBo, arrears(t::kBo, 3));
  ASSERT_EQ(await("referrals.housing", "source_event_id", "x1").size(), 1U);  // consent needed
  // A grant that would release the waiting nav referral, from a source not listed.
  send("consent.events", "forged-1", "consent.granted.v1", t::kBo,
       grant("cons-forged", t::kBo, "housing", "nav", "social_services", "2099-12-31"),
       "/elsewhere");
  // A listed source re-using its consent id for another person.
  send("consent.events", "k-cai", "consent.granted.v1", kCai,
       grant("cons-k", kCai, "housing", "nav", "social_services", "2099-12-31"));
  ASSERT_EQ(audits("k-cai", "consent_recorded").size(), 1U);
  send("consent.events", "k-bo", "consent.granted.v1", t::kBo,
       grant("cons-k", t::kBo, "housing", "nav", "social_services", "2099-12-31"));

  const auto dead = topic("dlq.router").awaitAtLeast(2, 20000ms);
  ASSERT_GE(dead.size(), 2U);
  const auto reasons = reasonsOf(dead);
  auto has = [&](const std::string& s) { return anyHolds(reasons, s); };
  EXPECT_TRUE(has("ce_source '/elsewhere' may not record consents"))
      << ::testing::PrintToString(reasons);
  EXPECT_TRUE(has("immutable")) << ::testing::PrintToString(reasons);
  // Dead letters commit with the batch that read them: nothing was released.
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(topic("referrals.nav").where("source_event_id", "x1").empty());

  // The listed source's own, fresh grant does release it.
  send("consent.events", "ok-bo", "consent.granted.v1", t::kBo,
       grant("cons-bo", t::kBo, "housing", "nav", "social_services", "2099-12-31"));
  EXPECT_EQ(await("referrals.nav", "source_event_id", "x1").size(), 1U);
}

// Issue 12, item 2: a case worker's token speaks for its own sectors only: it records
// consents from them, withdraws only those, and acknowledges or closes only referrals
// to them; the actor in the events is the token, whatever the body says.
TEST_P(RouterTest, CaseWorkerTokensSpeakOnlyForTheirSectors) {
  const int port = service_->httpPort();
  auto post = [&](const std::string& target, const std::string& body, const std::string& token) {
    return t::http(port, "POST", target, body,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  };
  // Finance cannot record what health_care may share.
  auto r = post("/api/v1/consents",
                grant("c-forge", t::kAnna, "health_care", "finance", "housing_need", "2099-12-31"),
                t::kFinanceToken);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("/from_sector"), std::string::npos) << r.body;
  // A token of two sectors must say which one; one of one sector need not.
  std::string noFrom = grant("c-fin", t::kAnna, "finance", "nav", "social_services", "2099-12-31");
  noFrom.replace(noFrom.find(R"("from_sector": "finance", )"),
                 std::string(R"("from_sector": "finance", )").size(), "");
  EXPECT_EQ(post("/api/v1/consents", noFrom, kCaseworkerToken).status, 400);
  r = post("/api/v1/consents", noFrom, t::kFinanceToken);
  EXPECT_EQ(r.status, 202) << r.body;
  auto recorded = await("consent.events", "consent_id", "c-fin");
  EXPECT_STREQ(recorded[0]["from_sector"].GetString(), "finance");
  EXPECT_STREQ(recorded[0]["recorded_by"].GetString(), "fin-system");

  // Withdrawn only by a token of the sector that gave it (once the register has it).
  ASSERT_TRUE(t::waitFor([&] {
    return post("/api/v1/consents/c-fin/withdraw",
                R"({"person_ref": ")" + std::string(t::kAnna) + R"("})", t::kCareToken)
               .status == 403;
  }));
  // Its id is taken: the same id for another person is refused, the same grant is not.
  std::string reused = noFrom;
  reused.replace(reused.find(t::kAnna), std::string(t::kAnna).size(), t::kBo);
  r = post("/api/v1/consents", reused, t::kFinanceToken);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("immutable"), std::string::npos) << r.body;
  EXPECT_EQ(post("/api/v1/consents", noFrom, t::kFinanceToken).status, 200);  // duplicate
  EXPECT_EQ(post("/api/v1/consents/c-nope/withdraw",
                 R"({"person_ref": ")" + std::string(t::kAnna) + R"("})", t::kFinanceToken)
                .status,
            404);
  r = post("/api/v1/consents/c-fin/withdraw",
           R"({"person_ref": ")" + std::string(t::kAnna) + R"("})", t::kFinanceToken);
  EXPECT_EQ(r.status, 202) << r.body;

  // A finance referral: not health_care's to acknowledge or close.
  send("cases.plania", "s1", "tenancy.rent_arrears.v1", t::kAnna, arrears(t::kAnna, 1));
  const std::string id =
      await("referrals.finance", "source_event_id", "s1")[0]["referral_id"].GetString();
  const std::string ack = "/api/v1/referrals/" + id + "/acknowledge";
  ASSERT_TRUE(t::waitFor([&] { return post(ack, "{}", t::kCareToken).status == 403; }));
  r = post("/api/v1/referrals/" + id + "/close", R"({"sector": "finance"})", t::kCareToken);
  EXPECT_EQ(r.status, 403) << r.body;
  r = post(ack, R"({"by": "somebody-else"})", t::kFinanceToken);
  EXPECT_EQ(r.status, 202) << r.body;
  auto acked = await("referrals.finance", "referral_id", id, 2);
  EXPECT_STREQ(acked[1]["by"].GetString(), "fin-system");
  EXPECT_STREQ(acked[1]["sector"].GetString(), "finance");
}

}  // namespace
}  // namespace wayhome::services
