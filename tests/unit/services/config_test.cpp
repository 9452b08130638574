#include <unistd.h>

#include <gtest/gtest.h>

#include <wayhome/app/builtin.hpp>
#include <wayhome/delivery/settings.hpp>
#include <wayhome/reports/settings.hpp>
#include <wayhome/router/settings.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/scheduler/settings.hpp>
#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/testing/cases.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;

// The whole configuration as serve and check-config read it: the host's keys, then each
// module's section against the module's own schema and parse.
ServiceConfig checked(const std::string& text) {
  return connectors::parseCheckedConfig(text, "test.json");
}

std::string errorOf(const std::string& text) {
  try {
    (void)checked(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<accepted>";
}

// Module `name`'s typed settings of `config`, through the registry as its factory gets them.
template <class Settings>
Settings settingsOf(const char* name, const ServiceConfig& config) {
  ModuleRegistry modules;
  connectors::registerBuiltinModules(modules);
  return modules.settings<Settings>(name, config);
}

RouterSettings routerOf(const ServiceConfig& c) {
  return settingsOf<RouterSettings>("router", c);
}
scheduler::SchedulerSettings schedulerOf(const ServiceConfig& c) {
  return settingsOf<scheduler::SchedulerSettings>("scheduler", c);
}
DeliverySettings deliveryOf(const ServiceConfig& c) {
  return settingsOf<DeliverySettings>("delivery", c);
}

TEST(Config, DefaultsAreTheEmbeddedSetUp) {
  const auto c = defaultConfig();
  EXPECT_TRUE(c.bus.embedded);
  EXPECT_EQ(c.http.address, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.dataDir, "var/wayhome");
  EXPECT_EQ(c.statePath, "var/wayhome/state.db");
  EXPECT_FALSE(c.schemaDir.empty());
}

TEST(Config, EmptyObjectGivesTheDefaults) {
  const auto c = parseConfig("{}", "x");
  EXPECT_TRUE(c.bus.embedded);
  EXPECT_EQ(c.http.port, 8080);
}

TEST(Config, ReadsEveryKeyAndAllowsComments) {
  const auto c = parseConfig(R"({
    // where state lives
    "data_dir": "/srv/wayhome",
    "log": {"level": "debug", "format": "json"},
    "bus": {"bootstrap_servers": "kafka-1:9093,kafka-2:9093", "topic_prefix": "prod.",
            "default_partitions": 12, "create_topics": true,
            "client": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512"}},
    "http": {"address": "0.0.0.0", "port": 9000, "max_body_bytes": 2048,
             "request_timeout_ms": 500, "threads": 4},
    "ops": {"tokens": [{"name": "ola", "role": "viewer", "token": "viewer-token-0123456789"}]},
    "state": {"path": "/srv/wayhome/s.db"},
    "schemas": {"dir": "/usr/share/wayhome/schemas"},
    /* bounded */ "shutdown_timeout_ms": 3000
  })",
                             "x");
  EXPECT_EQ(c.dataDir, "/srv/wayhome");
  EXPECT_EQ(c.logLevel, log::Level::Debug);
  EXPECT_EQ(c.logFormat, log::Format::Json);
  EXPECT_FALSE(c.bus.embedded);
  EXPECT_EQ(c.bus.bootstrapServers, "kafka-1:9093,kafka-2:9093");
  EXPECT_EQ(c.bus.topicPrefix, "prod.");
  EXPECT_EQ(c.bus.defaultPartitions, 12);
  EXPECT_TRUE(c.createTopics);
  EXPECT_EQ(c.bus.client.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c.http.address, "0.0.0.0");
  EXPECT_EQ(c.http.port, 9000);
  EXPECT_EQ(c.http.maxBodyBytes, 2048u);
  EXPECT_EQ(c.http.requestTimeout.count(), 500);
  EXPECT_EQ(c.http.threads, 4);
  EXPECT_EQ(c.statePath, "/srv/wayhome/s.db");
  EXPECT_EQ(c.schemaDir, "/usr/share/wayhome/schemas");
  EXPECT_EQ(c.shutdownTimeout.count(), 3000);
}

TEST(Config, UnknownKeysAreNamed) {
  EXPECT_NE(errorOf(R"({"htpp": {}})").find("/htpp"), std::string::npos);
  const std::string nested = errorOf(R"({"bus": {"embeded": true}})");
  EXPECT_NE(nested.find("/bus/embeded"), std::string::npos) << nested;
  EXPECT_NE(nested.find("additionalProperties"), std::string::npos) << nested;
}

TEST(Config, WrongTypesAndRangesAreNamed) {
  std::string e = errorOf(R"({"http": {"port": "8080"}})");
  EXPECT_NE(e.find("/http/port"), std::string::npos) << e;
  EXPECT_NE(e.find("type"), std::string::npos) << e;
  e = errorOf(R"({"http": {"port": 70000}})");
  EXPECT_NE(e.find("/http/port"), std::string::npos) << e;
  EXPECT_NE(e.find("<= 65535"), std::string::npos) << e;
  e = errorOf(R"({"log": {"level": "chatty"}})");
  EXPECT_NE(e.find("/log/level"), std::string::npos) << e;
  e = errorOf(R"({"bus": {"bootstrap_servers": "no port here"}})");
  EXPECT_NE(e.find("/bus/bootstrap_servers"), std::string::npos) << e;
  e = errorOf(R"({"bus": {"client": {"ssl.key.password": 5}}})");
  EXPECT_NE(e.find("/bus/client/ssl.key.password"), std::string::npos) << e;
}

TEST(Config, MalformedJsonSaysWhere) {
  const std::string e = errorOf("{\n  \"http\": {\n    \"port\": 80,\n  }\n");
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(errorOf("[]").find("expected object"), std::string::npos);
  EXPECT_NE(errorOf("").find("not valid JSON"), std::string::npos);
}

TEST(Config, OutboxRetentionInDays) {
  EXPECT_EQ(parseConfig("{}", "t").outboxRetention, std::chrono::hours(24 * 30));
  EXPECT_EQ(parseConfig(R"({"outbox": {"retention_days": 0}})", "t").outboxRetention.count(), 0);
  EXPECT_NE(errorOf(R"({"outbox": {"retention_days": -1}})").find("/outbox/retention_days"),
            std::string::npos);
}

TEST(Config, TlsFilesMustBeReadableAndComeInPairs) {
  EXPECT_NE(errorOf(R"({"http": {"tls": {"cert_file": "/nonexistent/cert.pem",
                    "key_file": "/nonexistent/key.pem"}}})")
                .find("/http/tls/cert_file: cannot read /nonexistent/cert.pem"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"http": {"tls": {"cert_file": "/etc/hostname"}}})").find("key_file"),
            std::string::npos);
}

TEST(Config, ContradictionsAndReservedClientKeysAreRefused) {
  EXPECT_NE(errorOf(R"({"bus": {"embedded": false}})").find("/bus/embedded"), std::string::npos);
  EXPECT_NE(errorOf(R"({"bus": {"client": {"bootstrap.servers": "x:1"}}})")
                .find("/bus/client/bootstrap.servers"),
            std::string::npos);
}

TEST(Config, OperatorTokens) {
  testing::TempDir dir;
  testing::writeSecretFile(dir / "short.token", "abc\n");
  testing::writeSecretFile(dir / "good.token", "0123456789abcdef0123\r\n");
  const auto c = parseConfig(R"({"ops": {"tokens": [
      {"name": "ola", "role": "viewer", "token": "viewer-token-0123456789"},
      {"name": "kari", "role": "admin", "token_file": ")" +
                                 (dir / "good.token").string() + R"("}]}})",
                             "test");
  ASSERT_EQ(c.opsTokens.size(), 2u);
  EXPECT_EQ(c.opsTokens[1].token, "0123456789abcdef0123");
  EXPECT_EQ(c.opsTokens[1].role, "admin");

  EXPECT_NE(
      errorOf(
          R"({"ops": {"tokens": [{"name": "a", "role": "root", "token": "0123456789abcdef"}]}})")
          .find("/ops/tokens/0/role"),
      std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token": "short"}]}})")
                .find("/ops/tokens/0/token"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin"}]}})")
                .find("exactly one of token and token_file"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": ")" +
                    (dir / "short.token").string() + R"("}]}})")
                .find("at least 16 characters"),
            std::string::npos);
  EXPECT_NE(
      errorOf(
          R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": "/nonexistent"}]}})")
          .find("/ops/tokens/0/token_file"),
      std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [
      {"name": "a", "role": "admin", "token": "0123456789abcdef"},
      {"name": "a", "role": "viewer", "token": "0123456789abcdeg"}]}})")
                .find("used twice"),
            std::string::npos);
}

TEST(Config, FileErrors) {
  testing::TempDir dir;
  EXPECT_THROW((void)loadConfigFile(dir / "absent.json"), ConfigError);
  testing::writeFile(dir / "big.json",
                     "{\"data_dir\": \"" + std::string(kMaxConfigBytes, 'a') + "\"}");
  try {
    (void)loadConfigFile(dir / "big.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos);
  }
  testing::writeFile(dir / "ok.json", R"({"http": {"port": 1234}})");
  EXPECT_EQ(loadConfigFile(dir / "ok.json").http.port, 1234);
}

TEST(Config, ShippedExamplesAreValid) {
  const auto dir = testing::sourceDir() / "deploy" / "config";
  EXPECT_NO_THROW((void)connectors::loadCheckedConfig(dir / "embedded.jsonc"));
  // The production example names files of a production host (token files): only its
  // shape can be checked here.
  const schemas::JsonSchema schema(configSchemaText(), "config schema");
  const auto invalid =
      schema.validate(testing::readFile(dir / "kafka.jsonc"), {.allowComments = true});
  EXPECT_FALSE(invalid.has_value()) << invalid->message;
}

}  // namespace
}  // namespace wayhome::services

namespace wayhome::services {
namespace {

TEST(Config, RouterKeys) {
  EXPECT_TRUE(routerOf(defaultConfig()).enabled);
  EXPECT_TRUE(routerOf(defaultConfig()).rulesFile.string().ends_with("deploy/config/rules.json"));
  const auto c = checked(R"({"router": {"enabled": false, "rules_file": "/etc/r.json"}})");
  EXPECT_FALSE(routerOf(c).enabled);
  EXPECT_EQ(routerOf(c).rulesFile, "/etc/r.json");
  EXPECT_NE(errorOf(R"({"router": {"rules": "x"}})").find("/router/rules"), std::string::npos);
  EXPECT_NE(errorOf(R"({"router": {"enabled": "yes"}})").find("/router/enabled"),
            std::string::npos);
}

}  // namespace
}  // namespace wayhome::services

namespace wayhome::services {
namespace {

TEST(Config, DeliveryWebhooks) {
  EXPECT_TRUE(deliveryOf(defaultConfig()).webhooks.empty());
  testing::TempDir dir;
  testing::writeSecretFile(dir / "hook.secret", "0123456789abcdef-from-file\n");
  testing::writeSecretFile(dir / "short.secret", "short\n");
  const auto c = checked(R"({"delivery": {"webhooks": [
      {"name": "fin", "sector": "finance", "url": "https://fin.example/hook",
       "secret": "0123456789abcdef", "timeout_ms": 2000, "max_attempts": 3,
       "initial_backoff_ms": 50, "max_backoff_ms": 500, "enabled": false},
      {"name": "hou", "sector": "housing", "url": "http://127.0.0.1:9000/in",
       "secret_file": ")" +
                         (dir / "hook.secret").string() + R"("}]}})");
  const auto hooks = deliveryOf(c).webhooks;
  ASSERT_EQ(hooks.size(), 2u);
  const auto& fin = hooks[0];
  EXPECT_EQ(fin.name, "fin");
  EXPECT_EQ(fin.sector, "finance");
  EXPECT_EQ(fin.url, "https://fin.example/hook");
  EXPECT_EQ(fin.secret, "0123456789abcdef");
  EXPECT_EQ(fin.timeout.count(), 2000);
  EXPECT_EQ(fin.maxAttempts, 3);
  EXPECT_EQ(fin.initialBackoff.count(), 50);
  EXPECT_EQ(fin.maxBackoff.count(), 500);
  EXPECT_FALSE(fin.enabled);
  const auto& hou = hooks[1];
  EXPECT_EQ(hou.secret, "0123456789abcdef-from-file");
  EXPECT_EQ(hou.maxAttempts, 24);
  EXPECT_EQ(hou.initialBackoff.count(), 1000);
  EXPECT_EQ(hou.maxBackoff.count(), 300000);
  EXPECT_TRUE(hou.enabled);

  auto one = [](const std::string& fields) {
    return errorOf(R"({"delivery": {"webhooks": [{"name": "w", )" + fields + "}]}}");
  };
  const std::string ok = R"("sector": "finance", "url": "https://h/x")";
  std::string e = one(ok);
  EXPECT_NE(e.find("/delivery/webhooks/0/secret"), std::string::npos) << e;
  EXPECT_NE(e.find("exactly one of secret and secret_file"), std::string::npos) << e;
  e = one(ok + R"(, "secret": "0123456789abcdef", "secret_file": "/x")");
  EXPECT_NE(e.find("exactly one of secret and secret_file"), std::string::npos) << e;
  e = one(ok + R"(, "secret": "too-short")");
  EXPECT_NE(e.find("/delivery/webhooks/0/secret"), std::string::npos) << e;
  e = one(ok + R"(, "secret_file": ")" + (dir / "short.secret").string() + R"(")");
  EXPECT_NE(e.find("at least 16 bytes"), std::string::npos) << e;
  e = one(ok + R"(, "secret_file": "/nonexistent/secret")");
  EXPECT_NE(e.find("/delivery/webhooks/0/secret_file"), std::string::npos) << e;
  e = one(R"("sector": "finance", "url": "ftp://h/x", "secret": "0123456789abcdef")");
  EXPECT_NE(e.find("/delivery/webhooks/0/url"), std::string::npos) << e;
  e = one(R"("sector": "finance", "url": "finance.example/x", "secret": "0123456789abcdef")");
  EXPECT_NE(e.find("/delivery/webhooks/0/url"), std::string::npos) << e;
  for (const char* url : {"http://:8080/x", "http://h:/x", "http://h:99999/x", "http://h:8a/x"}) {
    e = one(R"("sector": "finance", "secret": "0123456789abcdef", "url": ")" + std::string(url) +
            "\"");
    EXPECT_NE(e.find("/delivery/webhooks/0/url"), std::string::npos) << url << ": " << e;
  }
  EXPECT_EQ(
      one(R"("sector": "finance", "secret": "0123456789abcdef", "url": "http://[::1]:8080/x")"),
      "<accepted>");
  EXPECT_EQ(one(R"("sector": "finance", "secret": "0123456789abcdef", "url": "https://h")"),
            "<accepted>");
  // Clear text only to loopback (issue 12, item 11).
  for (const char* url : {"http://h/x", "http://fin.example:8080/hook", "http://10.1.2.3/x",
                          "http://[2001:db8::1]:80/x"}) {
    e = one(R"("sector": "finance", "secret": "0123456789abcdef", "url": ")" + std::string(url) +
            "\"");
    EXPECT_NE(e.find("/delivery/webhooks/0/url: http:// sends in clear text"), std::string::npos)
        << url << ": " << e;
  }
  for (const char* url :
       {"http://127.0.0.1:9000/in", "http://localhost/x", "http://127.8.9.10/x"}) {
    EXPECT_EQ(one(R"("sector": "finance", "secret": "0123456789abcdef", "url": ")" +
                  std::string(url) + "\""),
              "<accepted>")
        << url;
  }
  e = one(R"("sector": "police", "url": "https://h/x", "secret": "0123456789abcdef")");
  EXPECT_NE(e.find("/delivery/webhooks/0/sector"), std::string::npos) << e;
  e = one(R"("url": "http://h/x", "secret": "0123456789abcdef")");
  EXPECT_NE(e.find("sector"), std::string::npos) << e;
  e = one(ok + R"(, "secret": "0123456789abcdef", "retries": 3)");
  EXPECT_NE(e.find("/delivery/webhooks/0/retries"), std::string::npos) << e;
  e = one(ok + R"(, "secret": "0123456789abcdef", "max_attempts": 0)");
  EXPECT_NE(e.find("/delivery/webhooks/0/max_attempts"), std::string::npos) << e;
  e = one(ok +
          R"(, "secret": "0123456789abcdef", "initial_backoff_ms": 500, "max_backoff_ms": 100)");
  EXPECT_NE(e.find("/delivery/webhooks/0/max_backoff_ms"), std::string::npos) << e;
  e = errorOf(R"({"delivery": {"webhooks": [
      {"name": "w", "sector": "finance", "url": "https://h/x", "secret": "0123456789abcdef"},
      {"name": "w", "sector": "housing", "url": "https://h/y", "secret": "0123456789abcdef"}]}})");
  EXPECT_NE(e.find("/delivery/webhooks/1/name"), std::string::npos) << e;
  EXPECT_NE(e.find("used twice"), std::string::npos) << e;
}

// ---- issue 12: trust boundaries in the configuration ---------------------------

TEST(ConfigTrust, TokensAreDistinctAndCaseWorkersAreBoundToSectors) {
  // One value under two names: which one acts (and is audited) would be luck.
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [
      {"name": "a", "role": "viewer", "token": "0123456789abcdef"},
      {"name": "b", "role": "admin", "token": "0123456789abcdef"}]}})")
                .find("/ops/tokens/1: has the same token value as 'a'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [
      {"name": "cw", "role": "caseworker", "token": "0123456789abcdef"}]}})")
                .find("/ops/tokens/0/sectors"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [
      {"name": "op", "role": "admin", "token": "0123456789abcdef", "sectors": ["finance"]}]}})")
                .find("only caseworker tokens have sectors"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"ops": {"tokens": [
      {"name": "cw", "role": "caseworker", "token": "0123456789abcdef", "sectors": ["bank"]}]}})")
                .find("/ops/tokens/0/sectors/0"),
            std::string::npos);
  const auto c = parseConfig(R"({"ops": {"tokens": [
      {"name": "cw", "role": "caseworker", "token": "0123456789abcdef",
       "sectors": ["finance", "nav"]}]}})",
                             "x");
  EXPECT_EQ(c.opsTokens[0].sectors, (std::vector<std::string>{"finance", "nav"}));
}

TEST(ConfigTrust, OpenReadsAndUnauthenticatedIntakesOnlyOnLoopback) {
  EXPECT_NE(errorOf(R"({"http": {"address": "0.0.0.0"}})").find("/http/address"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"http": {"address": "10.1.2.3"}})").find("no /ops/tokens"),
            std::string::npos);
  EXPECT_EQ(errorOf(R"({"http": {"address": "127.0.0.2"}})"), "<accepted>");
  EXPECT_EQ(errorOf(R"({"http": {"address": "::1"}})"), "<accepted>");
  EXPECT_NE(errorOf(R"({"insecure_demo": true, "http": {"address": "0.0.0.0"},
      "ops": {"tokens": [{"name": "a", "role": "admin", "token": "0123456789abcdef"}]}})")
                .find("/insecure_demo"),
            std::string::npos);
  EXPECT_TRUE(parseConfig(R"({"insecure_demo": true})", "x").insecureDemo);
  EXPECT_FALSE(parseConfig("{}", "x").insecureDemo);
  t::expectEach(isLoopbackAddress, true, {"localhost", "127.9.9.9", "::ffff:127.0.0.1"});
  t::expectEach(isLoopbackAddress, false, {"::", "128.0.0.1", "localhost.example.org"});
}

TEST(ConfigTrust, SecretFilesReadableByOthersAreRefused) {
  testing::TempDir dir;
  testing::writeFile(dir / "open.token", "0123456789abcdef0123\n");
  std::filesystem::permissions(dir / "open.token", std::filesystem::perms(0644));
  const auto e = errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": ")" +
                         (dir / "open.token").string() + R"("}]}})");
  EXPECT_NE(e.find("/ops/tokens/0/token_file"), std::string::npos) << e;
  EXPECT_NE(e.find("mode 0644"), std::string::npos) << e;
  // Readable by the service's own group (root:wayhome 0640): accepted; by another
  // group: refused (when the test may give the file away to one).
  std::filesystem::permissions(dir / "open.token", std::filesystem::perms(0640));
  EXPECT_EQ(errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": ")" +
                    (dir / "open.token").string() + R"("}]}})"),
            "<accepted>");
  if (::chown((dir / "open.token").c_str(), static_cast<uid_t>(-1), ::getegid() + 1) == 0) {
    EXPECT_NE(errorOf(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": ")" +
                      (dir / "open.token").string() + R"("}]}})")
                  .find("group or others"),
              std::string::npos);
  }
  std::filesystem::permissions(dir / "open.token", std::filesystem::perms(0600));
  EXPECT_EQ(parseConfig(R"({"ops": {"tokens": [{"name": "a", "role": "admin", "token_file": ")" +
                            (dir / "open.token").string() + R"("}]}})",
                        "x")
                .opsTokens[0]
                .token,
            "0123456789abcdef0123");
}

TEST(ConfigTrust, TheSaslPasswordMayComeFromAFile) {
  testing::TempDir dir;
  testing::writeSecretFile(dir / "sasl", "s3cret-password\n");
  const std::string file = (dir / "sasl").string();
  const auto c = parseConfig(
      R"({"bus": {"bootstrap_servers": "k:9093", "sasl_password_file": ")" + file + R"("}})", "x");
  EXPECT_EQ(c.bus.client.at("sasl.password"), "s3cret-password");
  EXPECT_NE(errorOf(R"({"bus": {"bootstrap_servers": "k:9093", "sasl_password_file": ")" + file +
                    R"(", "client": {"sasl.password": "inline"}}})")
                .find("/bus/sasl_password_file"),
            std::string::npos);
  std::filesystem::permissions(dir / "sasl", std::filesystem::perms(0644));
  EXPECT_NE(errorOf(R"({"bus": {"bootstrap_servers": "k:9093", "sasl_password_file": ")" + file +
                    R"("}})")
                .find("group or others"),
            std::string::npos);
}

TEST(ConfigTrust, ThePersonRefKeyLivesBesideTheDataFolderNotInIt) {
  EXPECT_EQ(defaultConfig().identityKeyFile, "var/wayhome.keys/person_ref.key");
  const auto c = parseConfig(R"({"data_dir": "/srv/wayhome/"})", "x");
  EXPECT_EQ(c.identityKeyFile, "/srv/wayhome.keys/person_ref.key");
  EXPECT_TRUE(c.identityKeyCreate);
  EXPECT_EQ(c.identityKeyFile.parent_path().string().find(c.dataDir.string() + "/"),
            std::string::npos);
}

TEST(ConfigTrust, ConsentSourcesDefaultToTheApiAndEachGericaInstance) {
  const auto c = parseConfig(R"({"connectors": [
      {"type": "gerica", "name": "north", "settings": {"drop_folder": {"path": "/x"}}},
      {"type": "loan", "name": "loan", "settings": {}}]})",
                             "x");
  EXPECT_EQ(consentSources(routerOf(c).consentSources, c),
            (std::vector<std::string>{"/wayhome/api", "/wayhome/connectors/gerica/north"}));
  const auto d = checked(R"({"router": {"consent_sources": ["/a"]}})");
  EXPECT_EQ(consentSources(routerOf(d).consentSources, d), std::vector<std::string>{"/a"});
  EXPECT_NE(
      errorOf(R"({"router": {"consent_sources": ["no-slash"]}})").find("/router/consent_sources/0"),
      std::string::npos);
}

TEST(Config, ReidentificationAndWebhookEventTypes) {
  auto c = parseConfig("{}", "t");
  EXPECT_TRUE(c.identityVaultKeyFile.empty());
  c = parseConfig(R"({"identity": {"reidentification": {"key_file": "/etc/w/vault.key",
                      "retention_days": 30, "per_minute": 3}}})",
                  "t");
  EXPECT_EQ(c.identityVaultKeyFile, "/etc/w/vault.key");
  EXPECT_EQ(c.identityVaultRetention, std::chrono::hours(24 * 30));
  EXPECT_EQ(c.identityResolvePerMinute, 3);
  std::string e = errorOf(R"({"identity": {"reidentification": {"per_minute": 3}}})");
  EXPECT_NE(e.find("/identity/reidentification"), std::string::npos) << e;
  e = errorOf(R"({"identity": {"reidentification": {"key_file": "k", "per_minute": 0}}})");
  EXPECT_NE(e.find("/identity/reidentification/per_minute"), std::string::npos) << e;

  const std::string hook = R"({"delivery": {"webhooks": [{"name": "h", "sector": "housing",
      "url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef0123")";
  c = checked(hook + "}]}}");
  EXPECT_EQ(deliveryOf(c).webhooks.at(0).events,
            (std::vector<std::string>{"referral.created.v1", "referral.escalated.v1"}));
  c = checked(hook + R"(, "events": ["meeting.notice.v1", "referral.consent_needed.v1"]}]}})");
  EXPECT_EQ(deliveryOf(c).webhooks.at(0).events,
            (std::vector<std::string>{"meeting.notice.v1", "referral.consent_needed.v1"}));
  e = errorOf(hook + R"(, "events": ["referral.closed.v1"]}]}})");
  EXPECT_NE(e.find("/delivery/webhooks/0/events/0"), std::string::npos) << e;
  e = errorOf(hook + R"(, "events": []}]}})");
  EXPECT_NE(e.find("/delivery/webhooks/0/events"), std::string::npos) << e;
}

// ---- sectors (issue 15 item 10) --------------------------------------------

std::string withSectors(const std::string& list, const std::string& rest = "") {
  return R"({"sectors": )" + list + rest + "}";
}

const char* kFive = R"([{"name": "housing"}, {"name": "finance"}, {"name": "health_care"},
                        {"name": "nav"}, {"name": "property"})";

TEST(ConfigSectors, AbsentGivesTheFiveOfToday) {
  const auto c = parseConfig("{}", "x");
  ASSERT_EQ(c.sectors.size(), 5u);
  EXPECT_EQ(c.sectors[0].name, "housing");
  EXPECT_EQ(c.sectors[4].name, "property");
  ASSERT_EQ(schedulerOf(c).recurring.size(), 1u);
  EXPECT_EQ(schedulerOf(c).recurring[0].participants.size(), 5u);
}

TEST(ConfigSectors, AnAddedSectorGetsItsTopicsAndMayBeNamedEverywhere) {
  const auto c =
      checked(withSectors(std::string(kFive) +
                              R"(, {"name": "elderly_care", "description": "elderly people",
        "role": "elderly_care_coordinator", "topics": {"partitions": 3, "retention_days": 30}}])",
                          R"(, "ops": {"tokens": [{"name": "eld", "role": "caseworker",
                       "token": "0123456789abcdef-eld", "sectors": ["elderly_care"]}]},
                     "delivery": {"webhooks": [{"name": "eld", "sector": "elderly_care",
                       "url": "https://eld.example/hook", "secret": "0123456789abcdef"}]})"));
  ASSERT_EQ(c.sectors.size(), 6u);
  const auto& e = c.sectors.back();
  EXPECT_EQ(e.name, "elderly_care");
  EXPECT_EQ(e.description, "elderly people");
  EXPECT_EQ(e.topics.partitions, 3);
  EXPECT_EQ(e.topics.retentionDays, 30);
  EXPECT_FALSE(c.sectors[0].topics.partitions.has_value());
  EXPECT_EQ(c.sectors[0].topics.retentionDays, 14);
  // The default coordination meeting invites each sector that has a role.
  const auto ps = schedulerOf(c).recurring.at(0).participants;
  ASSERT_EQ(ps.size(), 1u);  // only elderly_care has a role here
  EXPECT_EQ(ps[0],
            (std::pair<std::string, std::string>{"elderly_care_coordinator", "elderly_care"}));
  const bus::Topics topics(c.bus.topicPrefix, c.sectors);
  bool referrals = false, notices = false;
  for (const auto& t : topics.all(6)) {
    if (t.name == "referrals.elderly_care") {
      referrals = true;
      EXPECT_EQ(t.partitions, 3);
      EXPECT_EQ(t.retention, std::chrono::hours(24 * 30));
      EXPECT_EQ(t.sector, "elderly_care");
    }
    notices = notices || t.name == "notices.elderly_care";
  }
  EXPECT_TRUE(referrals);
  EXPECT_TRUE(notices);
}

TEST(ConfigSectors, HostileListsAreRefusedNamingTheField) {
  // Not an array.
  std::string e = errorOf(withSectors(R"({"name": "housing"})"));
  EXPECT_NE(e.find("/sectors"), std::string::npos) << e;
  EXPECT_NE(e.find("type"), std::string::npos) << e;
  e = errorOf(withSectors(R"("housing")"));
  EXPECT_NE(e.find("/sectors"), std::string::npos) << e;
  // Empty, and 65 sectors.
  e = errorOf(withSectors("[]"));
  EXPECT_NE(e.find("/sectors"), std::string::npos) << e;
  std::string many = std::string(kFive);
  for (int i = 0; i < 60; ++i)
    many += R"(, {"name": "s)" + std::to_string(i) + "\"}";
  e = errorOf(withSectors(many + "]"));
  EXPECT_NE(e.find("/sectors"), std::string::npos) << e;
  EXPECT_NE(e.find("maxItems"), std::string::npos) << e;
  std::string sixtyFour = std::string(kFive);
  for (int i = 0; i < 59; ++i)
    sixtyFour += R"(, {"name": "s)" + std::to_string(i) + "\"}";
  EXPECT_EQ(parseConfig(withSectors(sixtyFour + "]"), "x").sectors.size(), 64u);
  // A duplicate.
  e = errorOf(withSectors(std::string(kFive) + R"(, {"name": "nav"}])"));
  EXPECT_NE(e.find("/sectors/5/name"), std::string::npos) << e;
  EXPECT_NE(e.find("used twice"), std::string::npos) << e;
  // Bad names.
  for (const char* bad : {"Elderly", "1st", "", "elderly-care",
                          "a234567890123456789012345678901234", "eld\u00e6r", "x y"}) {
    e = errorOf(withSectors(std::string(kFive) + R"(, {"name": ")" + bad + "\"}]"));
    EXPECT_NE(e.find("/sectors/5/name"), std::string::npos) << bad << ": " << e;
  }
  e = errorOf(withSectors(std::string(kFive) + R"(, {"name": 7}])"));
  EXPECT_NE(e.find("/sectors/5/name"), std::string::npos) << e;
  // Missing housing (and each of the others wayhome names itself); nav may go.
  e = errorOf(
      withSectors(R"([{"name": "finance"}, {"name": "health_care"}, {"name": "property"}])"));
  EXPECT_NE(e.find("/sectors: must include \"housing\""), std::string::npos) << e;
  e = errorOf(
      withSectors(R"([{"name": "housing"}, {"name": "health_care"}, {"name": "property"}])"));
  EXPECT_NE(e.find("must include \"finance\""), std::string::npos) << e;
  EXPECT_EQ(parseConfig(withSectors(R"([{"name": "housing"}, {"name": "finance"},
      {"name": "health_care"}, {"name": "property"}])"),
                        "x")
                .sectors.size(),
            4u);
  // Wrong-typed and out-of-range topic settings; unknown keys.
  e = errorOf(
      withSectors(std::string(kFive) + R"(, {"name": "eld", "topics": {"partitions": "3"}}])"));
  EXPECT_NE(e.find("/sectors/5/topics/partitions"), std::string::npos) << e;
  e = errorOf(
      withSectors(std::string(kFive) + R"(, {"name": "eld", "topics": {"partitions": 0}}])"));
  EXPECT_NE(e.find("/sectors/5/topics/partitions"), std::string::npos) << e;
  e = errorOf(
      withSectors(std::string(kFive) + R"(, {"name": "eld", "topics": {"retention_days": 1.5}}])"));
  EXPECT_NE(e.find("/sectors/5/topics/retention_days"), std::string::npos) << e;
  e = errorOf(withSectors(std::string(kFive) + R"(, {"name": "eld", "readers": ["x"]}])"));
  EXPECT_NE(e.find("/sectors/5/readers"), std::string::npos) << e;
  EXPECT_NE(e.find("additionalProperties"), std::string::npos) << e;
  e = errorOf(withSectors(std::string(kFive) + R"(, {"name": "eld", "topics": {"replicas": 3}}])"));
  EXPECT_NE(e.find("/sectors/5/topics/replicas"), std::string::npos) << e;
  e = errorOf(withSectors(std::string(kFive) + R"(, {"description": "no name"}])"));
  EXPECT_NE(e.find("/sectors/5"), std::string::npos) << e;
  EXPECT_NE(e.find("required"), std::string::npos) << e;
}

TEST(ConfigSectors, TokensWebhooksAndMeetingsNameOnlyConfiguredSectors) {
  std::string e = errorOf(R"({"ops": {"tokens": [
      {"name": "a", "role": "viewer", "token": "0123456789abcdef-a"},
      {"name": "b", "role": "caseworker", "token": "0123456789abcdef-b", "sectors": ["housing"]},
      {"name": "c", "role": "caseworker", "token": "0123456789abcdef-c",
       "sectors": ["nav", "elderly"]}]}})");
  EXPECT_NE(e.find("/ops/tokens/2/sectors/1: \"elderly\" is not a configured sector"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("configured: housing, finance, health_care, nav, property"), std::string::npos)
      << e;
  e = errorOf(R"({"delivery": {"webhooks": [{"name": "w", "sector": "elderly",
      "url": "https://h/x", "secret": "0123456789abcdef"}]}})");
  EXPECT_NE(e.find("/delivery/webhooks/0/sector: \"elderly\" is not a configured sector"),
            std::string::npos)
      << e;
  e = errorOf(R"({"scheduler": {"recurring": [{"name": "m", "rrule": "FREQ=MONTHLY;BYDAY=1TU",
      "title": "M", "participants": [{"role": "tenant"}, {"role": "x", "sector": "elderly"}]}]}})");
  EXPECT_NE(e.find("/scheduler/recurring/0/participants/1/sector: \"elderly\" is not a "
                   "configured sector"),
            std::string::npos)
      << e;
  // Without nav configured, a nav token is refused and the default meeting leaves nav out.
  const std::string four = R"([{"name": "housing", "role": "housing_contact"}, {"name": "finance"},
      {"name": "health_care"}, {"name": "property"}])";
  e = errorOf(withSectors(four, R"(, "ops": {"tokens": [{"name": "n", "role": "caseworker",
      "token": "0123456789abcdef-n", "sectors": ["nav"]}]})"));
  EXPECT_NE(e.find("/ops/tokens/0/sectors/0: \"nav\" is not a configured sector"),
            std::string::npos)
      << e;
  const auto c = parseConfig(withSectors(four), "x");
  ASSERT_EQ(schedulerOf(c).recurring.at(0).participants.size(), 1u);
  EXPECT_EQ(schedulerOf(c).recurring.at(0).participants[0].second, "housing");
}

TEST(ConfigSectors, NamesFollowOnePattern) {
  EXPECT_TRUE(bus::isSectorName("housing"));
  EXPECT_TRUE(bus::isSectorName("elderly_care"));
  EXPECT_TRUE(bus::isSectorName("a2345678901234567890123456789012"));    // 32
  EXPECT_FALSE(bus::isSectorName("a23456789012345678901234567890123"));  // 33
  EXPECT_FALSE(bus::isSectorName(""));
  EXPECT_FALSE(bus::isSectorName("Housing"));
  EXPECT_FALSE(bus::isSectorName("_x"));
  EXPECT_FALSE(bus::isSectorName("9x"));
  EXPECT_FALSE(bus::isSectorName("x-y"));
}

// ---- module settings: each module's section, its own schema (issue 11) ---------

// `error` names `pointer` (the key in the whole file) and contains `what`.
void expectNames(const std::string& config, const std::string& pointer, const std::string& what) {
  const std::string e = errorOf(config);
  EXPECT_NE(e.find("config test.json: " + pointer + ":"), std::string::npos) << config << "\n" << e;
  EXPECT_NE(e.find(what), std::string::npos) << config << "\n" << e;
}

TEST(ConfigModules, TheHostKeepsEachModulesSectionUnreadAsRawJson) {
  // The host's parse alone reads no module key: a bad value passes it and the section
  // is kept for its module, which refuses it.
  const auto c = parseConfig(R"({"scheduler": {"poll_ms": "fast"}, "router": {}})", "x");
  EXPECT_EQ(c.modules.at("scheduler"), R"({"poll_ms":"fast"})");
  EXPECT_TRUE(c.section("router").present);
  EXPECT_FALSE(c.section("delivery").present);
  EXPECT_EQ(c.section("delivery").json, "{}");
  expectNames(R"({"scheduler": {"poll_ms": "fast"}})", "/scheduler/poll_ms", "expected integer");
  // A module's section is an object; a key that no module owns is refused.
  expectNames(R"({"scheduler": [1]})", "/scheduler", "expected object");
  expectNames(R"({"schedular": {}})", "/schedular", "unknown property 'schedular'");
  expectNames(R"({"schedular": 1})", "/schedular", "expected object");
  EXPECT_NE(errorOf(R"({"schedular": {}})").find("modules: delivery, reports, router, scheduler"),
            std::string::npos);
}

TEST(ConfigModules, ARegistryRefusesAModuleTwice) {
  ModuleRegistry modules;
  connectors::registerBuiltinModules(modules);
  EXPECT_EQ(modules.types(),
            (std::vector<std::string>{"delivery", "reports", "router", "scheduler"}));
  EXPECT_THROW(modules.add(scheduler::makeSchedulerModule()), std::logic_error);
}

TEST(ConfigModules, SchedulerSettingsAreTypedAndHostileOnesNamed) {
  const auto s = schedulerOf(checked(R"({"scheduler": {"enabled": false,
      "working_hours": {"start": "09:00", "end": "16:00"}, "meeting_minutes": 45,
      "lead_time_days": 7, "reminder_hours": 0, "default_window_days": 21, "place": "Rådhuset",
      "organizer": "mailto:team@kommune.invalid", "poll_ms": 250, "retention_days": 0,
      "recurring": []}})"));
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.workStartMinutes, 9 * 60);
  EXPECT_EQ(s.workEndMinutes, 16 * 60);
  EXPECT_EQ(s.meetingMinutes, 45);
  EXPECT_EQ(s.leadTimeDays, 7);
  EXPECT_EQ(s.reminderHours, 0);
  EXPECT_EQ(s.defaultWindowDays, 21);
  EXPECT_EQ(s.place, "Rådhuset");
  EXPECT_EQ(s.organizer, "mailto:team@kommune.invalid");
  EXPECT_EQ(s.poll.count(), 250);
  EXPECT_EQ(s.retention.count(), 0);
  EXPECT_TRUE(s.recurring.empty());
  // The defaults of today.
  const auto d = schedulerOf(defaultConfig());
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.meetingMinutes, 60);
  EXPECT_EQ(d.poll.count(), 500);
  EXPECT_EQ(d.retention, std::chrono::hours(24 * 365));
  ASSERT_EQ(d.recurring.size(), 1u);
  EXPECT_EQ(d.recurring[0].name, "coordination");

  const std::string meeting =
      R"({"name": "m", "rrule": "FREQ=MONTHLY;BYDAY=1TU", "title": "M", "participants": [{"role": "x"}])";
  auto with = [](const std::string& settings) { return R"({"scheduler": )" + settings + "}"; };
  expectNames(with(R"({"poll_ms": "20"})"), "/scheduler/poll_ms", "type");
  expectNames(with(R"({"enabled": 1})"), "/scheduler/enabled", "type");
  expectNames(with(R"({"polling_ms": 20})"), "/scheduler/polling_ms", "additionalProperties");
  expectNames(with(R"({"poll_ms": 5})"), "/scheduler/poll_ms", "must be >= 10");
  expectNames(with(R"({"meeting_minutes": 481})"), "/scheduler/meeting_minutes", "<= 480");
  expectNames(with(R"({"lead_time_days": -1})"), "/scheduler/lead_time_days", ">= 0");
  expectNames(with(R"({"working_hours": {"start": "25:00", "end": "16:00"}})"),
              "/scheduler/working_hours/start", "pattern");
  expectNames(with(R"({"working_hours": {"start": "12:00", "end": "09:00"}})"),
              "/scheduler/working_hours/end", "must be after start");
  expectNames(
      with(R"({"working_hours": {"start": "08:00", "end": "09:00"}, "meeting_minutes": 90})"),
      "/scheduler/meeting_minutes", "longer than the working day");
  expectNames(with(R"({"recurring": [{"name": "m", "rrule": "FREQ=YEARLY", "title": "M",
      "participants": [{"role": "x"}]}]})"),
              "/scheduler/recurring/0/rrule", "RRULE");
  expectNames(with(R"({"recurring": [)" + meeting + "}, " + meeting + "}]}"),
              "/scheduler/recurring/1/name", "used twice");
  expectNames(with(R"({"recurring": [)" + meeting + R"(, "colour": "red"}]})"),
              "/scheduler/recurring/0/colour", "additionalProperties");
  expectNames(with(R"({"recurring": [)" + meeting + R"(, "participants": []}]})"),
              "/scheduler/recurring/0/participants", "at least 1");
  expectNames(with(R"({"recurring": {"name": "m"}})"), "/scheduler/recurring", "expected array");
  expectNames(with(R"({"place": "Hos 01017012345"})"), "/scheduler/place", "not allowed");
}

TEST(ConfigModules, RouterSettingsHostileOnesNamed) {
  const auto r = routerOf(checked(R"({"router": {"consent_sources": ["/a", "/b"]}})"));
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.consentSources, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_FALSE(routerOf(defaultConfig()).consentSources.has_value());
  auto with = [](const std::string& settings) { return R"({"router": )" + settings + "}"; };
  expectNames(with(R"({"rules_file": 7})"), "/router/rules_file", "type");
  expectNames(with(R"({"rules_file": ""})"), "/router/rules_file", "at least 1");
  expectNames(with(R"({"rulesfile": "r.json"})"), "/router/rulesfile", "additionalProperties");
  expectNames(with(R"({"consent_sources": ["/a", "/a"]})"), "/router/consent_sources/1", "unique");
  expectNames(with(R"({"consent_sources": "/a"})"), "/router/consent_sources", "expected array");
}

TEST(ConfigModules, DeliverySettingsHostileOnesNamed) {
  auto with = [](const std::string& settings) { return R"({"delivery": )" + settings + "}"; };
  const std::string hook =
      R"({"name": "w", "sector": "finance", "url": "https://h/x", "secret": "0123456789abcdef")";
  expectNames(with(R"({"webhooks": {}})"), "/delivery/webhooks", "expected array");
  expectNames(with(R"({"hooks": []})"), "/delivery/hooks", "additionalProperties");
  expectNames(with(R"({"webhooks": [)" + hook + R"(, "timeout_ms": 5}]})"),
              "/delivery/webhooks/0/timeout_ms", ">= 10");
  expectNames(with(R"({"webhooks": [)" + hook + R"(, "timeout_ms": "5s"}]})"),
              "/delivery/webhooks/0/timeout_ms", "type");
  expectNames(with(R"({"webhooks": [)" + hook + R"(, "max_attempts": 101}]})"),
              "/delivery/webhooks/0/max_attempts", "<= 100");
  expectNames(with(R"({"webhooks": [{"name": "w", "sector": "police", "url": "https://h/x",
      "secret": "0123456789abcdef"}]})"),
              "/delivery/webhooks/0/sector", "\"police\" is not a configured sector");
}

TEST(ConfigModules, ReportsSettingsHostileOnesNamed) {
  ModuleRegistry modules;
  connectors::registerBuiltinModules(modules);
  auto c = checked(R"({"data_dir": "/srv/w", "reports": {"publish": false,
      "targets_file": "/etc/w/targets.json"}})");
  auto r = modules.settings<reports::ReportsSettings>("reports", c);
  EXPECT_TRUE(r.enabled);
  EXPECT_FALSE(r.publish);
  EXPECT_EQ(r.folder, "/srv/w/reports");  // default: <data_dir>/reports
  EXPECT_EQ(r.targetsFile, "/etc/w/targets.json");
  auto with = [](const std::string& settings) { return R"({"reports": )" + settings + "}"; };
  expectNames(with(R"({"publish": "yes"})"), "/reports/publish", "type");
  expectNames(with(R"({"dir": "x"})"), "/reports/dir", "additionalProperties");
  expectNames(with(R"({"folder": ""})"), "/reports/folder", "at least 1");
  expectNames(with(R"({"targets_file": ")" + std::string(5000, 'a') + R"("})"),
              "/reports/targets_file", "at most 4096");
}

TEST(ConfigModules, ConnectorAndSimulatorSettingsAreNamedByTheirPlaceInTheFile) {
  expectNames(R"({"connectors": [{"type": "loan", "name": "loan", "settings": {"secret": 5}}]})",
              "/connectors/0/settings/secret", "type");
  expectNames(
      R"({"connectors": [{"type": "loan", "name": "loan", "settings": {"colour": "red"}}]})",
      "/connectors/0/settings/colour", "additionalProperties");
  expectNames(R"({"connectors": [{"type": "sap", "name": "sap"}]})", "/connectors/0/type",
              "unknown type 'sap' (known: gerica, loan, plania)");
  expectNames(R"({"simulators": [{"type": "plania", "settings": {"bogus": 1}}]})",
              "/simulators/0/settings/bogus", "additionalProperties");
}

}  // namespace
}  // namespace wayhome::services
