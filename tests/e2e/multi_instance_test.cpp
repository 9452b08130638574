// Three `wayhome serve` instances on one standalone bus (`wayhome bus`) and one real
// PostgreSQL (issue 13): case events stream in, one instance is SIGKILLed mid-stream,
// later another, both start again; every referral and audit record exists exactly once
// on the bus, and the partitions of a killed instance are taken over within bounds.

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;
namespace bus = wayhome::bus;

constexpr const char* kPerson = "pr_0123456789abcdef0123456789abcdef";
constexpr int kInstances = 3;

class MultiInstance : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = t::uniquePrefix();
    bus_ = std::make_unique<t::Process>(
        std::vector<std::string>{t::wayhomeBinary().string(), "bus", "--partitions", "6",
                                 "--prefix", prefix_, "--bootstrap-file",
                                 (dir_ / "bootstrap").string()},
        dir_ / "bus.log");
    ASSERT_TRUE(t::waitFor([&] { return std::filesystem::exists(dir_ / "bootstrap"); }, 20000ms))
        << bus_->log();
    bootstrap_ = t::readFile(dir_ / "bootstrap");
    bootstrap_.erase(bootstrap_.find_last_not_of("\n") + 1);
    db_ = t::postgresDatabase();
    // One person_ref key for all: PostgreSQL-backed instances must share it.
    t::writeSecretFile(dir_ / "person_ref.key",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    for (int i = 0; i < kInstances; ++i) {
      const auto data = dir_ / ("data-" + std::to_string(i));
      t::writeFile(
          dir_ / ("wayhome-" + std::to_string(i) + ".json"),
          "{\"data_dir\": \"" + data.string() +
              "\", \"http\": {\"port\": " + std::to_string(t::freePort()) +
              "}, \"shutdown_timeout_ms\": 5000, \"bus\": {\"bootstrap_servers\": \"" + bootstrap_ +
              "\", \"topic_prefix\": \"" + prefix_ + "\"}, \"state\": {\"postgres\": {\"url\": \"" +
              db_.url + "\", \"password_file\": \"" + db_.passwordFile.string() +
              "\", \"pool\": 4}}, \"identity\": {\"key_file\": \"" +
              (dir_ / "person_ref.key").string() + "\"}, \"scheduler\": {\"recurring\": []}}");
    }
  }

  void start(int i) {
    const auto data = dir_ / ("data-" + std::to_string(i));
    std::filesystem::remove(data / "runtime.json");
    serve_[i] = std::make_unique<t::Process>(
        std::vector<std::string>{t::wayhomeBinary().string(), "serve", "--config",
                                 (dir_ / ("wayhome-" + std::to_string(i) + ".json")).string()},
        dir_ / ("serve-" + std::to_string(i) + "-" + std::to_string(++starts_[i]) + ".log"));
    ASSERT_TRUE(t::waitFor(
        [&] { return std::filesystem::exists(data / "runtime.json") || !serve_[i]->running(); },
        60000ms));
    ASSERT_TRUE(serve_[i]->running()) << serve_[i]->log();
  }

  void kill(int i) {
    serve_[i]->signal(SIGKILL);
    EXPECT_TRUE(serve_[i]->wait(10000ms).has_value());
  }

  t::TempDir dir_;
  std::string prefix_;
  std::string bootstrap_;
  t::PostgresDatabase db_;
  std::unique_ptr<t::Process> bus_;
  std::unique_ptr<t::Process> serve_[kInstances];
  int starts_[kInstances] = {};
};

TEST_F(MultiInstance, ThreeInstancesOnePostgresTwoKilledEveryReferralAndAuditExactlyOnce) {
  constexpr int kEvents = 1200;
  bus::Producer producer({{"bootstrap.servers", bootstrap_}});
  auto send = [&](int from, int to) {
    std::vector<std::future<bus::DeliveryReport>> reports;
    for (int i = from; i < to; ++i) {
      bus::CloudEvent e;
      e.id = "multi-" + std::to_string(i);
      e.source = "/test";
      e.type = "tenancy.rent_arrears.v1";
      e.subject = "K-" + std::to_string(i);
      e.data = std::string(R"({"contract_id": "K-)") + std::to_string(i) + R"(", "person_ref": ")" +
               kPerson + R"(", "months_overdue": 1, "amount_nok": 100})";
      reports.push_back(producer.send(prefix_ + "cases.plania", e));
    }
    for (auto& r : reports)
      ASSERT_TRUE(r.get().ok);
  };
  bus::Consumer referrals({{"bootstrap.servers", bootstrap_}}, {.groupId = "multi-referrals"});
  referrals.assign(prefix_ + "referrals.finance", {0, 1, 2, 3, 4, 5}, true);
  bus::Consumer audit({{"bootstrap.servers", bootstrap_}}, {.groupId = "multi-audit"});
  audit.assign(prefix_ + "audit.decisions", {0, 1, 2, 3, 4, 5}, true);
  std::map<std::string, int> bySource;  // referrals per source event
  std::size_t referralTotal = 0;
  std::map<std::string, int> auditIds;  // audit records per ce_id
  auto drain = [&] {
    for (const auto& r : referrals.poll(20ms, 5000)) {
      rapidjson::Document d;
      d.Parse(r.value.c_str());
      ASSERT_TRUE(d.IsObject());
      ++bySource[d["source_event_id"].GetString()];
      ++referralTotal;
    }
    for (const auto& r : audit.poll(5ms, 5000))
      ++auditIds[*r.header("ce_id")];
  };
  auto sent = [&](int n) {
    return t::waitFor(
        [&] {
          drain();
          return bySource.size() >= static_cast<std::size_t>(n);
        },
        120000ms);
  };

  for (int i = 0; i < kInstances; ++i)
    start(i);
  send(0, 300);
  ASSERT_TRUE(sent(300)) << bySource.size();

  // Fail-over: an instance dies with its partitions; no input arrives meanwhile, so
  // what is left of [0, 600) was the dead instance's, taken over by a live one.
  send(300, 600);
  std::this_thread::sleep_for(150ms);
  kill(1);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(sent(600)) << bySource.size();
  const auto failover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  std::cout << "fail-over after SIGKILL: every input routed " << failover.count()
            << " ms after the kill\n";
  // Session timeout 10 s plus a rebalance: bounded well below librdkafka's 45 s default.
  EXPECT_LE(failover, t::scaled(25000ms));

  std::thread feeder([&] {
    for (int i = 600; i < kEvents; i += 40) {
      send(i, std::min(i + 40, kEvents));
      std::this_thread::sleep_for(20ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  kill(2);
  start(1);
  feeder.join();
  start(2);
  send(0, 100);  // a source re-sends part of what it sent before: nothing new comes of it
  ASSERT_TRUE(sent(kEvents)) << bySource.size() << "\n" << serve_[0]->log();
  for (int i = 0; i < 20; ++i)  // anything late would show up now
    drain();

  EXPECT_EQ(bySource.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(referralTotal, static_cast<std::size_t>(kEvents)) << "duplicate referrals";
  for (const auto& [id, n] : bySource)
    EXPECT_EQ(n, 1) << id;
  std::size_t twice = 0;
  for (const auto& [id, n] : auditIds)
    twice += n > 1 ? 1 : 0;
  EXPECT_GE(auditIds.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(twice, 0u) << "audit records on the bus more than once";
  for (int i = 0; i < kInstances; ++i) {
    serve_[i]->signal(SIGTERM);
    EXPECT_EQ(serve_[i]->wait(t::scaled(20000ms)), 0) << serve_[i]->log();
  }
}

}  // namespace

namespace {

// The shipped production example (issue 13: "a commented example that `wayhome
// check-config` accepts"), with its /etc and /var paths moved into a temporary folder
// where its files exist.
TEST(ProductionConfig, TheShippedExampleIsAcceptedByCheckConfig) {
  t::TempDir dir;
  std::string text = t::readFile(t::sourceDir() / "deploy/config/production.jsonc");
  auto replaceAll = [&](const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  replaceAll("/etc/wayhome/", (dir / "etc").string() + "/");
  replaceAll("/var/lib/wayhome", (dir / "var").string());
  replaceAll("/usr/share/wayhome/schemas", t::schemaDir().string());
  std::filesystem::create_directories(dir / "etc" / "keys");
  for (const char* secret : {"db.password", "kafka-sasl.password", "housing-system.token",
                             "ops-admin.token", "ops-viewer.token"}) {
    t::writeSecretFile(dir / "etc" / secret, std::string("long-enough-secret-of-") + secret + "\n");
  }
  t::writeSecretFile(dir / "etc" / "keys" / "person_ref.key",
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
  t::writeFile(dir / "etc" / "production.jsonc", text);
  const auto r = t::run({t::wayhomeBinary().string(), "check-config", "--config",
                         (dir / "etc" / "production.jsonc").string()});
  EXPECT_EQ(r.exitCode, 0) << r.out;
}

}  // namespace
