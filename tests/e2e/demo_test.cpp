// The README's first command runs deploy/config/demo.jsonc. This keeps that promise
// true: the shipped demo starts, and case events, referrals and meeting notices flow.

#include <csignal>
#include <regex>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/testing/testing.hpp>

namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

TEST(Demo, ShippedDemoShowsEventsReferralsAndNoticesFlowing) {
  t::TempDir dir;
  // The same file, moved onto free ports (the demo's own are fixed for the README).
  const int port = t::freePort();
  const int plania = t::freePort();
  std::string config = t::readFile(t::sourceDir() / "deploy" / "config" / "demo.jsonc");
  ASSERT_NE(config.find("\"port\": 8080"), std::string::npos);
  ASSERT_NE(config.find("18091"), std::string::npos);
  config = t::replaceAll(config, "\"port\": 8080", "\"port\": " + std::to_string(port));
  config = t::replaceAll(config, "18091", std::to_string(plania));
  t::writeFile(dir / "demo.jsonc", config);

  t::Process wayhome(
      {t::wayhomeBinary().string(), "serve", "--config", (dir / "demo.jsonc").string()},
      dir / "wayhome.log", dir.path());
  auto messagesOn = [&](const std::string& topic) -> std::int64_t {
    const auto r = t::http(port, "GET", "/api/v1/topics");
    if (r.status != 200) return 0;
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    if (!d.IsObject() || !d.HasMember("topics")) return 0;
    for (const auto& each : d["topics"].GetArray()) {
      if (each["name"].GetString() == topic) return each["messages"].GetInt64();
    }
    return 0;
  };
  const bool flowing = t::waitFor(
      [&] {
        return !wayhome.running() ||
               (messagesOn("cases.plania") > 0 && messagesOn("cases.loan") > 0 &&
                messagesOn("cases.gerica") > 0 && messagesOn("consent.events") > 0 &&
                messagesOn("referrals.finance") > 0 && messagesOn("referrals.housing") > 0 &&
                messagesOn("notices.meetings") > 0);
      },
      60000ms, 250ms);
  ASSERT_TRUE(flowing && wayhome.running()) << wayhome.log();
  EXPECT_EQ(messagesOn("dlq.router"), 0) << wayhome.log();
  // Operators see the flow in /metrics: the router's and the scheduler's consumer lag
  // per partition, and connector counters that move while the simulators run.
  auto metric = [&](const std::string& series) -> double {
    const std::string body = t::http(port, "GET", "/metrics").body;
    const auto at = body.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(body.substr(at + series.size() + 2));
  };
  EXPECT_TRUE(t::waitFor(
      [&] {
        const std::string body = t::http(port, "GET", "/metrics").body;
        return body.find("wayhome_consumer_lag{group=\"wayhome-router\",topic=\"cases.loan\"") !=
                   std::string::npos &&
               body.find("wayhome_consumer_lag{group=\"wayhome-scheduler\"") != std::string::npos;
      },
      30000ms, 250ms))
      << t::http(port, "GET", "/metrics").body;
  const std::string loanIn = R"(wayhome_connector_records_in_total{connector="loan",type="loan"})";
  const double before = metric(loanIn);
  EXPECT_GT(before, 0);
  EXPECT_TRUE(t::waitFor([&] { return metric(loanIn) > before; }, 20000ms, 250ms));
  EXPECT_EQ(messagesOn("dlq.scheduler"), 0) << wayhome.log();

  wayhome.signal(SIGTERM);
  EXPECT_EQ(wayhome.wait(t::scaled(20000ms)), 0) << wayhome.log();
  // The simulated Plania is up before its connector's first poll and after its last.
  EXPECT_EQ(wayhome.log().find("component=plania msg=\"poll failed"), std::string::npos)
      << wayhome.log();
  const std::string log = wayhome.log();
  EXPECT_FALSE(std::regex_search(log, std::regex("[0-9]{11}"))) << "an identity number in the log";
  EXPECT_EQ(log.find("level=error"), std::string::npos) << log;
}

}  // namespace
