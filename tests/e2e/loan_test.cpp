// The loan connector in the real binary on the embedded bus: signed webhooks in,
// schema-valid loan.*.v1 events on cases.loan out, bad requests refused with a
// reason and nothing published, replays recognised.

#include <csignal>
#include <map>
#include <set>

#include <wayhome/schemas/registry.hpp>

#include "loan_support.hpp"

namespace {

using namespace wayhome::loantest;
using wayhome::connectors::hasIdentityNumberShape;

constexpr int kPartitions = 3;

class LoanE2E : public ::testing::Test {
 protected:
  void start(const std::string& extra = "",
             const std::string& loanSettings = "{\"secret\": \"" + kSecret +
                                               "\", \"max_body_bytes\": 4096}") {
    port_ = t::freePort();
    t::writeFile(dir_ / "wayhome.json",
                 "{\"data_dir\": \"" + (dir_ / "data").string() +
                     "\", \"http\": {\"port\": " + std::to_string(port_) +
                     "}, \"bus\": {\"default_partitions\": " + std::to_string(kPartitions) +
                     "}, \"shutdown_timeout_ms\": 5000,"
                     " \"connectors\": [{\"type\": \"loan\", \"name\": \"loan\", \"settings\": " +
                     loanSettings + "}]" + extra + "}");
    process_ =
        t::startServe(dir_ / "wayhome.json", dir_ / "data", dir_ / "wayhome.log", dir_.path());
    ASSERT_TRUE(process_->running()) << process_->log();
    runtime_ = *readRuntime(dir_ / "data");
  }

  void TearDown() override {
    if (process_ && process_->running()) {
      process_->signal(SIGTERM);
      const auto code = process_->wait(t::scaled(15000ms));
      EXPECT_EQ(code, std::optional<int>(0)) << process_->log();
    }
    if (process_) {
      // Nothing the service logged holds an identity number.
      EXPECT_FALSE(hasIdentityNumberShape(process_->log())) << process_->log();
    }
  }

  // Every published record: keyed by the person_ref in its schema-valid payload, no
  // 11-digit run anywhere.
  static void expectClean(const std::vector<wayhome::bus::KafkaRecord>& records) {
    expectConnectorRecords(records, {"loan."}, "/wayhome/connectors/loan/loan");
  }

  t::TempDir dir_;
  int port_ = 0;
  Runtime runtime_;
  std::unique_ptr<t::Process> process_;
};

TEST_F(LoanE2E, GoodWebhooksArriveOnceBadOnesAreRefusedWithAReasonAndPublishNothing) {
  start();
  std::vector<std::string> accepted;  // event ids of the good ones, in order
  auto good = [&](const std::string& body) {
    const auto r = post(port_, body, signedHeaders(body));
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_NE(r.body.find("\"accepted\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"duplicates\":0"), std::string::npos) << r.body;
    accepted.push_back(acceptedEventId(r.body));
    EXPECT_FALSE(accepted.back().empty()) << r.body;
  };
  auto bad = [&](int status, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers,
                 const std::string& mention) {
    const auto r = post(port_, body, headers);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(r.body.find(mention), std::string::npos) << r.body;
    EXPECT_FALSE(hasIdentityNumberShape(r.body)) << r.body;
  };

  const std::string first = submitted("evt-1");
  const std::string firstTimestamp = nowSeconds();
  const auto firstHeaders = signedHeaders(first, firstTimestamp);
  {
    const auto r = post(port_, first, firstHeaders);
    ASSERT_EQ(r.status, 202) << r.body << process_->log();
    accepted.push_back(acceptedEventId(r.body));
  }

  const std::string malformed = R"({"id": "evt-x", )";
  bad(400, malformed, signedHeaders(malformed), "body: not valid JSON");
  const std::string badNin = submitted("evt-2", "15838510076");
  bad(400, badNin, signedHeaders(badNin), "data.national_identity_number");
  const std::string wrongType = submitted("evt-3", "15838510075", "\"3200000\"");
  bad(400, wrongType, signedHeaders(wrongType), "data.amount_asked_nok: must be an integer");
  const std::string unknownType =
      R"({"id":"evt-4","type":"loan_paid","occurred_at":"2026-09-01T10:15:00Z","data":{}})";
  bad(400, unknownType, signedHeaders(unknownType), "type: unknown");
  const std::string batch = "[" + submitted("evt-5") + "]";
  bad(400, batch, signedHeaders(batch), "batch");
  const std::string hostileId = submitted("evt-6/../x");
  bad(400, hostileId, signedHeaders(hostileId), "id: must be 1 to 128");

  const std::string body = submitted("evt-7");
  bad(401, body, {{"Content-Type", "application/json"}}, "missing X-Wayhome-Timestamp");
  bad(401, body, signedHeaders(body, nowSeconds(), "another-secret-0123456789abcdef0123"),
      "X-Wayhome-Signature: does not match");
  const std::string stale = std::to_string(std::stoll(nowSeconds()) - 3600);
  bad(401, body, signedHeaders(body, stale), "X-Wayhome-Timestamp: more than 300 s");
  auto tampered = signedHeaders(body);
  bad(401, submitted("evt-7", "15838510075", "1"), tampered, "does not match");
  auto plain = signedHeaders(body);
  plain[0].second = "text/plain";
  bad(415, body, plain, "Content-Type: must be application/json");
  const std::string big = submitted("evt-8") + std::string(5000, ' ');
  bad(413, big, signedHeaders(big), "exceed the limit of 4096");
  {
    const auto r = t::http(port_, "GET", "/api/v1/connectors/loan/loan/events");
    EXPECT_EQ(r.status, 405);
  }

  // Good ones after the bad ones still go through: every canonical type once.
  good(
      R"({"id":"evt-10","type":"application_decided","occurred_at":"2026-10-01T09:00:00+02:00","data":{"national_identity_number":"15838510075","application_id":"SL-evt-1","outcome":"granted","decided_date":"2026-10-01","amount_nok":3000000,"valid_until":"2027-04-01"}})");
  good(
      R"({"id":"evt-11","type":"application_decided","occurred_at":"2026-10-02T09:00:00Z","data":{"national_identity_number":"55838510069","application_id":"SL-2","outcome":"rejected","decided_date":"2026-10-02","appeal_deadline":"2026-10-23","rejection_reason":"Insufficient repayment capacity."}})");
  good(
      R"({"id":"evt-12","type":"disbursed","occurred_at":"2026-11-15T09:00:00Z","data":{"national_identity_number":"15838510075","loan_id":"L-77","disbursed_date":"2026-11-15","amount_nok":3000000,"application_id":"SL-evt-1"}})");
  good(
      R"({"id":"evt-13","type":"instalment_missed","occurred_at":"2027-03-01T09:00:00Z","data":{"national_identity_number":"15838510075","loan_id":"L-77","days_overdue":35,"amount_nok":14200,"due_date":"2027-02-20"}})");

  // A replay of the very same request, and a fresh re-delivery of the same event:
  // both answered, neither publishes a second event.
  for (const auto& headers : {firstHeaders, signedHeaders(first)}) {
    const auto r = post(port_, first, headers);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_NE(r.body.find("\"accepted\":0,\"duplicates\":1"), std::string::npos) << r.body;
    EXPECT_EQ(acceptedEventId(r.body), accepted.front());
  }

  const auto records = readExactly(runtime_.bootstrap, "cases.loan", kPartitions, accepted.size());
  ASSERT_EQ(records.size(), accepted.size());
  expectClean(records);
  std::set<std::string> published;
  std::map<std::string, int> types;
  for (const auto& r : records) {
    published.insert(header(r, "ce_id"));
    ++types[header(r, "ce_type")];
  }
  EXPECT_EQ(published, std::set<std::string>(accepted.begin(), accepted.end()));
  EXPECT_EQ(types["loan.application_submitted.v1"], 1);
  EXPECT_EQ(types["loan.application_decided.v1"], 2);
  EXPECT_EQ(types["loan.disbursed.v1"], 1);
  EXPECT_EQ(types["loan.instalment_missed.v1"], 1);
  // The same citizen has one key in every event; a different one another.
  std::set<std::string> keys;
  for (const auto& r : records)
    keys.insert(r.key);
  EXPECT_EQ(keys.size(), 2U);
}

TEST_F(LoanE2E, SimulatedJourneysArriveInOrderPerCitizen) {
  start(R"(, "simulators": [{"type": "loan", "settings": {"secret": ")" + kSecret +
        R"(", "journeys": 6, "rate_per_s": 500, "seed": 42}}])");
  const std::string line =
      t::awaitLogLine(*process_, "component=loan-simulator msg=finished", 60000ms);
  ASSERT_FALSE(line.empty()) << process_->log();
  EXPECT_NE(line.find("refused=0"), std::string::npos) << line;
  EXPECT_NE(line.find("given_up=0"), std::string::npos) << line;
  const auto a = line.find("accepted=");
  ASSERT_NE(a, std::string::npos) << line;
  const std::size_t count = std::stoul(line.substr(a + 9));
  EXPECT_GE(count, 12U) << line;  // at least submitted + decided per journey

  const auto records = readExactly(runtime_.bootstrap, "cases.loan", kPartitions, count);
  ASSERT_EQ(records.size(), count);
  expectClean(records);
  // Keyed by citizen, so each citizen's events are in one partition, in journey order.
  std::map<std::string, std::vector<std::string>> journeys;
  std::map<std::string, std::set<std::int32_t>> partitions;
  for (const auto& r : records) {
    journeys[r.key].push_back(header(r, "ce_type"));
    partitions[r.key].insert(r.partition);
  }
  EXPECT_EQ(journeys.size(), 6U);
  for (const auto& [ref, steps] : journeys) {
    EXPECT_EQ(partitions[ref].size(), 1U) << ref;
    ASSERT_GE(steps.size(), 2U) << ref;
    EXPECT_EQ(steps[0], "loan.application_submitted.v1") << ref;
    EXPECT_EQ(steps[1], "loan.application_decided.v1") << ref;
    if (steps.size() > 2) {
      EXPECT_EQ(steps[2], "loan.disbursed.v1") << ref;
    }
    if (steps.size() > 3) {
      EXPECT_EQ(steps[3], "loan.instalment_missed.v1") << ref;
    }
  }
}

}  // namespace

// An operator restarts a connector through the ops API: a fresh instance from the same
// config takes over, so a rotated secret file counts from then on.
TEST_F(LoanE2E, ARestartReadsTheSecretFileAgainAndOnlyAdminsMayAskForIt) {
  const std::string rotated = "rotated-webhook-secret-abcdefghijklmnop";
  t::writeSecretFile(dir_ / "loan.secret", kSecret + "\n");
  start(R"(, "ops": {"tokens": [{"name": "ola", "role": "admin", "token": "admin-token-0123456789"},
      {"name": "kari", "role": "viewer", "token": "viewer-token-0123456789"}]})",
        "{\"secret_file\": \"" + (dir_ / "loan.secret").string() + "\"}");
  const std::string path = "/api/v1/connectors/loan/loan/events";
  auto post = [&](const std::string& id, const std::string& secret) {
    const std::string body = submitted(id);
    return t::http(port_, "POST", path, body, signedHeaders(body, nowSeconds(), secret)).status;
  };
  EXPECT_EQ(post("r1", kSecret), 202);
  t::writeSecretFile(dir_ / "loan.secret", rotated + "\n");
  EXPECT_EQ(post("r2", kSecret), 202) << "the running instance keeps the secret it read";

  auto restart = [&](const std::string& name, const std::string& token) {
    return t::http(port_, "POST", "/api/v1/connectors/" + name + "/restart", "",
                   {{"Authorization", "Bearer " + token}});
  };
  EXPECT_EQ(restart("loan", "viewer-token-0123456789").status, 403);
  EXPECT_EQ(restart("loan", "").status, 401);
  EXPECT_EQ(restart("no-such", "admin-token-0123456789").status, 404);
  EXPECT_EQ(restart("router", "admin-token-0123456789").status, 409);
  const auto r = restart("loan", "admin-token-0123456789");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"health\":\"running\""), std::string::npos) << r.body;
  EXPECT_EQ(post("r3", kSecret), 401) << "the old secret no longer signs";
  EXPECT_EQ(post("r4", rotated), 202);

  // A restart that cannot read its config says why and leaves the instance failing.
  std::filesystem::remove(dir_ / "loan.secret");
  const auto broken = restart("loan", "admin-token-0123456789");
  EXPECT_EQ(broken.status, 500) << broken.body;
  EXPECT_NE(broken.body.find("secret_file"), std::string::npos) << broken.body;
  t::writeSecretFile(dir_ / "loan.secret", rotated + "\n");
  t::writeSecretFile(dir_ / "admin.token", "admin-token-0123456789\n");
  const auto ctl = t::run({t::wayhomeBinary().string(), "ctl", "--url",
                           "http://127.0.0.1:" + std::to_string(port_), "--token-file",
                           (dir_ / "admin.token").string(), "restart", "loan"});
  EXPECT_EQ(ctl.exitCode, 0) << ctl.out;
  EXPECT_EQ(ctl.out, "loan: running\n");
  EXPECT_EQ(post("r5", rotated), 202);
}
