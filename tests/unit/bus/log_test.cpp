#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/core/log.hpp>
#include <wayhome/testing/cases.hpp>

namespace wayhome::log {
namespace {

namespace t = wayhome::testing;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setSink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    setSink({});
    setFormat(Format::Text);
    setLevel(Level::Info);
  }
  std::vector<std::string> lines_;
};

TEST(Redact, ReplacesElevenDigitRunsOnly) {
  t::expectEach(redact, {{"fnr 01017012345 seen", "fnr [redacted] seen"},
                         {"01017012345", "[redacted]"},
                         {"phone 1234567890 and 123456789012", "phone 1234567890 and 123456789012"},
                         {"a41017012345b", "a[redacted]b"}});
}

TEST_F(LogTest, TextLineHasLevelComponentMessageAndFields) {
  info("bus", "topic created", {{"topic", "cases.plania"}, {"note", "has space"}});
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& l = lines_[0];
  EXPECT_NE(l.find("level=info component=bus msg=\"topic created\" topic=cases.plania "
                   "note=\"has space\""),
            std::string::npos)
      << l;
  EXPECT_EQ(l.back(), '\n');
}

TEST_F(LogTest, NeverWritesAnIdentityNumberEvenInFields) {
  warn("gerica", "rejected 01017012345", {{"patient", "41017012345"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find("01017012345"), std::string::npos);
  EXPECT_EQ(lines_[0].find("41017012345"), std::string::npos);
}

TEST_F(LogTest, JsonFormatIsOneValidJsonObjectPerLine) {
  setFormat(Format::Json);
  error("http", "bad \"quoted\"\nline", {{"path", "/x"}});
  ASSERT_EQ(lines_.size(), 1u);
  rapidjson::Document d;
  d.Parse(lines_[0].c_str());
  ASSERT_FALSE(d.HasParseError()) << lines_[0];
  EXPECT_STREQ(d["level"].GetString(), "error");
  EXPECT_STREQ(d["msg"].GetString(), "bad \"quoted\"\nline");
  EXPECT_STREQ(d["path"].GetString(), "/x");
}

TEST_F(LogTest, LevelFilters) {
  setLevel(Level::Warn);
  info("x", "hidden");
  debug("x", "hidden");
  warn("x", "shown");
  EXPECT_EQ(lines_.size(), 1u);
  Level l;
  EXPECT_TRUE(parseLevel("debug", l));
  EXPECT_EQ(l, Level::Debug);
  EXPECT_FALSE(parseLevel("verbose", l));
}

}  // namespace
}  // namespace wayhome::log
