// Nothing accepted is lost, nothing is published twice: `wayhome serve` against a
// bus run separately (`wayhome bus`), whose brokers the test takes down and brings
// back, and a service killed with SIGKILL right after it accepted webhooks.

#include <csignal>
#include <set>

#include "loan_support.hpp"

namespace {

using namespace wayhome::loantest;

constexpr int kPartitions = 3;

class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(bus_.start(dir_.path(), kPartitions)) << bus_.log();
    bootstrap_ = bus_.bootstrap();
  }

  void TearDown() override {
    if (serve_ && serve_->running()) {
      serve_->signal(SIGTERM);
      (void)serve_->wait(t::scaled(15000ms));
    }
    if (bus_.running()) {
      bus_.process().signal(SIGTERM);
      (void)bus_.process().wait(t::scaled(15000ms));
    }
  }

  void startServe(const std::string& extra = "") {
    if (port_ == 0) port_ = t::freePort();
    // A killed service leaves its runtime file behind: startServe waits for the new one.
    t::writeFile(dir_ / "wayhome.json",
                 "{\"data_dir\": \"" + (dir_ / "data").string() + "\", \"http\": {\"port\": " +
                     std::to_string(port_) + "}, \"bus\": {\"bootstrap_servers\": \"" + bootstrap_ +
                     "\", \"create_topics\": false}, \"shutdown_timeout_ms\": 3000,"
                     " \"connectors\": [{\"type\": \"loan\", \"name\": \"loan\", \"settings\": "
                     "{\"secret\": \"" +
                     kSecret + "\"}}]" + extra + "}");
    serve_ = t::startServe(dir_ / "wayhome.json", dir_ / "data",
                           dir_ / ("serve-" + std::to_string(++starts_) + ".log"), dir_.path());
    ASSERT_TRUE(serve_->running()) << serve_->log();
  }

  // SIGUSR1 / SIGUSR2 to `wayhome bus`; waits until it logged the change.
  void brokers(bool up) {
    const std::string mark = up ? "msg=\"all brokers up\"" : "msg=\"all brokers down\"";
    const auto before = countOf(bus_.log(), mark);
    bus_.process().signal(up ? SIGUSR2 : SIGUSR1);
    ASSERT_TRUE(t::waitFor([&] { return countOf(bus_.log(), mark) > before; }, 10000ms))
        << bus_.log();
  }

  static std::size_t countOf(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  }

  // Posts `n` distinct webhooks (ids prefix-0..n-1); each must be accepted.
  std::set<std::string> feed(const std::string& prefix, int n) {
    static const char* const kNins[] = {"15838510075", "55838510069", "15708510057", "15458510072",
                                        "29828410081"};
    std::set<std::string> ids;
    for (int i = 0; i < n; ++i) {
      const std::string body = submitted(prefix + "-" + std::to_string(i), kNins[i % 5]);
      const auto r = post(port_, body, signedHeaders(body));
      EXPECT_EQ(r.status, 202) << r.body;
      EXPECT_NE(r.body.find("\"accepted\":1"), std::string::npos) << r.body;
      ids.insert(acceptedEventId(r.body));
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
    return ids;
  }

  // Every accepted event on cases.loan exactly once.
  void expectPublishedOnce(const std::set<std::string>& accepted) {
    const auto records = readExactly(bootstrap_, "cases.loan", kPartitions, accepted.size());
    std::set<std::string> ids;
    for (const auto& r : records)
      ids.insert(header(r, "ce_id"));
    EXPECT_EQ(records.size(), accepted.size());
    EXPECT_EQ(ids, accepted);
  }

  t::TempDir dir_;
  std::string bootstrap_;
  int port_ = 0;
  int starts_ = 0;
  t::StandaloneBus bus_;
  std::unique_ptr<t::Process> serve_;
};

TEST_F(Durability, WebhooksAcceptedWhileTheBusIsDownArePublishedExactlyOnceWhenItReturns) {
  startServe();
  brokers(false);
  const auto accepted = feed("down", 60);
  brokers(true);
  expectPublishedOnce(accepted);
}

TEST_F(Durability, AServiceKilledRightAfterAcceptingPublishesEverythingOnceAfterRestart) {
  startServe();
  brokers(false);
  const auto accepted = feed("killed", 60);
  serve_->signal(SIGKILL);
  ASSERT_TRUE(serve_->wait(t::scaled(10000ms)).has_value());
  startServe();  // same data_dir, same bus, brokers still down
  brokers(true);
  expectPublishedOnce(accepted);
  // A sender that never got its answer before the crash re-sends: still once.
  const std::string again = submitted("killed-0", "15838510075");
  const auto r = post(port_, again, signedHeaders(again));
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_NE(r.body.find("\"duplicates\":1"), std::string::npos) << r.body;
}

TEST_F(Durability, AServiceKilledWhileRelayingPublishesEverythingOnceAfterRestart) {
  startServe();
  auto accepted = feed("live", 200);
  serve_->signal(SIGKILL);  // the relay is somewhere in the middle of these
  ASSERT_TRUE(serve_->wait(t::scaled(10000ms)).has_value());
  startServe();
  for (const auto& id : feed("after", 20))
    accepted.insert(id);
  expectPublishedOnce(accepted);
}

TEST_F(Durability, AFullOutboxAnswers503WithRetryAfterAndTheSimulatorRetriesUntilAccepted) {
  brokers(false);
  startServe(
      R"(, "outbox": {"max_backlog": 4}, "simulators": [{"type": "loan", "settings": {"secret": ")" +
      kSecret + R"(", "journeys": 3, "rate_per_s": 100, "seed": 7, "retry_initial_ms": 50}}])");
  // The simulator fills the outbox; then the service refuses, telling when to retry.
  t::HttpResult refused;
  const std::string body = submitted("probe");
  bool probeAccepted = false;
  ASSERT_TRUE(t::waitFor(
      [&] {
        refused = post(port_, body, signedHeaders(body));
        probeAccepted = probeAccepted || refused.body.find("\"accepted\":1") != std::string::npos;
        return refused.status == 503;
      },
      30000ms))
      << refused.status << " " << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_NE(refused.body.find("outbox is full"), std::string::npos) << refused.body;
  EXPECT_EQ(serve_->log().find("component=loan-simulator msg=finished"), std::string::npos);

  brokers(true);
  const std::string line =
      t::awaitLogLine(*serve_, "component=loan-simulator msg=finished", 60000ms);
  ASSERT_FALSE(line.empty()) << serve_->log();
  EXPECT_NE(line.find("given_up=0"), std::string::npos) << line;
  EXPECT_NE(line.find("refused=0"), std::string::npos) << line;
  const std::size_t accepted = std::stoul(line.substr(line.find("accepted=") + 9));
  const std::size_t sent = std::stoul(line.substr(line.find("sent=") + 5));
  EXPECT_GT(sent, accepted) << line;  // some attempts were refused with 503 and retried
  (void)readExactly(bootstrap_, "cases.loan", kPartitions, accepted + (probeAccepted ? 1 : 0));
}

}  // namespace
