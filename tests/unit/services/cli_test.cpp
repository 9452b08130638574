#include <gtest/gtest.h>

#include <wayhome/app/cli.hpp>

namespace wayhome::services {
namespace {

bool parse(std::vector<const char*> args, CommandLine& out, std::string& error) {
  args.insert(args.begin(), "wayhome");
  return parseCommandLine(static_cast<int>(args.size()), args.data(), out, error);
}

TEST(CommandLine, Serve) {
  CommandLine c;
  std::string e;
  ASSERT_TRUE(parse({"serve"}, c, e)) << e;
  EXPECT_EQ(c.command, Command::kServe);
  EXPECT_FALSE(c.configFile);
  ASSERT_TRUE(parse({"serve", "--config", "x.json"}, c, e)) << e;
  EXPECT_EQ(*c.configFile, "x.json");
}

TEST(CommandLine, Validate) {
  CommandLine c;
  std::string e;
  ASSERT_TRUE(parse({"validate", "loan.disbursed.v1", "d.json", "--schemas", "s"}, c, e)) << e;
  EXPECT_EQ(c.command, Command::kValidate);
  EXPECT_EQ(c.args, (std::vector<std::string>{"loan.disbursed.v1", "d.json"}));
  EXPECT_EQ(*c.schemaDir, "s");
}

TEST(CommandLine, Simulate) {
  CommandLine c;
  std::string e;
  ASSERT_TRUE(parse({"simulate", "gerica"}, c, e)) << e;
  EXPECT_EQ(c.command, Command::kSimulate);
  EXPECT_EQ(c.args, (std::vector<std::string>{"gerica"}));
  EXPECT_EQ(c.serviceUrl, "http://127.0.0.1:8080");
  EXPECT_EQ(c.simulatorSettings, "{}");
  ASSERT_TRUE(parse(
      {"simulate", "gerica", "--url", "http://127.0.0.1:9", "--settings", R"({"journeys": 2})"}, c,
      e))
      << e;
  EXPECT_EQ(c.serviceUrl, "http://127.0.0.1:9");
  EXPECT_EQ(c.simulatorSettings, R"({"journeys": 2})");
  EXPECT_FALSE(parse({"simulate"}, c, e));
  EXPECT_FALSE(parse({"simulate", "gerica", "--url"}, c, e));
  EXPECT_NE(e.find("--url needs a value"), std::string::npos);
  EXPECT_FALSE(parse({"serve", "--url", "http://x"}, c, e));
}

TEST(CommandLine, Refusals) {
  CommandLine c;
  std::string e;
  EXPECT_FALSE(parse({}, c, e));
  EXPECT_FALSE(parse({"frobnicate"}, c, e));
  EXPECT_NE(e.find("frobnicate"), std::string::npos);
  EXPECT_FALSE(parse({"serve", "--config"}, c, e));
  EXPECT_NE(e.find("--config needs a value"), std::string::npos);
  EXPECT_FALSE(parse({"serve", "--verbose"}, c, e));
  EXPECT_FALSE(parse({"serve", "extra"}, c, e));
  EXPECT_FALSE(parse({"validate", "only-one"}, c, e));
  EXPECT_FALSE(parse({"version", "--config", "x"}, c, e));
}

}  // namespace
}  // namespace wayhome::services
