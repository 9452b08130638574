// The parts of the method a person starts through the API (issue 15, items 2, 3, 4, 11
// and 12), through the real binary: one served binary for every case of this file.
// Calls go in over HTTP with case-worker tokens of each sector; referrals, notices and
// audit records are read back from the bus, webhooks from local receivers. Every new
// body is also sent malformed, oversized, wrong-typed and by the wrong sector: each is
// refused naming the field, and nothing reaches the bus.

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/testing/http_receiver.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

constexpr const char* kLoanSecret = "method-loan-secret-0123456789abcdef";
constexpr const char* kNin = "15838510075";  // synthetic (Tenor)
constexpr const char* kHookSecret = "method-webhook-secret-0123456789";

/// A working day at least a week ahead (in Oslo) whose next day is one too.
scheduler::Days workingDayAhead() {
  using namespace std::chrono;
  auto d = scheduler::osloDay(floor<seconds>(system_clock::now())) + days(7);
  while (!scheduler::isWorkingDay(d) || !scheduler::isWorkingDay(d + days(1)))
    d += days(1);
  return d;
}

/// `d` at hh:mm in Oslo, as RFC 3339 with the Oslo offset.
std::string osloAt(scheduler::Days d, int h, int m) {
  return scheduler::formatOsloRfc3339(
      scheduler::fromOslo(scheduler::LocalTime{d.time_since_epoch()} + std::chrono::hours(h) +
                          std::chrono::minutes(m)));
}

class MethodApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<t::TempDir>();
    housingHook_ = std::make_unique<t::HttpReceiver>();
    financeHook_ = std::make_unique<t::HttpReceiver>();
    served_ = std::make_unique<t::ServedBinary>(dir_->path());
    const std::string hook = std::string(R"(, "secret": ")") + kHookSecret +
                             R"(", "timeout_ms": 2000, "initial_backoff_ms": 20, )"
                             R"("max_backoff_ms": 100)";
    const std::string config =
        R"(, "bus": {"default_partitions": 1}, "ops": {"tokens": [)" +
        t::opsTokenJson("housing-system", "caseworker", t::kHousingToken, {"housing"}) + "," +
        t::opsTokenJson("finance-system", "caseworker", t::kFinanceToken, {"finance"}) + "," +
        t::opsTokenJson("nav-system", "caseworker", t::kNavToken, {"nav"}) + "," +
        t::opsTokenJson("care-system", "caseworker", t::kCareToken, {"health_care"}) + "," +
        t::opsTokenJson("property-system", "caseworker", t::kPropertyToken, {"property"}) + "," +
        t::opsTokenJson("ops", "viewer", t::kViewerToken) + "," +
        t::opsTokenJson("admin", "admin", t::kAdminToken) + R"(]},
        "connectors": [{"type": "loan", "name": "loan", "settings": {"secret": ")" +
        kLoanSecret +
        R"("}}],
        "identity": {"reidentification": {"key_file": ")" +
        (dir_->path() / "vault.key").string() +
        R"(", "per_minute": 5}},
        "scheduler": {"poll_ms": 50},
        "delivery": {"webhooks": [{"name": "housing-sys", "sector": "housing", "url": ")" +
        housingHook_->url("/housing") + "\"" + hook +
        R"(, "events": ["referral.created.v1", "referral.consent_needed.v1",
                        "meeting.notice.v1"]},
            {"name": "finance-sys", "sector": "finance", "url": ")" +
        financeHook_->url("/finance") + "\"" + hook + "}]}";
    t::writeSecretFile(dir_->path() / "vault.key", "method-vault-key-0123456789abcdef0123456789\n");
    started_ = served_->start(config);
  }

  static void TearDownTestSuite() {
    readers_.clear();  // before the bus goes away
    if (served_) {
      EXPECT_EQ(served_->stop(), 0) << served_->log();
    }
    served_.reset();
    housingHook_.reset();
    financeHook_.reset();
    dir_.reset();
  }

  void SetUp() override { ASSERT_TRUE(started_) << served_->log(); }

  static t::HttpResult post(const std::string& path, const std::string& body, const char* bearer,
                            const std::string& type = "application/json") {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", type}};
    if (bearer != nullptr) headers.emplace_back("Authorization", std::string("Bearer ") + bearer);
    return t::http(served_->port(), "POST", path, body, headers);
  }

  /// Posts `body` to `path` as `bearer`, checks that it made one referral (201) and
  /// parses the answer into `answer` (the referral: answer["referrals"][0]).
  static void postOneReferral(const std::string& path, const std::string& body, const char* bearer,
                              rapidjson::Document& answer) {
    const auto r = post(path, body, bearer);
    ASSERT_EQ(r.status, 201) << r.body;
    answer.Parse(r.body.c_str());
    ASSERT_TRUE(answer.IsObject()) << r.body;
    ASSERT_EQ(answer["referrals"].Size(), 1U) << r.body;
  }

  static t::TopicReader& topic(const std::string& name) {
    auto it = readers_.find(name);
    if (it == readers_.end()) {
      it = readers_
               .emplace(name, std::make_unique<t::TopicReader>(served_->runtime().bootstrap, name))
               .first;
    }
    return *it->second;
  }

  /// The CloudEvents of `topic` whose data has `key` = `value` (waits for `count`).
  static std::vector<bus::CloudEvent> events(const std::string& name, const std::string& key,
                                             const std::string& value, std::size_t count = 1) {
    std::vector<bus::CloudEvent> out;
    t::waitFor(
        [&] {
          out.clear();
          for (const auto& r : topic(name).records()) {
            auto e = bus::binding::fromRecord(r);
            if (!e) continue;
            // An audit record lists the decisions on one event: one entry each.
            std::vector<rapidjson::Document> docs;
            if (name == "audit.decisions") {
              docs = t::auditDecisions(e.value().data);
            } else {
              docs.emplace_back().Parse(e.value().data.c_str());
            }
            for (const auto& d : docs) {
              if (d.IsObject() && d.HasMember(key.c_str()) && d[key.c_str()].IsString() &&
                  value == d[key.c_str()].GetString()) {
                out.push_back(e.value());
                if (name == "audit.decisions") {
                  rapidjson::StringBuffer b;
                  rapidjson::Writer<rapidjson::StringBuffer> w(b);
                  d.Accept(w);
                  out.back().data = b.GetString();
                }
              }
            }
          }
          return out.size() >= count;
        },
        15000ms);
    return out;
  }

  /// The requests `hook` got whose body holds `needle`, of CloudEvent type `type`.
  static std::vector<t::HttpReceiver::Request> hooked(const t::HttpReceiver& hook,
                                                      const std::string& type,
                                                      const std::string& needle) {
    std::vector<t::HttpReceiver::Request> out;
    for (const auto& r : hook.requests()) {
      auto it = r.headers.find("ce-type");
      if (it != r.headers.end() && it->second == type && r.body.find(needle) != std::string::npos) {
        out.push_back(r);
      }
    }
    return out;
  }

  static rapidjson::Document json(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    return d;
  }

  /// How many records each topic holds now (to show that a refusal published nothing).
  static std::map<std::string, std::size_t> counts() {
    std::map<std::string, std::size_t> out;
    for (const char* name :
         {"referrals.housing", "referrals.finance", "referrals.nav", "referrals.health_care",
          "referrals.property", "audit.decisions", "notices.meetings"}) {
      out[name] = topic(name).records().size();
    }
    return out;
  }

  /// counts() once nothing more arrives for a moment (what earlier calls caused is in).
  static std::map<std::string, std::size_t> settledCounts() {
    auto last = counts();
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(200ms);
      auto now = counts();
      if (now == last) return now;
      last = std::move(now);
    }
    return last;
  }

  /// Every body in `bodies` is refused with `status` and an error naming `field`.
  static void refused(const std::string& path, const char* bearer,
                      const std::vector<std::tuple<std::string, int, std::string>>& bodies) {
    for (const auto& [body, status, field] : bodies) {
      SCOPED_TRACE(body.substr(0, 200));
      const auto r = post(path, body, bearer);
      EXPECT_EQ(r.status, status) << r.body;
      EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
    }
  }

  static inline std::unique_ptr<t::TempDir> dir_;
  static inline std::unique_ptr<t::HttpReceiver> housingHook_;
  static inline std::unique_ptr<t::HttpReceiver> financeHook_;
  static inline std::unique_ptr<t::ServedBinary> served_;
  static inline std::map<std::string, std::unique_ptr<t::TopicReader>> readers_;
  static inline bool started_ = false;
};

// Item 3: NAV refers a citizen with debt to finance (R30), health and care refers one to
// housing (R31: consent asked first, made when it comes); both open with a due time,
// are acknowledged and closed like rule-made ones, and every step is audited.
TEST_F(MethodApi, AnotherServiceRefersACitizenToTeamBolig) {
  rapidjson::Document answer;
  ASSERT_NO_FATAL_FAILURE(
      postOneReferral("/api/v1/referrals",
                      std::string(R"({"request_id": "NAV-1", "person_ref": ")") + t::kAnna +
                          R"(", "to_sector": "finance", "need": "debt", "urgency": "normal",
                    "note": "Debt collection; born 01017012345 says the letter"})",
                      t::kNavToken, answer));
  const std::string financeId = answer["referrals"][0]["referral_id"].GetString();
  EXPECT_STREQ(answer["referrals"][0]["rule_id"].GetString(), "R30-referral");
  EXPECT_STREQ(answer["referrals"][0]["state"].GetString(), "open");
  const std::string eventId = answer["event_id"].GetString();

  // The same request again is the same referral.
  auto r = post("/api/v1/referrals",
                std::string(R"({"request_id": "NAV-1", "person_ref": ")") + t::kAnna +
                    R"(", "to_sector": "finance", "need": "debt", "urgency": "normal"})",
                t::kNavToken);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("duplicate"), std::string::npos);

  auto made = events("referrals.finance", "referral_id", financeId);
  ASSERT_EQ(made.size(), 1U);
  auto d = json(made[0].data);
  EXPECT_STREQ(d["from_sector"].GetString(), "nav");
  EXPECT_STREQ(d["to_sector"].GetString(), "finance");
  EXPECT_STREQ(d["reason"].GetString(), "referred_by_other_service");
  EXPECT_STREQ(d["facts"]["need"].GetString(), "debt");
  // The identity number in the note never reached the bus.
  EXPECT_EQ(made[0].data.find("01017012345"), std::string::npos);
  EXPECT_NE(std::string(d["facts"]["note"].GetString()).find("[redacted]"), std::string::npos);
  const auto created = scheduler::parseRfc3339(d["created_at"].GetString());
  const auto due = scheduler::parseRfc3339(d["due_by"].GetString());
  ASSERT_TRUE(created && due);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::hours>(*due - *created).count(), 14 * 24);

  // Audited: who asked (the token), and the router's decision with what was disclosed.
  auto asked = events("audit.decisions", "source_event_id", eventId, 2);
  std::set<std::string> decisions;
  for (const auto& a : asked) {
    auto ad = json(a.data);
    decisions.insert(ad["decision"].GetString());
    if (std::string(ad["decision"].GetString()) == "referral_requested") {
      EXPECT_STREQ(ad["actor"].GetString(), "nav-system");
    }
  }
  EXPECT_TRUE(decisions.contains("referral_requested"));
  EXPECT_TRUE(decisions.contains("referral_created"));

  // The same lifecycle: finance acknowledges and closes it; NAV may not.
  const std::string ack = "/api/v1/referrals/" + financeId + "/acknowledge";
  EXPECT_EQ(post(ack, "{}", t::kNavToken).status, 403);
  EXPECT_EQ(post(ack, "{}", t::kFinanceToken).status, 202);
  EXPECT_EQ(post("/api/v1/referrals/" + financeId + "/close", "{}", t::kFinanceToken).status, 202);

  // Health and care to housing: consent first (the housing contact is asked).
  ASSERT_NO_FATAL_FAILURE(postOneReferral(
      "/api/v1/referrals",
      std::string(R"({"request_id": "HC-1", "person_ref": ")") + t::kBo +
          R"(", "to_sector": "housing", "need": "housing_need", "urgency": "urgent"})",
      t::kCareToken, answer));
  EXPECT_STREQ(answer["referrals"][0]["state"].GetString(), "waiting_for_consent");
  const std::string housingId = answer["referrals"][0]["referral_id"].GetString();
  EXPECT_EQ(events("referrals.housing", "referral_id", housingId).size(), 1U);  // consent_needed
  r = post("/api/v1/consents",
           std::string(R"({"consent_id": "C-BO-1", "person_ref": ")") + t::kBo +
               R"(", "to_sectors": ["housing"], "purpose": "housing_need",
               "valid_until": "2099-12-31", "granted_at": "2026-01-05T10:00:00Z"})",
           t::kCareToken);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(events("referrals.housing", "referral_id", housingId, 2).size(), 2U);
  bool urgentDue = false;
  for (const auto& e : events("referrals.housing", "referral_id", housingId, 2)) {
    if (e.type != "referral.created.v1") continue;
    auto hd = json(e.data);
    EXPECT_STREQ(hd["consent_id"].GetString(), "C-BO-1");
    EXPECT_STREQ(hd["rule_id"].GetString(), "R31-care-housing-urgent");
    urgentDue = true;
  }
  EXPECT_TRUE(urgentDue);
  // Housing's webhook gets it too.
  EXPECT_TRUE(
      t::waitFor([&] { return !hooked(*housingHook_, "referral.created.v1", housingId).empty(); }));
}

TEST_F(MethodApi, AReferralRequestThatIsWrongIsRefusedNamingTheFieldAndPublishesNothing) {
  const std::string ok = std::string(R"("person_ref": ")") + t::kAnna +
                         R"(", "to_sector": "finance", "need": "debt", "urgency": "normal")";
  const auto before = settledCounts();
  refused(
      "/api/v1/referrals", t::kNavToken,
      {{"{\"request_id\": ", 400, "body"},
       {"[1, 2]", 400, "body"},
       {R"({"request_id": 7, )" + ok + "}", 400, "/request_id"},
       {R"({"request_id": "X-1", "person_ref": "01017012345", "to_sector": "finance",
               "need": "debt", "urgency": "normal"})",
        400, "/person_ref"},
       {R"({"request_id": "X-1", )" + ok + R"(, "extra": true})", 400, "extra"},
       {R"({"request_id": "X-1", "person_ref": ")" + std::string(t::kAnna) +
            R"(", "to_sector": "nav", "need": "debt", "urgency": "normal"})",
        400, "/to_sector"},
       {R"({"request_id": "X-1", "person_ref": ")" + std::string(t::kAnna) +
            R"(", "to_sector": "finance", "need": "debt", "urgency": 3})",
        400, "/urgency"},
       {R"({"request_id": "X-1", )" + ok + R"(, "note": ")" + std::string(1200, 'x') + "\"}", 400,
        "/note"},
       {R"({"request_id": "X-1", )" + ok + R"(, "from_sector": "housing"})", 403, "/from_sector"}});
  // Finance asking finance.
  EXPECT_EQ(
      post("/api/v1/referrals", R"({"request_id": "X-1", )" + ok + "}", t::kFinanceToken).status,
      422);
  // Oversized: refused on its headers.
  const auto big = post("/api/v1/referrals", std::string(70000, ' '), t::kNavToken);
  EXPECT_EQ(big.status, 413) << big.body;
  // Without a token, with an operator's token, with the wrong content type.
  EXPECT_EQ(post("/api/v1/referrals", R"({"request_id": "X-1", )" + ok + "}", nullptr).status, 401);
  EXPECT_EQ(
      post("/api/v1/referrals", R"({"request_id": "X-1", )" + ok + "}", t::kViewerToken).status,
      403);
  EXPECT_EQ(
      post("/api/v1/referrals", R"({"request_id": "X-1", )" + ok + "}", t::kNavToken, "text/plain")
          .status,
      415);
  EXPECT_EQ(settledCounts(), before);
}

// Item 2: a housing contact observes needs; the rules refer them to property at once,
// to health and care only under consent, to finance.
TEST_F(MethodApi, AHousingContactsObservedNeedsReachTheOtherServices) {
  rapidjson::Document answer;
  ASSERT_NO_FATAL_FAILURE(postOneReferral(
      "/api/v1/needs",
      std::string(R"({"observation_id": "OBS-1", "person_ref": ")") + t::kAnna +
          R"(", "need": "home_adaptation", "urgency": "urgent", "contract_id": "K-1",
                    "note": "No ramp; tenant 158385 10075 uses a wheelchair"})",
      t::kHousingToken, answer));
  const std::string propertyId = answer["referrals"][0]["referral_id"].GetString();
  auto made = events("referrals.property", "referral_id", propertyId);
  ASSERT_EQ(made.size(), 1U);
  auto d = json(made[0].data);
  EXPECT_STREQ(d["rule_id"].GetString(), "R33-need-property-urgent");
  EXPECT_STREQ(d["from_sector"].GetString(), "housing");
  EXPECT_STREQ(d["facts"]["contract_id"].GetString(), "K-1");
  EXPECT_EQ(made[0].data.find("10075"), std::string::npos) << made[0].data;

  ASSERT_NO_FATAL_FAILURE(
      postOneReferral("/api/v1/needs",
                      std::string(R"({"observation_id": "OBS-2", "person_ref": ")") + t::kAnna +
                          R"(", "need": "mental_health", "urgency": "normal"})",
                      t::kHousingToken, answer));
  EXPECT_STREQ(answer["referrals"][0]["state"].GetString(), "waiting_for_consent");
  EXPECT_STREQ(answer["referrals"][0]["purpose"].GetString(), "care_coordination");
  const std::string careId = answer["referrals"][0]["referral_id"].GetString();
  // The housing contact is asked for the consent; health and care hears nothing yet.
  EXPECT_EQ(events("referrals.housing", "referral_id", careId).size(), 1U);
  auto r = post("/api/v1/consents",
                std::string(R"({"consent_id": "C-ANNA-CARE", "person_ref": ")") + t::kAnna +
                    R"(", "to_sectors": ["health_care"], "purpose": "care_coordination",
               "valid_until": "2099-12-31", "granted_at": "2026-01-05T10:00:00Z"})",
                t::kHousingToken);
  ASSERT_EQ(r.status, 202) << r.body;
  made = events("referrals.health_care", "referral_id", careId);
  ASSERT_EQ(made.size(), 1U);
  EXPECT_STREQ(json(made[0].data)["consent_id"].GetString(), "C-ANNA-CARE");

  r = post("/api/v1/needs",
           std::string(R"({"observation_id": "OBS-3", "person_ref": ")") + t::kBo +
               R"(", "need": "debt", "urgency": "normal"})",
           t::kHousingToken);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string financeId = json(r.body)["referrals"][0]["referral_id"].GetString();
  EXPECT_EQ(events("referrals.finance", "referral_id", financeId).size(), 1U);
  auto audit =
      events("audit.decisions", "source_event_id", json(r.body)["event_id"].GetString(), 2);
  bool recorded = false;
  for (const auto& a : audit) {
    auto ad = json(a.data);
    if (std::string(ad["decision"].GetString()) == "need_recorded") {
      recorded = true;
      EXPECT_STREQ(ad["actor"].GetString(), "housing-system");
    }
  }
  EXPECT_TRUE(recorded);
}

TEST_F(MethodApi, AnObservedNeedThatIsWrongIsRefusedNamingTheFieldAndPublishesNothing) {
  const std::string ok = std::string(R"("person_ref": ")") + t::kAnna + R"(", "urgency": "normal")";
  const auto before = settledCounts();
  refused("/api/v1/needs", t::kHousingToken,
          {{"{\"observation_id\": ", 400, "body"},
           {"\"text\"", 400, "body"},
           {R"({"observation_id": "O-9", "need": "groceries", )" + ok + "}", 400, "/need"},
           {R"({"observation_id": "O-9", "need": ["debt"], )" + ok + "}", 400, "/need"},
           {R"({"observation_id": "O-9", "need": "debt", "person_ref": ")" + std::string(t::kAnna) +
                R"("})",
            400, "urgency"},
           {R"({"observation_id": "O-9", "need": "debt", "observed_at": "yesterday", )" + ok + "}",
            400, "/observed_at"},
           {R"({"observation_id": "O-9", "need": "debt", "note": "see 123456 12345", )" + ok + "}",
            400, "/note"}});
  // Only housing contacts record needs.
  const auto other = post("/api/v1/needs",
                          R"({"observation_id": "O-9", "need": "debt", )" + ok + "}", t::kNavToken);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_NE(other.body.find("housing"), std::string::npos);
  EXPECT_EQ(post("/api/v1/needs", std::string(100000, '{'), t::kHousingToken).status, 413);
  EXPECT_EQ(settledCounts(), before);
}

// Item 4: NAV asks for an ad hoc meeting with housing about a citizen: placed in working
// hours, invited at once with iCalendar; housing moves it (same UID, SEQUENCE 1) and
// cancels it (SEQUENCE 2); "held" waits until it has begun; every step audited.
TEST_F(MethodApi, AnAdHocMeetingIsPlacedMovedAndCancelledWithNotices) {
  const auto day = workingDayAhead();
  auto r = post("/api/v1/meetings",
                std::string(R"({"request_id": "NAV-MTG-1", "person_ref": ")") + t::kBo +
                    R"(", "sectors": ["housing", "nav"], "earliest": ")" + osloAt(day, 8, 10) +
                    R"(", "duration_minutes": 45, "title": "Debt and the lease"})",
                t::kNavToken);
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = json(r.body);
  const std::string id = d["meeting_id"].GetString();
  // On a 45-minute grid from 08:00, the first slot from 08:10 is 08:45.
  EXPECT_EQ(d["start"].GetString(), osloAt(day, 8, 45));
  EXPECT_EQ(d["end"].GetString(), osloAt(day, 9, 30));
  const auto ics = t::http(served_->port(), "GET", "/api/v1/meetings/" + id + ".ics", "",
                           {{"Authorization", std::string("Bearer ") + t::kViewerToken}});
  ASSERT_EQ(ics.status, 200) << ics.body;
  EXPECT_NE(ics.body.find("UID:" + id + "@wayhome"), std::string::npos);

  auto invited = events("notices.meetings", "meeting_id", id);
  ASSERT_EQ(invited.size(), 1U);
  EXPECT_EQ(json(invited[0].data)["sequence"].GetInt(), 0);
  EXPECT_EQ(events("notices.nav", "meeting_id", id).size(), 1U);

  // Not begun: held cannot be recorded; a sector that is not in it cannot touch it.
  r = post("/api/v1/meetings/" + id + "/held", R"({"held": true})", t::kHousingToken);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("/held"), std::string::npos);
  EXPECT_EQ(post("/api/v1/meetings/" + id + "/cancel", "{}", t::kFinanceToken).status, 403);

  const auto next = day + std::chrono::days(1);
  r = post("/api/v1/meetings/" + id + "/move", R"({"earliest": ")" + osloAt(next, 12, 0) + R"("})",
           t::kHousingToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r.body)["start"].GetString(), osloAt(next, 12, 30));
  EXPECT_EQ(json(r.body)["sequence"].GetInt(), 1);
  // The update goes out before the cancel is asked for (else the cancel supersedes it).
  ASSERT_EQ(events("notices.meetings", "meeting_id", id, 2).size(), 2U);
  r = post("/api/v1/meetings/" + id + "/cancel", "{}", t::kHousingToken);
  ASSERT_EQ(r.status, 200) << r.body;
  auto all = events("notices.meetings", "meeting_id", id, 3);
  ASSERT_EQ(all.size(), 3U);
  std::vector<std::pair<int, std::string>> versions;
  for (const auto& e : all) {
    auto n = json(e.data);
    versions.emplace_back(n["sequence"].GetInt(), n["method"].GetString());
    EXPECT_NE(std::string(n["icalendar"].GetString()).find("UID:" + id + "@wayhome"),
              std::string::npos);
  }
  EXPECT_EQ(versions, (std::vector<std::pair<int, std::string>>{
                          {0, "REQUEST"}, {1, "REQUEST"}, {2, "CANCEL"}}));

  std::map<std::string, std::string> audited;
  for (const auto& a : events("audit.decisions", "meeting_id", id, 6)) {
    auto ad = json(a.data);
    if (ad.HasMember("actor")) audited[ad["decision"].GetString()] = ad["actor"].GetString();
  }
  EXPECT_EQ(audited["meeting_requested"], "nav-system");
  EXPECT_EQ(audited["meeting_moved"], "housing-system");
  EXPECT_EQ(audited["meeting_cancelled"], "housing-system");
}

TEST_F(MethodApi, AMeetingRequestThatIsWrongIsRefusedNamingTheFieldAndPublishesNothing) {
  const std::string who = std::string(R"("person_ref": ")") + t::kBo + R"(", "sectors": ["nav"])";
  const std::string at = osloAt(workingDayAhead(), 9, 0);
  const auto before = settledCounts();
  refused("/api/v1/meetings", t::kNavToken,
          {{"{", 400, "body"},
           {"null", 400, "body"},
           {R"({"request_id": "M-9", )" + who + "}", 400, "/earliest"},
           {R"({"request_id": "M-9", "earliest": 5, )" + who + "}", 400, "/earliest"},
           {R"({"request_id": "M-9", "earliest": "monday", )" + who + "}", 400, "/earliest"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "sectors": ["police"],
               "person_ref": ")" +
                std::string(t::kBo) + R"("})",
            400, "/sectors/0"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "sectors": ["nav"]})", 400,
            "person_ref"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "duration_minutes": 600,
               )" +
                who + "}",
            400, "/duration_minutes"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "latest": "2020-03-01",
               )" +
                who + "}",
            400, "/latest"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "title": "for 01017012345",
               )" +
                who + "}",
            400, "/title"},
           {R"({"request_id": "M-9", "earliest": ")" + at + R"(", "where": "x", )" + who + "}", 400,
            "/where"}});
  EXPECT_EQ(post("/api/v1/meetings", std::string(70000, ' '), t::kNavToken).status, 413);
  EXPECT_EQ(post("/api/v1/meetings", "{}", t::kViewerToken).status, 403);
  EXPECT_EQ(post("/api/v1/meetings", "{}", nullptr).status, 401);
  EXPECT_EQ(post("/api/v1/meetings/mtg_nope/held", R"({"held": "yes"})", t::kNavToken).status, 400);
  EXPECT_EQ(post("/api/v1/meetings/mtg_nope/held", R"({"held": true})", t::kNavToken).status, 404);
  EXPECT_EQ(post("/api/v1/meetings/mtg_nope/move", R"({})", t::kNavToken).status, 400);
  EXPECT_EQ(settledCounts(), before);
}

// Item 11: subscriptions choose their event types. Housing takes consent requests and
// meeting notices (with the iCalendar) besides referrals; finance keeps the default
// (referrals and escalations) and never gets another sector's consent request or a
// meeting notice. Same signature as every delivery.
TEST_F(MethodApi, WebhookSubscriptionsGetTheEventTypesTheyChose) {
  auto r = post("/api/v1/needs",
                std::string(R"({"observation_id": "OBS-HOOK", "person_ref": ")") + t::kBo +
                    R"(", "need": "substance_abuse", "urgency": "normal"})",
                t::kHousingToken);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string waiting = json(r.body)["referrals"][0]["referral_id"].GetString();
  r = post("/api/v1/meetings",
           R"({"request_id": "FIN-MTG-1", "case_id": "K-77", "sectors": ["finance", "housing"],
               "earliest": ")" +
               osloAt(workingDayAhead(), 9, 0) + R"("})",
           t::kFinanceToken);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string meeting = json(r.body)["meeting_id"].GetString();
  r = post("/api/v1/referrals",
           std::string(R"({"request_id": "NAV-HOOK", "person_ref": ")") + t::kBo +
               R"(", "to_sector": "finance", "need": "financial_issues", "urgency": "urgent"})",
           t::kNavToken);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string referral = json(r.body)["referrals"][0]["referral_id"].GetString();

  ASSERT_TRUE(t::waitFor([&] {
    return !hooked(*housingHook_, "referral.consent_needed.v1", waiting).empty() &&
           !hooked(*housingHook_, "meeting.notice.v1", meeting).empty() &&
           !hooked(*financeHook_, "referral.created.v1", referral).empty();
  })) << served_->log();
  const auto notice = hooked(*housingHook_, "meeting.notice.v1", meeting).front();
  const auto body = json(notice.body);
  EXPECT_NE(std::string(body["icalendar"].GetString()).find("BEGIN:VCALENDAR"), std::string::npos);
  const auto ts = notice.headers.at("x-wayhome-timestamp");
  EXPECT_EQ(notice.headers.at("x-wayhome-signature"),
            "sha256=" + crypto::toHex(crypto::hmacSha256(kHookSecret, ts + "." + notice.body)));
  // Finance chose the default: no meeting notice, no consent request, though it takes
  // part in the meeting.
  std::this_thread::sleep_for(500ms);
  for (const auto& req : financeHook_->requests()) {
    EXPECT_EQ(req.headers.at("ce-type").rfind("referral.", 0), 0U) << req.headers.at("ce-type");
    EXPECT_NE(req.headers.at("ce-type"), "referral.consent_needed.v1");
  }
}

// Item 12: a finance case worker finds the citizen of a referral in their own system:
// the loan connector kept the number sealed; resolving is for the referral's sector,
// while it is open, for a known purpose, a few times a minute; every call is audited
// (never with the number), and a deleted identity is gone.
TEST_F(MethodApi, TheSectorOfAnOpenReferralResolvesItsCitizenAuditedAndNobodyElse) {
  auto loan = [&](const std::string& id) {
    const std::string body =
        R"({"id":")" + id +
        R"(","type":"instalment_missed","occurred_at":"2026-11-01T09:00:00Z","data":{"national_identity_number":")" +
        kNin + R"(","loan_id":"L-)" + id + R"(","days_overdue":20,"amount_nok":9000}})";
    const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    const auto r =
        t::http(served_->port(), "POST", "/api/v1/connectors/loan/loan/events", body,
                {{"Content-Type", "application/json"},
                 {"X-Wayhome-Timestamp", ts},
                 {"X-Wayhome-Signature", crypto::webhookSignature(kLoanSecret, ts, body)}});
    EXPECT_EQ(r.status, 202) << r.body;
    std::string referral;
    t::waitFor([&] {
      for (const auto& e : events("referrals.finance", "rule_id", "R9-finance", 0)) {
        auto d = json(e.data);
        if (d["facts"]["loan_id"].GetString() == "L-" + id) referral = d["referral_id"].GetString();
      }
      return !referral.empty();
    });
    return referral;
  };
  const std::string first = loan("ID1");
  const std::string second = loan("ID2");
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  auto resolve = [&](const std::string& referral, const char* purpose, const char* bearer) {
    return post("/api/v1/identity/resolve",
                R"({"referral_id": ")" + referral + R"(", "purpose": ")" + purpose + R"("})",
                bearer);
  };

  auto r = resolve(first, "case_handling", t::kFinanceToken);
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = json(r.body);
  EXPECT_STREQ(d["national_id"].GetString(), kNin);
  const std::string person = d["person_ref"].GetString();
  EXPECT_EQ(r.headers["cache-control"], "no-store");

  // Refused: another sector, an unknown purpose, an unknown referral, bad bodies.
  r = resolve(first, "case_handling", t::kNavToken);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.body.find(kNin), std::string::npos);
  r = resolve(first, "curiosity", t::kFinanceToken);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("/purpose"), std::string::npos);
  refused("/api/v1/identity/resolve", t::kHousingToken,
          {{"{", 400, "body"},
           {R"({"referral_id": 5, "purpose": "case_handling"})", 400, "/referral_id"},
           {R"({"referral_id": "ref-x", "purpose": "case_handling", "why": "x"})", 400, "/why"},
           {R"({"referral_id": "ref-x"})", 400, "/purpose"}});
  EXPECT_EQ(post("/api/v1/identity/resolve", std::string(5000, ' '), t::kFinanceToken).status, 413);
  EXPECT_EQ(resolve(first, "case_handling", t::kViewerToken).status, 403);
  EXPECT_EQ(resolve(first, "case_handling", nullptr).status, 401);

  // Closed: refused (once the router has taken the closing in).
  const auto closed = [&] {
    const auto m = t::http(served_->port(), "GET", "/metrics", "",
                           {{"Authorization", std::string("Bearer ") + t::kViewerToken}});
    const std::string series = R"(wayhome_referrals{sector="finance",state="closed"} )";
    const auto at = m.body.find(series);
    return at == std::string::npos ? 0 : std::stoi(m.body.substr(at + series.size()));
  };
  const int closedBefore = closed();
  ASSERT_EQ(post("/api/v1/referrals/" + first + "/close", "{}", t::kFinanceToken).status, 202);
  ASSERT_TRUE(t::waitFor([&] { return closed() > closedBefore; }));
  r = resolve(first, "case_handling", t::kFinanceToken);
  EXPECT_EQ(r.status, 409) << r.body;

  // Rate-limited per token: property's sixth call within a minute.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(resolve("ref-none", "case_handling", t::kPropertyToken).status, 404);
  r = resolve("ref-none", "case_handling", t::kPropertyToken);
  EXPECT_EQ(r.status, 429) << r.body;

  // Every call audited: who, which referral, purpose, granted or refused; never the number.
  std::map<std::string, std::set<std::string>> byActor;  // actor -> decisions
  for (const auto& a : events("audit.decisions", "referral_id", first, 4)) {
    auto ad = json(a.data);
    EXPECT_EQ(a.data.find(kNin), std::string::npos);
    const std::string decision = ad["decision"].GetString();
    if (!decision.starts_with("identity_")) continue;
    byActor[ad["actor"].GetString()].insert(decision);
    if (decision == "identity_resolved") {
      EXPECT_STREQ(ad["disclosed"][0]["to_sector"].GetString(), "finance");
      EXPECT_STREQ(ad["disclosed"][0]["fields"][0].GetString(), "national_id");
      EXPECT_NE(std::string(ad["detail"].GetString()).find("case_handling"), std::string::npos);
    }
  }
  EXPECT_TRUE(byActor["finance-system"].contains("identity_resolved"));
  EXPECT_TRUE(byActor["finance-system"].contains("identity_refused"));
  EXPECT_EQ(byActor["nav-system"], std::set<std::string>{"identity_refused"});
  EXPECT_GE(events("audit.decisions", "referral_id", "ref-none", 6).size(), 6U);

  // A request to delete the person's identity: the number is gone, audited.
  EXPECT_EQ(post("/api/v1/identity/" + person + "/delete", "{}", t::kFinanceToken).status, 403);
  r = post("/api/v1/identity/" + person + "/delete", "{}", t::kAdminToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"deleted\":true"), std::string::npos);
  r = resolve(second, "contact_citizen", t::kFinanceToken);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(events("audit.decisions", "decision", "identity_deleted").size(), 1U);

  // The number is in no log line and on no topic this test read.
  EXPECT_EQ(served_->log().find(kNin), std::string::npos);
  for (const auto& [name, reader] : readers_) {
    for (const auto& rec : reader->records())
      EXPECT_EQ(rec.value.find(kNin), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace wayhome
