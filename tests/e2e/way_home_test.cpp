// Issue 15, the routes driven by source events, through one running binary: Plania
// (polled from a simulator this test writes records into), GERICA messages and signed
// loan webhooks in; referrals, consent requests, meeting notices and audit records
// checked on the bus; the waiting list's size on /metrics.
//
//  1 finance at renewal: R2's finance referral made at scheduled end - 6 months (due at
//    once here), moved by a renewal (R3), stopped by a termination (R4);
//  5 an eviction (R14: housing, NAV under consent, a meeting notice) and a warning of
//    termination for arrears before it (R15: finance, NAV asks for consent);
//  6 the waiting list (R18): a household approved four months ago without a plan is
//    referred; allocation and a recorded plan stop the referral;
//  7 plans and home-care decisions from GERICA (R19): housing hears that they exist,
//    under consent, never their content;
//  8 guidance folders (R16), 9 start-up loans from application on (R17).

#include <csignal>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/simulators/plania_simulator.hpp>
#include <wayhome/testing/topic_reader.hpp>

#include "loan_support.hpp"

namespace {

using namespace wayhome::loantest;
using namespace std::chrono;
namespace plania = wayhome::connectors::plania;
namespace bus = wayhome::bus;

const std::string kPlaniaToken = "way-home-e2e-plania-token";
const std::string kHousingToken = "way-home-e2e-housing-caseworker-token";
const std::string kViewerToken = "way-home-e2e-viewer-token-0123456789";

// Synthetic (Tenor) identity numbers, one per citizen.
const char* const kNins[] = {"15838510075", "01818012345", "02818098765", "03818011111",
                             "04818022222", "05818033333", "06818044444", "07818055555"};

std::string validNin(int i) {
  // Make the check digits of a synthetic base valid.
  std::string base = std::string(kNins[i]).substr(0, 9);
  for (int tries = 0; tries < 1000; ++tries) {
    static constexpr int kW1[] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
    static constexpr int kW2[] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
    int s = 0;
    for (int k = 0; k < 9; ++k)
      s += (base[static_cast<std::size_t>(k)] - '0') * kW1[k];
    int k1 = 11 - s % 11;
    if (k1 == 11) k1 = 0;
    std::string n = base + static_cast<char>('0' + (k1 % 10));
    s = 0;
    for (int k = 0; k < 10; ++k)
      s += (n[static_cast<std::size_t>(k)] - '0') * kW2[k];
    int k2 = 11 - s % 11;
    if (k2 == 11) k2 = 0;
    if (k1 != 10 && k2 != 10) return n + static_cast<char>('0' + k2);
    base[8] = static_cast<char>('0' + (base[8] - '0' + 1) % 10);
  }
  return {};
}

std::string day(int fromToday) {
  return wayhome::formatDate(floor<days>(system_clock::now()) + days(fromToday));
}

struct Seen {
  std::string topic;
  std::string type;
  rapidjson::Document data;
};

class WayHomeE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    plania::SimulatorSettings s;
    s.address = "127.0.0.1";
    s.port = 0;
    s.token = kPlaniaToken;
    s.stepInterval = 0ms;
    s.households = 0;
    s.units = 0;
    sim_ = std::make_unique<plania::PlaniaSimulator>(s);
    sim_->start({});
    for (int i = 0; i < 8; ++i) {
      sim_->put(plania::Entity::kCustomer, "CUS-" + std::to_string(i),
                R"({"nationalIdentityNumber": ")" + validNin(i) + R"(", "householdSize": 2})");
    }
    const std::string tokens =
        R"([{"name": "housing-system", "role": "caseworker", "sectors": ["housing"], "token": ")" +
        kHousingToken + R"("}, {"name": "viewer", "role": "viewer", "token": ")" + kViewerToken +
        R"("}])";
    ASSERT_TRUE(served_.start(
        R"(, "insecure_demo": true, "bus": {"default_partitions": 2},
           "ops": {"tokens": )" +
        tokens + R"(},
           "scheduler": {"poll_ms": 100, "recurring": []},
           "connectors": [
             {"type": "plania", "name": "plania", "settings": {"base_url": ")" +
        sim_->baseUrl() + R"(", "token": ")" + kPlaniaToken + R"(", "poll_interval_ms": 100}},
             {"type": "gerica", "name": "gerica", "settings": {}},
             {"type": "loan", "name": "loan", "settings": {"secret": ")" +
        kSecret + R"("}}])"))
        << served_.log();
  }

  void TearDown() override {
    if (served_.process().running()) {
      EXPECT_EQ(served_.stop(t::scaled(20000ms)), std::optional<int>(0)) << served_.log();
    }
    sim_->stop();
  }

  void contract(const std::string& id, const std::string& fields) {
    sim_->put(plania::Entity::kContract, id, fields);
  }

  // A signed contract of customer `customer` starting 30 days ago.
  void signedContract(const std::string& id, int customer, const std::string& end,
                      bool folder = true) {
    contract(id, R"({"status": "ACTIVE", "customerId": "CUS-)" + std::to_string(customer) +
                     R"(", "areaId": "AREA-)" + id + R"(", "startDate": ")" + day(-30) +
                     R"(", "scheduledEndDate": ")" + end +
                     R"(", "fixedTerm": true, "housingContactId": "HC-1",
                        "guidanceFolderHandedOver": )" +
                     (folder ? "true" : "false") + "}");
  }

  // Waits until Plania's connector took every contract change so far (its cases.plania
  // count no longer grows) - a later change to the same record must be seen apart.
  void settle() {
    std::size_t last = 0;
    int still = 0;
    t::waitFor(
        [&] {
          const auto r = t::http(served_.port(), "GET", "/api/v1/connectors/plania", "",
                                 {{"Authorization", "Bearer " + kViewerToken}});
          rapidjson::Document d;
          d.Parse(r.body.c_str());
          std::size_t out = 0;
          if (d.IsObject() && d.HasMember("counts")) out = d["counts"]["out"].GetUint64();
          still = (out == last && out > 0) ? still + 1 : 0;
          last = out;
          return still >= 5;
        },
        30000ms, 100ms);
  }

  t::HttpResult gerica(const std::string& msgId, int citizen, const std::string& code,
                       const std::string& docId, const std::string& facts) {
    const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>
<Type V="DIALOG_NOTAT"/><GenDate>2026-11-01T10:00:00+01:00</GenDate><MsgId>)" +
                            msgId + R"(</MsgId>
<Sender><Organisation><Ident><Id>974600951</Id><TypeId V="ENH"/></Ident></Organisation></Sender>
<Patient><Ident><Id>)" + validNin(citizen) +
                            R"(</Id><TypeId V="FNR"/></Ident></Patient></MsgInfo>
<Document><RefDoc><Content><Dialogmelding><Notat><TemaKodet V=")" +
                            code + R"("/><DokIdNotat>)" + docId +
                            R"(</DokIdNotat><DatoNotat>2026-11-01T09:40:00+01:00</DatoNotat>)" +
                            facts +
                            "</Notat></Dialogmelding></Content></RefDoc></Document></MsgHead>\n";
    return t::http(served_.port(), "POST", "/api/v1/connectors/gerica/gerica/messages", xml,
                   {{"Content-Type", "application/xml"}});
  }

  t::HttpResult loan(const std::string& id, int citizen, const std::string& type,
                     const std::string& fields) {
    const std::string body =
        R"({"id":")" + id + R"(","type":")" + type +
        R"(","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":")" +
        validNin(citizen) + "\"," + fields + "}}";
    return post(served_.port(), body, signedHeaders(body));
  }

  std::unique_ptr<plania::PlaniaSimulator> sim_;
  t::TempDir dir_;
  t::ServedBinary served_{dir_.path()};
};

// Reads topics from their start into `seen`, on each call what came since.
class Reader {
 public:
  Reader(const std::string& bootstrap, const std::vector<std::string>& topics) {
    for (const auto& topic : topics) {
      auto c = std::make_unique<bus::Consumer>(
          bus::ClientProperties{{"bootstrap.servers", bootstrap}},
          bus::ConsumerOptions{.groupId = t::uniquePrefix() + topic});
      c->assign(topic, {0, 1}, true);
      consumers_.emplace_back(topic, std::move(c));
    }
  }
  void poll() {
    for (auto& [topic, c] : consumers_) {
      for (auto& r : c->poll(20ms, 10000)) {
        auto e = bus::binding::fromRecord(r);
        ASSERT_TRUE(e) << e.error().message;
        if (topic == "audit.decisions") {  // one Seen per decision the record lists
          for (auto& d : t::auditDecisions(e.value().data))
            seen.push_back(Seen{topic, e.value().type, std::move(d)});
          continue;
        }
        Seen s{topic, e.value().type, {}};
        s.data.Parse(e.value().data.c_str());
        seen.push_back(std::move(s));
      }
    }
  }
  std::vector<Seen> seen;

 private:
  std::vector<std::pair<std::string, std::unique_ptr<bus::Consumer>>> consumers_;
};

std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

TEST_F(WayHomeE2e, RoutesOfIssue15FromTheSourcesThroughTheRunningBinary) {
  Reader reader(served_.runtime().bootstrap,
                {"cases.plania", "audit.decisions", "referrals.housing", "referrals.finance",
                 "referrals.nav", "notices.meetings"});
  // The person_ref of a contract or application, from its events on cases.plania.
  auto personOf = [&](const std::string& id) {
    std::string ref;
    t::waitFor(
        [&] {
          reader.poll();
          for (const auto& e : reader.seen) {
            if (e.topic == "cases.plania" &&
                (str(e.data, "contract_id") == id || str(e.data, "application_id") == id)) {
              ref = str(e.data, "person_ref");
            }
          }
          return !ref.empty();
        },
        30000ms, 50ms);
    return ref;
  };

  // ---- Plania: contracts and applications (items 1, 5, 6, 8) -------------------------
  signedContract("CON-A", 0, day(90), /*folder=*/false);  // renewal near: finance at once
  signedContract("CON-B", 1, day(730));                   // finance in about 18 months
  signedContract("CON-C", 2, day(730));                   // will be evicted
  signedContract("CON-D", 3, day(730));                   // will be warned
  auto application = [&](const std::string& id, int customer, const std::string& approved) {
    contract(id, R"({"status": "APPROVED", "customerId": "CUS-)" + std::to_string(customer) +
                     R"(", "applicationRegisteredDate": ")" + day(-200) +
                     R"(", "approvalDate": ")" + approved + R"("})");
  };
  application("CON-E", 4, day(-120));  // waiting four months, no plan: housing is told
  application("CON-F", 5, day(-1));    // will get a unit
  application("CON-G", 6, day(-1));    // will get a plan
  const std::string evicted = personOf("CON-C");
  ASSERT_FALSE(evicted.empty()) << served_.log();
  ASSERT_FALSE(personOf("CON-G").empty());
  settle();
  // NAV may hear of CON-C's eviction: the tenant consented (case-work API, housing's token).
  const auto consent =
      t::http(served_.port(), "POST", "/api/v1/consents",
              R"({"consent_id": "c-evict", "person_ref": ")" + evicted +
                  R"(", "from_sector": "housing", "to_sectors": ["nav"],
                  "purpose": "social_services", "valid_until": ")" +
                  day(365) + R"(", "granted_at": "2026-11-01T10:00:00Z"})",
              {{"Authorization", "Bearer " + kHousingToken}, {"Content-Type", "application/json"}});
  ASSERT_EQ(consent.status, 202) << consent.body;
  contract("CON-B", R"({"scheduledEndDate": ")" + day(1460) + R"("})");  // renewed
  contract("CON-D", R"({"monthsOverdue": 2, "arrearsAmount": 17000,
                        "terminationWarningDate": ")" +
                        day(0) + R"(", "terminationWarningReason": "HUSLEIERESTANSE"})");
  contract("CON-F",
           R"({"status": "ALLOCATED", "allocationDate": ")" + day(0) + R"(", "areaId": "AREA-F"})");
  contract("CON-G", R"({"housingPlanDate": ")" + day(0) + R"("})");
  settle();
  contract("CON-B", R"({"status": "TERMINATED", "endDate": ")" + day(30) +
                        R"(", "terminationReason": "FRAFLYTTET"})");
  contract("CON-C", R"({"status": "TERMINATED", "endDate": ")" + day(20) +
                        R"(", "terminationReason": "UTKASTELSE"})");

  // ---- GERICA: a plan and home care, under consent and without (item 7) -------------
  const std::string until = R"(<Opplysning Navn="valid_until" V=")" + day(365) + R"("/>)";
  EXPECT_EQ(gerica("m-consent", 7, "CONSENT_GRANTED", "CNF-7",
                   R"(<Opplysning Navn="to_sector" V="housing"/>)"
                   R"(<Opplysning Navn="purpose" V="housing_follow_up"/>)" +
                       until)
                .status,
            200);
  EXPECT_EQ(gerica("m-plan", 7, "PLAN_UPDATED", "IP-7",
                   R"(<Opplysning Navn="coordinator_role" V="care_coordinator"/>)"
                   R"(<Opplysning Navn="sector" V="health_care"/>)"
                   R"(<Opplysning Navn="sector" V="housing"/>)")
                .status,
            200);
  EXPECT_EQ(gerica("m-home-care", 7, "SERVICE_GRANTED", "VED-7",
                   R"(<Opplysning Navn="service" V="home_nursing"/>)")
                .status,
            200);
  EXPECT_EQ(gerica("m-no-consent", 6, "SERVICE_GRANTED", "VED-6",
                   R"(<Opplysning Navn="service" V="practical_assistance"/>)")
                .status,
            200);

  // ---- start-up loans (items 8, 9) ---------------------------------------------------
  EXPECT_EQ(loan("l-1", 5, "application_submitted",
                 R"("application_id":"SL-1","amount_asked_nok":2500000,"submitted_date":")" +
                     day(-150) + "\"")
                .status,
            202);
  EXPECT_EQ(loan("l-2", 5, "application_decided",
                 R"("application_id":"SL-1","outcome":"granted","decided_date":")" + day(-130) +
                     R"(","amount_nok":2400000,"valid_until":")" + day(50) + "\"")
                .status,
            202);
  EXPECT_EQ(loan("l-3", 5, "disbursed",
                 R"("loan_id":"LOAN-1","disbursed_date":")" + day(-100) +
                     R"(","amount_nok":2400000,"application_id":"SL-1")")
                .status,
            202);

  // ---- what came out ----------------------------------------------------------------
  // rule -> decisions, from the audit topic.
  const std::set<std::pair<std::string, std::string>> expected{
      {"R2-renewal", "referral_created"},
      {"R2-renewal", "referral_deferred"},
      {"R3-renewed", "referral_deferred"},
      {"R4-terminated", "referral_stopped"},
      {"R14-eviction-housing", "referral_created"},
      {"R14-eviction-housing", "notice_requested"},
      {"R14-eviction-nav", "referral_created"},
      {"R15-warning-finance", "referral_created"},
      {"R15-warning-nav", "consent_needed"},
      {"R18-waiting-list", "referral_created"},
      {"R18-waiting-list", "referral_deferred"},
      {"R18-allocated", "referral_stopped"},
      {"R18-plan-recorded", "referral_stopped"},
      {"R16-guidance-folder", "referral_created"},
      {"R16-my-own-home-folder", "referral_created"},
      {"R17-loan-application", "referral_created"},
      {"R17-loan-disbursed", "referral_created"},
      {"R19-individual-plan", "referral_created"},
      {"R19-home-care", "referral_created"},
      {"R19-home-care", "consent_needed"}};
  std::set<std::pair<std::string, std::string>> decided;
  auto missing = [&] {
    std::string out;
    for (const auto& e : expected) {
      if (!decided.contains(e)) out += e.first + "/" + e.second + " ";
    }
    return out;
  };
  const bool all = t::waitFor(
      [&] {
        reader.poll();
        decided.clear();
        for (const auto& e : reader.seen) {
          if (e.topic == "audit.decisions" && !str(e.data, "rule_id").empty()) {
            decided.insert({str(e.data, "rule_id"), str(e.data, "decision")});
          }
        }
        bool eviction = false;
        for (const auto& e : reader.seen) {
          eviction |= e.topic == "notices.meetings" && str(e.data, "kind") == "eviction_follow_up";
        }
        return (missing().empty() && eviction) || !served_.process().running();
      },
      90000ms, 100ms);
  ASSERT_TRUE(all) << "never decided: " << missing() << "\n" << served_.log();

  // Each referral: on its sector's topic, the facts its rule names, audited as disclosed.
  std::map<std::string, const Seen*> referralsByRule;
  std::map<std::string, const rapidjson::Value*> auditByReferral;
  for (const auto& e : reader.seen) {
    if (e.topic == "audit.decisions" && str(e.data, "decision") == "referral_created") {
      auditByReferral[str(e.data, "referral_id")] = &e.data;
    }
  }
  const std::map<std::string, std::pair<std::string, std::set<std::string>>> want{
      {"R2-renewal", {"finance", {"contract_id", "scheduled_end_date"}}},
      {"R14-eviction-housing", {"housing", {"contract_id", "end_date", "reason"}}},
      {"R14-eviction-nav", {"nav", {"contract_id", "end_date"}}},
      {"R15-warning-finance",
       {"finance", {"contract_id", "warned_date", "months_overdue", "amount_nok"}}},
      {"R18-waiting-list", {"housing", {"application_id", "approved_date", "household_size"}}},
      {"R16-guidance-folder", {"housing", {"contract_id", "unit_id", "start_date"}}},
      {"R16-my-own-home-folder", {"finance", {"application_id", "decided_date"}}},
      {"R17-loan-application",
       {"finance", {"application_id", "amount_asked_nok", "submitted_date"}}},
      {"R17-loan-disbursed", {"finance", {"loan_id", "disbursed_date", "amount_nok"}}},
      {"R19-individual-plan", {"housing", {"plan_id", "updated_at"}}},
      {"R19-home-care", {"housing", {"decision_id", "decided_date"}}},
      // the routes before issue 15 that these cases meet too
      {"R5-finance", {"finance", {"contract_id", "months_overdue", "amount_nok"}}},
      {"R7-granted",
       {"finance", {"application_id", "outcome", "amount_nok", "valid_until", "decided_date"}}}};
  std::set<std::string> stoppedIds;
  for (const auto& e : reader.seen) {
    if (e.topic == "audit.decisions" && str(e.data, "decision") == "referral_stopped") {
      stoppedIds.insert(str(e.data, "referral_id"));
    }
  }
  for (const auto& e : reader.seen) {
    if (e.type != "referral.created.v1") continue;
    const std::string rule = str(e.data, "rule_id");
    const std::string id = str(e.data, "referral_id");
    SCOPED_TRACE(rule + " " + id);
    EXPECT_FALSE(stoppedIds.contains(id)) << "a stopped referral was made";
    if (!want.contains(rule)) {
      ADD_FAILURE() << "a referral of an unexpected rule";
      continue;
    }
    EXPECT_EQ(e.topic, "referrals." + want.at(rule).first);
    std::set<std::string> facts;
    for (const auto& f : e.data["facts"].GetObject())
      facts.insert(f.name.GetString());
    EXPECT_EQ(facts, want.at(rule).second);
    if (rule.starts_with("R19") || rule == "R14-eviction-nav") {
      EXPECT_FALSE(str(e.data, "consent_id").empty()) << "made under a consent";
    }
    ASSERT_TRUE(auditByReferral.contains(id));
    const auto& a = *auditByReferral.at(id);
    ASSERT_EQ(a["disclosed"].Size(), 1U);
    EXPECT_EQ(std::string(a["disclosed"][0]["to_sector"].GetString()), want.at(rule).first);
    referralsByRule[rule] = &e;
  }
  EXPECT_EQ(referralsByRule.size(), want.size());
  // R2 made CON-A's referral (its renewal is near); CON-B's was moved, then stopped.
  ASSERT_TRUE(referralsByRule.contains("R2-renewal"));
  EXPECT_EQ(str(referralsByRule.at("R2-renewal")->data["facts"], "contract_id"), "CON-A");
  EXPECT_EQ(str(referralsByRule.at("R18-waiting-list")->data["facts"], "application_id"), "CON-E");
  // Consent requests go to the housing contact's topic.
  std::size_t consentRequests = 0;
  for (const auto& e : reader.seen) {
    if (e.type == "referral.consent_needed.v1") {
      EXPECT_EQ(e.topic, "referrals.housing");
      ++consentRequests;
    }
  }
  EXPECT_GE(consentRequests, 2U);

  // The waiting list: CON-E (no plan yet) and CON-G (a plan, no unit) wait.
  ASSERT_TRUE(t::waitFor(
      [&] {
        const auto m = t::http(served_.port(), "GET", "/metrics", "",
                               {{"Authorization", "Bearer " + kViewerToken}});
        return m.body.find("wayhome_waiting_list{connector=\"plania\"} 2") != std::string::npos;
      },
      10000ms, 100ms))
      << t::http(served_.port(), "GET", "/metrics", "",
                 {{"Authorization", "Bearer " + kViewerToken}})
             .body;
}

}  // namespace
