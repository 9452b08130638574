#include <functional>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::schemas {
namespace {

std::string nested(std::size_t depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST(ParseJson, ReadsNestingUpToTheCap) {
  rapidjson::Document d;
  ASSERT_FALSE(parseJson(d, nested(kMaxJsonDepth)));
  ASSERT_TRUE(d.IsArray());
  const rapidjson::Value* v = &d;
  for (std::size_t i = 1; i < kMaxJsonDepth; ++i)
    v = &(*v)[0];
  EXPECT_EQ((*v)[0].GetInt(), 1);
}

// 1 MB of '[' used to recurse once per byte and overflow the stack.
TEST(ParseJson, RefusesDeeperNestingNamingTheDepthAndTheByte) {
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"a\":";
  for (const auto& text : {nested(kMaxJsonDepth + 1), std::string(1 << 20, '['), objects,
                           "{\"a\":" + nested(kMaxJsonDepth) + "}"}) {
    rapidjson::Document d;
    const auto err = parseJson(d, text);
    ASSERT_TRUE(err) << text.substr(0, 80);
    EXPECT_TRUE(err->tooDeep) << err->message;
    EXPECT_NE(err->message.find("nesting deeper than 64 at byte"), std::string::npos)
        << err->message;
    EXPECT_TRUE(d.IsNull());
  }
  rapidjson::Document d;
  const auto err = parseJson(d, std::string(1 << 20, '['));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->offset, 64u);
  EXPECT_EQ(err->message, "nesting deeper than 64 at byte 64 (line 1, column 65)");
}

TEST(ParseJson, SyntaxEncodingCommentsAndTrailingText) {
  rapidjson::Document d;
  auto err = parseJson(d, "{\"a\": }");
  ASSERT_TRUE(err);
  EXPECT_FALSE(err->tooDeep);
  EXPECT_NE(err->message.find("not valid JSON at line 1, column"), std::string::npos)
      << err->message;
  EXPECT_TRUE(parseJson(d, "{\"a\": \"\xff\xfe\"}")) << "invalid UTF-8 is refused";
  EXPECT_TRUE(parseJson(d, "{} // note"));
  EXPECT_FALSE(parseJson(d, "{} // note", {.allowComments = true}));
  EXPECT_TRUE(parseJson(d, "{} x"));
  EXPECT_FALSE(parseJson(d, "{} x", {.stopWhenDone = true}));
  EXPECT_TRUE(d.IsObject());
  EXPECT_TRUE(parseJson(d, "[[1]]", {.maxDepth = 1}));
  EXPECT_FALSE(parseJson(d, "[[1]]", {.maxDepth = 2}));
}

// The schema validator reads text through SAX: iterative and capped as well, so
// POST /api/v1/schemas/{type}/validate and every consumer's validation survive it.
TEST(JsonSchema, DeepNestingIsAParseErrorNamingTheDepth) {
  const auto registry = SchemaRegistry::loadDirectory(testing::schemaDir());
  for (const auto& text :
       {std::string(1 << 20, '['), "{\"contract_id\": " + nested(100000) + "}"}) {
    const auto err = registry.validate("tenancy.rent_arrears.v1", text);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->keyword, "parse");
    EXPECT_NE(err->message.find("nesting deeper than 64"), std::string::npos) << err->message;
  }
  // Unreadable text is a parse error even where the validator objects first (here
  // to the unknown property before the deep part).
  const auto err =
      registry.validate("tenancy.rent_arrears.v1", "{\"bogus\": 1, \"x\": " + nested(100000) + "}");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->keyword, "parse") << err->message;
  EXPECT_NE(err->message.find("nesting deeper than 64"), std::string::npos) << err->message;
}

// RapidJSON hashes every value checked against an `enum` by casting doubles to
// integers (internal::Hasher::Double), which overflows for 1e300: undefined behaviour
// inside the library, suppressed by file for the sanitizer build
// (tests/sanitizers/ubsan.supp). The answer must still be right.
TEST(JsonSchema, AHugeNumberAgainstAnEnumIsRefusedNotMisread) {
  const JsonSchema schema(R"({"enum": [1, 2, "x"]})", "enum");
  for (const char* huge : {"1e300", "-1e300", "[1e300, 1e300]"}) {
    const auto err = schema.validate(huge);
    ASSERT_TRUE(err) << huge;
    EXPECT_EQ(err->keyword, "enum") << err->message;
  }
  EXPECT_FALSE(schema.validate("2"));
  const JsonSchema unique(R"({"type": "array", "uniqueItems": true})", "unique");
  EXPECT_TRUE(unique.validate("[1e300, 1e300]"));
  EXPECT_FALSE(unique.validate("[1e300, -1e300]"));
}

// libstdc++'s std::regex recurses once per character: a pattern must only ever see a
// bounded string. RapidJSON checks maxLength before pattern, so every "pattern" needs
// a "maxLength" beside it (or, under "not", in the schema that holds the "not").
TEST(SchemaRegistry, EveryPatternedStringHasAMaxLength) {
  std::size_t patterns = 0;
  std::vector<std::string> unbounded;
  std::function<void(const rapidjson::Value&, const rapidjson::Value*, const std::string&,
                     const std::string&)>
      walk = [&](const rapidjson::Value& v, const rapidjson::Value* parent, const std::string& key,
                 const std::string& where) {
        if (v.IsObject()) {
          if (v.HasMember("pattern")) {
            ++patterns;
            const bool bounded =
                v.HasMember("maxLength") || (key == "not" && parent != nullptr &&
                                             parent->IsObject() && parent->HasMember("maxLength"));
            if (!bounded) unbounded.push_back(where);
          }
          for (const auto& m : v.GetObject())
            walk(m.value, &v, m.name.GetString(), where + "/" + m.name.GetString());
        } else if (v.IsArray()) {
          for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
            walk(v[i], nullptr, "", where + "/" + std::to_string(i));
        }
      };
  for (const auto& entry : std::filesystem::directory_iterator(testing::schemaDir())) {
    const auto name = entry.path().filename().string();
    if (!name.ends_with(".schema.json")) continue;
    rapidjson::Document d;
    ASSERT_FALSE(parseJson(d, testing::readFile(entry.path()))) << name;
    walk(d, nullptr, "", name + "#");
  }
  EXPECT_GT(patterns, 100u);
  EXPECT_TRUE(unbounded.empty()) << ::testing::PrintToString(unbounded);
}

}  // namespace
}  // namespace wayhome::schemas
