#include <wayhome/connectors/connector.hpp>

#include <gtest/gtest.h>

namespace wayhome::connectors {
namespace {

class EchoConnector final : public Connector {
 public:
  explicit EchoConnector(std::string config) : config_(std::move(config)) {}
  void start(ConnectorContext&) override {}
  void stop(std::chrono::steady_clock::time_point) override {}
  std::string config_;
};

class EchoFactory final : public ConnectorFactory {
 public:
  std::string_view type() const override { return "echo"; }
  std::string_view configSchema() const override {
    return R"({"type":"object","additionalProperties":false,"required":["url"],
               "properties":{"url":{"type":"string","pattern":"^https?://"}}})";
  }
  ConnectorPtr create(const std::string&, std::string_view config) const override {
    return std::make_unique<EchoConnector>(std::string(config));
  }
};

TEST(ConnectorRegistry, CreatesByTypeAfterCheckingTheConfig) {
  ConnectorRegistry registry;
  registry.add(std::make_unique<EchoFactory>());
  auto c = registry.create("echo", "echo-1", R"({"url":"http://x"})");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(dynamic_cast<EchoConnector&>(*c).config_, R"({"url":"http://x"})");
  EXPECT_EQ(registry.types(), std::vector<std::string>{"echo"});
}

TEST(ConnectorRegistry, ConfigErrorsNameTheInstanceAndTheKey) {
  ConnectorRegistry registry;
  registry.add(std::make_unique<EchoFactory>());
  try {
    (void)registry.create("echo", "echo-1", R"({"url":"ftp://x"})");
    FAIL();
  } catch (const ConnectorConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("echo-1"), std::string::npos) << m;
    EXPECT_NE(m.find("/url"), std::string::npos) << m;
  }
  EXPECT_THROW((void)registry.create("echo", "e", R"({"url":"http://x","x":1})"),
               ConnectorConfigError);
}

TEST(ConnectorRegistry, UnknownTypeListsTheKnownOnes) {
  ConnectorRegistry registry;
  registry.add(std::make_unique<EchoFactory>());
  try {
    (void)registry.create("plania2", "p", "{}");
    FAIL();
  } catch (const ConnectorConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("known: echo"), std::string::npos) << e.what();
  }
}

TEST(ConnectorRegistry, DuplicateTypeIsAnError) {
  ConnectorRegistry registry;
  registry.add(std::make_unique<EchoFactory>());
  EXPECT_THROW(registry.add(std::make_unique<EchoFactory>()), std::logic_error);
}

}  // namespace
}  // namespace wayhome::connectors
