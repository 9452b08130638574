// The real binary, started as an operator would, on the embedded bus.

#include <csignal>
#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

class Serve : public ::testing::Test {
 protected:
  void start(const std::string& extraConfig = "") {
    port_ = t::freePort();
    t::writeFile(dir_ / "wayhome.json",
                 "{\n  // written by the test\n  \"data_dir\": \"" + (dir_ / "data").string() +
                     "\",\n  \"http\": {\"port\": " + std::to_string(port_) +
                     "},\n  \"shutdown_timeout_ms\": 5000" + extraConfig + "\n}\n");
    process_ = std::make_unique<t::Process>(
        std::vector<std::string>{t::wayhomeBinary().string(), "serve", "--config",
                                 (dir_ / "wayhome.json").string()},
        dir_ / "wayhome.log", dir_.path());
    ASSERT_TRUE(t::waitFor(
        [&] { return t::readRuntime(dir_ / "data").has_value() || !process_->running(); }, 30000ms))
        << process_->log();
    ASSERT_TRUE(process_->running()) << process_->log();
  }

  t::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<t::Process> process_;
};

TEST_F(Serve, StartsOnTheEmbeddedBusAnswersProbesAndStopsCleanlyOnSigterm) {
  start();
  const auto runtime = t::readRuntime(dir_ / "data");
  ASSERT_TRUE(runtime);

  const auto health = t::http(port_, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"status\":\"ok\""), std::string::npos);

  t::HttpResult ready;
  ASSERT_TRUE(t::waitFor(
      [&] {
        ready = t::http(port_, "GET", "/readyz");
        return ready.status == 200;
      },
      20000ms))
      << ready.body;
  rapidjson::Document d;
  d.Parse(ready.body.c_str());
  ASSERT_TRUE(d.IsObject()) << ready.body;
  EXPECT_TRUE(d["ready"].GetBool());
  EXPECT_EQ(d["checks"]["bus"]["brokers"].GetInt(), 3);
  EXPECT_GE(d["checks"]["schemas"]["count"].GetInt(), 22);
  EXPECT_TRUE(d["checks"]["state"]["ok"].GetBool());

  // Another Kafka client sees the cluster and the topics the service created.
  const auto listing = t::run({"kcat", "-b", runtime->bootstrap, "-L"}, 20000ms);
  ASSERT_EQ(listing.exitCode, 0) << listing.out;
  EXPECT_NE(listing.out.find("3 brokers"), std::string::npos) << listing.out;
  for (const char* topic :
       {"cases.plania", "cases.gerica", "cases.loan", "consent.events", "referrals.finance",
        "notices.meetings", "audit.decisions", "dlq.router"}) {
    EXPECT_NE(listing.out.find(std::string("\"") + topic + "\""), std::string::npos) << topic;
  }
  // The log says where the bus is and never holds an identity number.
  const std::string log = process_->log();
  EXPECT_NE(log.find("kcat -b 127.0.0.1:"), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "state.db"));

  process_->signal(SIGTERM);
  const auto code = process_->wait(t::scaled(15000ms));
  ASSERT_TRUE(code.has_value()) << "did not stop in time\n" << process_->log();
  EXPECT_EQ(*code, 0) << process_->log();
  EXPECT_NE(process_->log().find("msg=stopped"), std::string::npos) << process_->log();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "runtime.json"));
}

TEST_F(Serve, SigintAlsoStopsWithExitCodeZero) {
  start(R"(, "bus": {"topic_prefix": "e2e.", "default_partitions": 2})");
  process_->signal(SIGINT);
  const auto code = process_->wait(t::scaled(15000ms));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << process_->log();
}

// A state file written by the binary from before modules kept their own migrations
// (store-wide user_version 9, tests/data/state-v9-before-modules.db, from a demo run):
// the new binary starts on it, records the old steps instead of running them again,
// and every row is still there.
TEST_F(Serve, StartsOnAStateFileFromBeforeModuleMigrationsWithoutLosingARow) {
  std::filesystem::create_directories(dir_ / "data");
  std::filesystem::copy_file(t::sourceDir() / "tests/data/state-v9-before-modules.db",
                             dir_ / "data" / "state.db");
  const std::vector<std::string> tables{
      "outbox",           "router_processed",   "router_consents",   "router_pending",
      "router_referrals", "scheduler_meetings", "scheduler_notices", "gerica_receipts"};
  auto counts = [&] {
    std::map<std::string, std::int64_t> out;
    wayhome::store::StateStore store(dir_ / "data" / "state.db");
    store.transaction([&](wayhome::store::Connection& db) {
      for (const auto& table : tables) {
        wayhome::store::Statement st(db, "SELECT COUNT(*) FROM " + table + ";");
        out[table] = st.step() ? st.columnInt(0) : -1;
      }
    });
    return out;
  };
  const auto before = counts();
  EXPECT_GT(before.at("router_consents"), 0);
  EXPECT_GT(before.at("scheduler_meetings"), 0);

  start(R"(, "state": {"path": ")" + (dir_ / "data" / "state.db").string() + R"("})");
  EXPECT_NE(process_->log().find("migration recorded"), std::string::npos) << process_->log();
  process_->signal(SIGTERM);
  const auto code = process_->wait(t::scaled(15000ms));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << process_->log();

  const auto after = counts();
  for (const auto& table : tables) {
    if (table == "outbox") continue;  // the relay publishes and may prune; never loses
    EXPECT_GE(after.at(table), before.at(table)) << table;
  }
  wayhome::store::StateStore store(dir_ / "data" / "state.db");
  EXPECT_EQ(store.getMeta("legacy_schema_version"), "9");
  // 3: deferrals, 4: pending order, 5: ended_ms, 6: pending order indexed
  EXPECT_EQ(store.moduleVersion("router"), 6);
  store.transaction([&](wayhome::store::Connection& db) {
    // Every consent from before knows when it ends, so the retention can forget it.
    wayhome::store::Statement st(db, "SELECT COUNT(*) FROM router_consents WHERE ended_ms <= 0;");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.columnInt(0), 0);
  });
  EXPECT_EQ(store.moduleVersion("scheduler"), 2);  // 2: whether meetings were held
  EXPECT_EQ(store.moduleVersion("outbox"), 1);
  EXPECT_EQ(store.moduleVersion("ops"), 1);
}

struct BadConfig {
  std::string name;
  std::string text;
  std::string mustMention;
};

// Shown in test names and failures as its name, not as bytes.
void PrintTo(const BadConfig& c, std::ostream* os) {
  *os << c.name;
}

class ServeRefusesConfig : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ServeRefusesConfig, WithExitCode2AndAMessageNamingTheKey) {
  t::TempDir dir;
  t::writeFile(dir / "bad.json", GetParam().text);
  const auto result = t::run(
      {t::wayhomeBinary().string(), "serve", "--config", (dir / "bad.json").string()}, 20000ms);
  EXPECT_EQ(result.exitCode, 2);
  // The message goes to stderr; a shell merges it into what run() captures.
  const auto merged = t::run(
      {"sh", "-c",
       t::wayhomeBinary().string() + " serve --config " + (dir / "bad.json").string() + " 2>&1"},
      20000ms);
  EXPECT_NE(merged.out.find(GetParam().mustMention), std::string::npos) << merged.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ServeRefusesConfig,
    ::testing::Values(BadConfig{"unknown_key", R"({"bus": {"embeded": true}})", "/bus/embeded"},
                      BadConfig{"wrong_type", R"({"http": {"port": "80"}})", "/http/port"},
                      BadConfig{"out_of_range", R"({"http": {"port": -1}})", "/http/port"},
                      BadConfig{"malformed", "{ \"http\": ", "not valid JSON"},
                      BadConfig{"hostile", std::string("{\"data_dir\": \"\x01\xff\"}"), "config"}),
    [](const auto& param) { return param.param.name; });

TEST(ServeCli, MissingConfigFileAndBadCommandLines) {
  auto r =
      t::run({"sh", "-c", t::wayhomeBinary().string() + " serve --config /nonexistent.json 2>&1"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
  r = t::run({t::wayhomeBinary().string(), "serve", "--bogus"});
  EXPECT_EQ(r.exitCode, 64);
  r = t::run({t::wayhomeBinary().string(), "version"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("wayhome "), std::string::npos);
}

TEST(ServeCli, ValidateChecksDataAgainstTheSchemas) {
  t::TempDir dir;
  t::writeFile(dir / "bad.json", R"({"loan_id": 5})");
  const auto r = t::run({t::wayhomeBinary().string(), "validate", "loan.disbursed.v1",
                         (dir / "bad.json").string(), "--schemas", t::schemaDir().string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.out.find("invalid: "), std::string::npos) << r.out;
}

TEST(ServeCli, ABrokenSchemaFolderStopsStartUpNamingTheFile) {
  t::TempDir dir;
  std::filesystem::create_directories(dir / "schemas");
  t::writeFile(dir / "schemas" / "x.y.v1.schema.json", "{ broken");
  t::writeFile(dir / "c.json", "{\"schemas\": {\"dir\": \"" + (dir / "schemas").string() +
                                   "\"}, \"data_dir\": \"" + (dir / "data").string() +
                                   "\", \"http\": {\"port\": " + std::to_string(t::freePort()) +
                                   "}}");
  const auto r = t::run(
      {"sh", "-c",
       t::wayhomeBinary().string() + " serve --config " + (dir / "c.json").string() + " 2>&1"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.out.find("x.y.v1.schema.json"), std::string::npos) << r.out;
}

}  // namespace

// HTTPS on the real binary: `wayhome ctl` reaches it when it trusts the certificate,
// and says why not when it does not.
TEST(ServeTls, CtlTalksHttpsToTheServiceAndRefusesAnUntrustedCertificate) {
  t::TempDir dir;
  ASSERT_TRUE(t::makeSelfSignedCertificate(dir.path()));
  t::ServedBinary serve(dir.path());
  ASSERT_TRUE(serve.start(R"(, "bus": {"default_partitions": 1})", t::tlsHttpSettings(dir.path())))
      << serve.log();
  const int port = serve.port();
  const std::string url = "https://localhost:" + std::to_string(port);
  const auto trusted = t::run({t::wayhomeBinary().string(), "ctl", "--url", url, "--cacert",
                               (dir / "cert.pem").string(), "--json", "status"});
  EXPECT_EQ(trusted.exitCode, 0) << trusted.out;
  EXPECT_NE(trusted.out.find("\"ready\""), std::string::npos) << trusted.out;
  const auto untrusted =
      t::run({"sh", "-c", t::wayhomeBinary().string() + " ctl --url " + url + " status 2>&1"});
  EXPECT_EQ(untrusted.exitCode, 69) << untrusted.out;
  EXPECT_NE(untrusted.out.find("certificate verify failed"), std::string::npos) << untrusted.out;
  EXPECT_EQ(t::http(port, "GET", "/healthz").status, 0);  // no plain HTTP on that port
  EXPECT_EQ(serve.stop(t::scaled(15000ms)), 0) << serve.log();
}
