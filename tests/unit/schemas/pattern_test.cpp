#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/pattern.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::schemas {
namespace {

bool stdSearch(const std::regex& re, const std::string& s) {
  const char* begin = s.data();
  std::match_results<const char*> m;
  return std::regex_search(begin, begin + s.size(), m, re);
}

void collectPatterns(const rapidjson::Value& v, std::set<std::string>& out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (std::string_view(m.name.GetString()) == "pattern" && m.value.IsString()) {
        out.insert(m.value.GetString());
      }
      if (std::string_view(m.name.GetString()) == "patternProperties" && m.value.IsObject()) {
        for (const auto& p : m.value.GetObject())
          out.insert(p.name.GetString());
      }
      collectPatterns(m.value, out);
    }
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray())
      collectPatterns(item, out);
  }
}

// Every pattern of every event schema, and the syntax the subset takes.
std::set<std::string> patternsUnderTest() {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(testing::schemaDir())) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    rapidjson::Document doc;
    doc.Parse(text.str().c_str());
    collectPatterns(doc, out);
  }
  for (const char* extra : {"a*b",        "(a|ab)(c|bcd)(d*)",
                            "^$",         "",
                            "a|b",        "x?",
                            "^(a|b)*c$",  "(?:ab)+",
                            "a{2,}b",     "a{0,2}$",
                            "[^a-c]x",    ".a.",
                            "\\d+\\.\\d", "[-a]",
                            "[a-]",       "[\\]x]",
                            "a+?b",       "^(ab|a)(bc|c)?$",
                            "(a*)*b",     "ab{0}c",
                            "[\\d_]+z$",  "^\\D{2}",
                            "^x{3}$",     "a\\r\\n$",
                            "[\\t ]+"}) {
    out.insert(extra);
  }
  return out;
}

// The same yes or no as std::regex_search on each schema's patterns, for example
// values and thousands of mutations of them (NUL bytes and line ends included).
TEST(Pattern, AnswersAsStdRegexDoesOnEverySchemaPattern) {
  const auto patterns = patternsUnderTest();
  ASSERT_GE(patterns.size(), 25U);
  const std::vector<std::string> seeds = {"",
                                          "a",
                                          "ab",
                                          "abc",
                                          "abcd",
                                          "aab",
                                          "xa",
                                          "1.2",
                                          "ac",
                                          "xxx",
                                          "bench-1:x.y",
                                          "2026-12-01T09:00:00.000Z",
                                          "2026-12-01T09:00:00+01:00",
                                          "2026-12-01",
                                          "15838510075",
                                          "158385 10075",
                                          "pr_a1b2c3d4000000015e6f70819e3779b1",
                                          "rent_arrears",
                                          "R5-finance"};
  const std::string alphabet = std::string("abcdxz0123456789-:.TZ+_pr R\n\r\t") + '\0';
  std::mt19937 rng(17);
  for (const auto& pattern : patterns) {
    const auto fast = Pattern::compile(pattern);
    ASSERT_TRUE(fast.has_value()) << "not compiled: " << pattern;
    const std::regex re(pattern, std::regex::ECMAScript);
    for (int n = 0; n < 4000; ++n) {
      std::string s = seeds[n % seeds.size()];
      for (int edits = n < static_cast<int>(seeds.size()) ? 0 : 1 + static_cast<int>(rng() % 4);
           edits > 0; --edits) {
        const char c = alphabet[rng() % alphabet.size()];
        const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
        switch (rng() % 3) {
          case 0:
            s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          case 1:
            if (at < s.size()) s.erase(at, 1);
            break;
          default:
            if (at < s.size()) s[at] = c;
        }
      }
      ASSERT_EQ(fast->search(s), stdSearch(re, s)) << "pattern " << pattern << " on '" << s << "'";
    }
  }
}

// What the subset does not take is left to std::regex: nothing is compiled for it.
TEST(Pattern, LeavesTheRestToStdRegex) {
  for (const char* pattern :
       {"\\bword", "(?=a)",  "(?!a)",   "a\\1",  "^a|b", "a|b$",    "[[:alpha:]]", "a**",
        "\\w+",    "\\s",    "[]a]",    "[^]",   "a$b",  "a^",      "(a",          "a)",
        "a{2",     "a{3,1}", "\\u00e6", "\\x41", "\\cA", "[\\d-z]", "x{999}"}) {
    EXPECT_FALSE(Pattern::compile(pattern).has_value()) << pattern;
  }
}

// Through the validator: a NUL cannot end a match early, and a pattern outside the
// subset is still enforced (by std::regex).
TEST(Pattern, ValidatorUsesItAndKeepsStdRegexForTheRest) {
  const JsonSchema schema(R"({"type": "object", "properties": {
      "ref": {"type": "string", "pattern": "^pr_[0-9a-f]{4}$"},
      "word": {"type": "string", "pattern": "^\\w+$"}}})",
                          "test");
  EXPECT_FALSE(schema.validate(R"({"ref": "pr_00af", "word": "abc_1"})").has_value());
  const auto nul = schema.validate(R"({"ref": "pr_00af\u0000x"})");
  ASSERT_TRUE(nul.has_value());
  EXPECT_EQ(nul->keyword, "pattern");
  EXPECT_EQ(nul->pointer, "/ref");
  const auto word = schema.validate(R"({"word": "two words"})");
  ASSERT_TRUE(word.has_value());
  EXPECT_EQ(word->pointer, "/word");
}

}  // namespace
}  // namespace wayhome::schemas
