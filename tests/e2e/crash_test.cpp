// The real binary, killed with SIGKILL while it routes or sends notices, then started
// again on the same bus (a separate `wayhome bus` process) and state: every expected
// referral and notice exists exactly once.

#include <csignal>
#include <functional>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;
namespace bus = wayhome::bus;

class CrashRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = t::uniquePrefix();
    ASSERT_TRUE(bus_.start(dir_.path(), 2, prefix_)) << bus_.log();
    bootstrap_ = bus_.bootstrap();
    writeConfig("");
  }

  /// The service's config on that bus; `extra` goes inside the top-level object.
  void writeConfig(const std::string& extra) {
    t::writeFile(dir_ / "wayhome.json",
                 "{\"data_dir\": \"" + (dir_ / "data").string() +
                     "\", \"http\": {\"port\": " + std::to_string(t::freePort()) +
                     "}, \"shutdown_timeout_ms\": 5000, \"bus\": {\"bootstrap_servers\": \"" +
                     bootstrap_ + "\", \"topic_prefix\": \"" + prefix_ +
                     "\", \"client\": {\"session.timeout.ms\": \"6000\", "
                     "\"heartbeat.interval.ms\": \"500\"}}" +
                     extra + "}");
  }

  void startServe(const std::string& logName) {
    serve_ = t::startServe(dir_ / "wayhome.json", dir_ / "data", dir_ / logName);
    ASSERT_TRUE(serve_->running()) << serve_->log();
  }

  /// What one output topic showed: how often each key came out, and in all.
  struct Seen {
    std::map<std::string, int> byKey;
    std::size_t total = 0;
  };

  /// One stream through the service: what goes in (`make(i)` on `input`) and what comes
  /// out (JSON objects on `output`, read as consumer group `group`, each counted under
  /// `keyOf` of it).
  struct Stream {
    std::string input;
    std::function<bus::CloudEvent(int)> make;
    std::string output;
    std::string group;
    std::function<std::string(const rapidjson::Document&)> keyOf;
  };

  /// Sends inputs [0, n) of `stream`: one first (so the service has joined its group),
  /// then paced batches of `batch` while it works. Kills it (SIGKILL) a quarter of the
  /// way in, re-sends [0, resend) while it is down, starts it again and waits until the
  /// output showed n keys; then checks each came out exactly once. Returns how many came
  /// out before the kill.
  std::size_t killMidStreamAndRestart(int n, int batch, int resend, const Stream& stream) {
    bus::Producer producer({{"bootstrap.servers", bootstrap_}});
    auto send = [&](int from, int to) {
      std::vector<std::future<bus::DeliveryReport>> reports;
      for (int i = from; i < to; ++i)
        reports.push_back(producer.send(prefix_ + stream.input, stream.make(i)));
      for (auto& r : reports)
        ASSERT_TRUE(r.get().ok);
    };
    bus::Consumer reader({{"bootstrap.servers", bootstrap_}}, {.groupId = stream.group});
    reader.assign(prefix_ + stream.output, {0, 1}, true);
    Seen seen;
    auto drain = [&] {
      for (const auto& r : reader.poll(20ms, 5000)) {
        rapidjson::Document d;
        d.Parse(r.value.c_str());
        ASSERT_TRUE(d.IsObject());
        ++seen.byKey[stream.keyOf(d)];
        ++seen.total;
      }
    };
    startServe("serve-1.log");
    send(0, 1);
    EXPECT_TRUE(t::waitFor(
        [&] {
          drain();
          return seen.total > 0;
        },
        60000ms))
        << serve_->log();
    // Paced, so that the kill lands while inputs are still arriving.
    std::thread feeder([&] {
      for (int i = 1; i < n; i += batch) {
        send(i, std::min(i + batch, n));
        std::this_thread::sleep_for(25ms);
      }
    });
    const bool some = t::waitFor(
        [&] {
          drain();
          return seen.total >= static_cast<std::size_t>(n / 4);
        },
        60000ms);
    serve_->signal(SIGKILL);
    feeder.join();
    EXPECT_TRUE(some) << serve_->log();
    EXPECT_TRUE(serve_->wait(10000ms).has_value());
    const std::size_t beforeRestart = seen.total;
    drain();
    send(0, resend);  // a sender re-sends part of what it sent while the service is down

    startServe("serve-2.log");
    EXPECT_TRUE(t::waitFor(
        [&] {
          drain();
          return seen.byKey.size() >= static_cast<std::size_t>(n);
        },
        120000ms))
        << "got " << seen.byKey.size() << "\n"
        << serve_->log();
    // Anything late would show up now.
    for (int i = 0; i < 10; ++i)
      drain();
    EXPECT_EQ(seen.byKey.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(seen.total, static_cast<std::size_t>(n)) << "duplicates on the bus";
    for (const auto& [key, count] : seen.byKey)
      EXPECT_EQ(count, 1) << key;
    serve_->signal(SIGTERM);
    EXPECT_EQ(serve_->wait(t::scaled(15000ms)), 0) << serve_->log();
    return beforeRestart;
  }

  t::TempDir dir_;
  std::string prefix_;
  std::string bootstrap_;
  t::StandaloneBus bus_;
  std::unique_ptr<t::Process> serve_;
};

TEST_F(CrashRestart, SigkillMidStreamAndRestartGivesEveryReferralExactlyOnce) {
  constexpr int kEvents = 3000;
  const Stream arrears{.input = "cases.plania",
                       .make =
                           [](int i) {
                             bus::CloudEvent e;
                             e.id = "crash-" + std::to_string(i);
                             e.source = "/test";
                             e.type = "tenancy.rent_arrears.v1";
                             e.subject = t::kAnna;
                             e.data = std::string(R"({"contract_id": "K-)") + std::to_string(i) +
                                      R"(", "person_ref": ")" + t::kAnna +
                                      R"(", "months_overdue": 1, "amount_nok": 100})";
                             return e;
                           },
                       .output = "referrals.finance",
                       .group = "crash-reader",
                       .keyOf = [](const rapidjson::Document& d) -> std::string {
                         return d["source_event_id"].GetString();
                       }};
  const auto before = killMidStreamAndRestart(kEvents, 50, 200, arrears);
  std::cout << "referrals before the kill: " << before << " of " << kEvents << "\n";
}

TEST_F(CrashRestart, SigkillWhileNoticesGoOutAndRestartGivesEveryNoticeExactlyOnce) {
  // Every meeting is within the lead time, so each request's invitation goes out at once.
  writeConfig(R"(, "router": {"enabled": false}, "scheduler": {"lead_time_days": 60,
      "reminder_hours": 0, "poll_ms": 20, "recurring": []})");
  constexpr int kRequests = 800;
  const std::string notBefore =
      wayhome::formatDate(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
                          std::chrono::days(1));
  const Stream requests{
      .input = "notices.requests",
      .make =
          [&](int i) {
            const std::string person = t::personRef(i + 1);
            const std::string id = "nr-crash-" + std::to_string(i);
            bus::CloudEvent e;
            e.id = id;
            e.source = "/test/router";
            e.type = "notice.requested.v1";
            e.subject = person;
            e.data = R"({"request_id": ")" + id +
                     R"(", "action": "schedule", "kind": "tenancy_follow_up", "series_id": "K-)" +
                     std::to_string(i) + R"(:follow-up", "case_id": "K-)" + std::to_string(i) +
                     R"(", "person_ref": ")" + person + R"(", "not_before": ")" + notBefore +
                     R"(", "rule_id": "R1", "source_event_id": "ev-)" + std::to_string(i) + R"("})";
            return e;
          },
      .output = "notices.meetings",
      .group = "crash-notices",
      .keyOf = [](const rapidjson::Document& d) -> std::string {
        EXPECT_EQ(d["sequence"].GetInt(), 0);
        return d["case_id"].GetString();
      }};
  const auto before = killMidStreamAndRestart(kRequests, 40, 100, requests);
  std::cout << "notices before the kill: " << before << " of " << kRequests << "\n";
}

TEST(RulesCli, TestPrintsWhatEachEventTriggersAndRefusesInvalidRules) {
  t::TempDir dir;
  t::writeFile(
      dir / "events.jsonl",
      std::string(
          R"({"id": "e1", "type": "tenancy.rent_arrears.v1", "data": {"contract_id": "K-1", "person_ref": ")") +
          t::kAnna +
          R"(", "months_overdue": 3, "amount_nok": 5000}})"
          "\n"
          "not json\n");
  const auto ok = t::run({t::wayhomeBinary().string(), "rules", "test",
                          (t::sourceDir() / "deploy/config/rules.json").string(),
                          (dir / "events.jsonl").string(), "--schemas", t::schemaDir().string()});
  EXPECT_EQ(ok.exitCode, 0) << ok.out;
  EXPECT_NE(ok.out.find("rule R5-finance: matched"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("consent_needed"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("line 2: -> dlq.router: invalid JSON"), std::string::npos) << ok.out;

  t::writeFile(dir / "bad.json",
               R"({"rules": [{"id": "B1", "match": {"type": "tenancy.rent_arrears.v1",
    "conditions": [{"field": "/months", "op": "gt", "value": 1}]}, "actions": []}]})");
  const auto bad =
      t::run({"sh", "-c",
              t::wayhomeBinary().string() + " rules test " + (dir / "bad.json").string() + " " +
                  (dir / "events.jsonl").string() + " 2>&1"});
  EXPECT_EQ(bad.exitCode, 1) << bad.out;
  EXPECT_NE(bad.out.find("rule B1: /rules/0/match/conditions/0/field"), std::string::npos)
      << bad.out;
  const auto check = t::run({t::wayhomeBinary().string(), "rules", "check",
                             (t::sourceDir() / "deploy/config/rules.json").string()});
  EXPECT_EQ(check.exitCode, 0) << check.out;
}

TEST(RouterReload, SighupWithABrokenRulesFileKeepsServingAndSaysWhy) {
  t::TempDir dir;
  std::filesystem::copy_file(t::sourceDir() / "deploy/config/rules.json", dir / "rules.json");
  t::writeFile(dir / "c.json",
               "{\"data_dir\": \"" + (dir / "data").string() +
                   "\", \"http\": {\"port\": " + std::to_string(t::freePort()) +
                   "}, \"bus\": {\"default_partitions\": 1}, \"router\": {\"rules_file\": \"" +
                   (dir / "rules.json").string() + "\"}}");
  t::Process serve({t::wayhomeBinary().string(), "serve", "--config", (dir / "c.json").string()},
                   dir / "serve.log");
  ASSERT_TRUE(
      t::waitFor([&] { return std::filesystem::exists(dir / "data" / "runtime.json"); }, 30000ms))
      << serve.log();
  t::writeFile(dir / "rules.json",
               R"({"rules": [{"id": "Z9", "match": {"type": "nope.v1"}, "actions": []}]})");
  serve.signal(SIGHUP);
  ASSERT_TRUE(t::waitFor(
      [&] { return serve.log().find("rules reload refused") != std::string::npos; }, 10000ms))
      << serve.log();
  EXPECT_NE(serve.log().find("rule Z9: /rules/0/match/type"), std::string::npos);
  std::filesystem::copy_file(t::sourceDir() / "deploy/config/rules.json", dir / "rules.json",
                             std::filesystem::copy_options::overwrite_existing);
  serve.signal(SIGHUP);
  ASSERT_TRUE(
      t::waitFor([&] { return serve.log().find("rules reloaded") != std::string::npos; }, 10000ms))
      << serve.log();
  EXPECT_TRUE(serve.running());
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(t::scaled(15000ms)), 0) << serve.log();
}

}  // namespace
