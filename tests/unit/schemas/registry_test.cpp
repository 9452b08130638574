#include <regex>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::schemas {
namespace {

std::string toText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

// Every event type named in the design's catalogue has a schema.
TEST(SchemaRegistry, HasEverySchemaOfTheCatalogue) {
  const auto registry = SchemaRegistry::loadDirectory(testing::schemaDir());
  for (const char* type : {"housing.application_received.v1",
                           "tenancy.contract_signed.v1",
                           "tenancy.contract_renewed.v1",
                           "tenancy.contract_terminated.v1",
                           "tenancy.rent_arrears.v1",
                           "property.unit_vacated.v1",
                           "property.maintenance_scheduled.v1",
                           "care.housing_need_observed.v1",
                           "care.service_decision.v1",
                           "care.individual_plan_updated.v1",
                           "loan.application_submitted.v1",
                           "loan.application_decided.v1",
                           "loan.disbursed.v1",
                           "loan.instalment_missed.v1",
                           "consent.granted.v1",
                           "consent.withdrawn.v1",
                           "referral.created.v1",
                           "referral.consent_needed.v1",
                           "referral.acknowledged.v1",
                           "referral.closed.v1",
                           "meeting.notice.v1",
                           "audit.decision.v1",
                           "audit.decision.v2"}) {
    EXPECT_TRUE(registry.has(type)) << type;
  }
}

// Runs every example beside every schema through the registry: valid ones pass,
// invalid ones fail with the keyword and at the pointer they state.
TEST(SchemaRegistry, EveryExampleIsJudgedAsItSays) {
  const auto registry = SchemaRegistry::loadDirectory(testing::schemaDir());
  std::size_t valid = 0;
  std::size_t invalid = 0;
  for (const auto& type : registry.types()) {
    const auto file = testing::schemaDir() / (type + ".examples.json");
    ASSERT_TRUE(std::filesystem::exists(file)) << "no examples for " << type;
    rapidjson::Document doc;
    doc.Parse(testing::readFile(file).c_str());
    ASSERT_FALSE(doc.HasParseError()) << file;
    ASSERT_TRUE(doc.HasMember("valid") && doc["valid"].IsArray() && !doc["valid"].Empty()) << file;
    ASSERT_TRUE(doc.HasMember("invalid") && doc["invalid"].IsArray() && !doc["invalid"].Empty())
        << file;
    for (const auto& example : doc["valid"].GetArray()) {
      const auto error = registry.validate(type, toText(example));
      EXPECT_FALSE(error.has_value()) << type << ": " << (error ? error->message : "");
      ++valid;
    }
    for (const auto& example : doc["invalid"].GetArray()) {
      const std::string why = example["why"].GetString();
      const auto error = registry.validate(type, toText(example["data"]));
      ASSERT_TRUE(error.has_value()) << type << " accepted an invalid example: " << why;
      EXPECT_EQ(error->keyword, example["keyword"].GetString()) << type << ": " << why;
      // The registry sharpens the pointer to the property for required/additional.
      const std::string pointer = example["pointer"].GetString();
      EXPECT_TRUE(error->pointer.rfind(pointer, 0) == 0)
          << type << ": " << why << " reported at " << error->pointer;
      EXPECT_NE(error->message.find(error->keyword), std::string::npos) << error->message;
      ++invalid;
    }
  }
  EXPECT_GE(valid, registry.size());
  EXPECT_GE(invalid, registry.size());
}

TEST(SchemaRegistry, NoExampleOrSchemaCarriesAnIdentityNumber) {
  const std::regex elevenDigits("[0-9]{11}");
  for (const auto& entry : std::filesystem::directory_iterator(testing::schemaDir())) {
    // The schemas themselves may say "[0-9]{11}" as a pattern; no literal number.
    const std::string text = testing::readFile(entry.path());
    EXPECT_FALSE(std::regex_search(text, elevenDigits)) << entry.path();
  }
}

TEST(JsonSchema, NamesTheMissingAndTheUnknownProperty) {
  JsonSchema schema(R"({"type":"object","additionalProperties":false,
      "required":["person_ref"],
      "properties":{"person_ref":{"type":"string"},"n":{"type":"integer","minimum":1}}})",
                    "test");
  auto e = schema.validate(R"({})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->keyword, "required");
  EXPECT_EQ(e->pointer, "/person_ref");
  EXPECT_NE(e->message.find("missing required property 'person_ref'"), std::string::npos);

  e = schema.validate(R"({"person_ref":"x","bogus":1})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->keyword, "additionalProperties");
  EXPECT_EQ(e->pointer, "/bogus");

  e = schema.validate(R"({"person_ref":"x","n":0})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->keyword, "minimum");
  EXPECT_EQ(e->pointer, "/n");
  EXPECT_NE(e->message.find(">= 1"), std::string::npos) << e->message;

  e = schema.validate(R"({"person_ref":7})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->keyword, "type");
  EXPECT_NE(e->message.find("got integer"), std::string::npos) << e->message;
}

TEST(JsonSchema, BrokenJsonIsAParseErrorWithAPosition) {
  JsonSchema schema(R"({"type":"object"})", "test");
  auto e = schema.validate("{\n  \"a\": ,\n}");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->keyword, "parse");
  EXPECT_NE(e->message.find("line 2"), std::string::npos) << e->message;
  EXPECT_TRUE(schema.validate("").has_value());
  EXPECT_TRUE(schema.validate("\xff\xfe").has_value());
  EXPECT_TRUE(schema.validate(std::string(100000, '[')).has_value());
}

TEST(JsonSchema, CommentsOnlyWhenAllowed) {
  JsonSchema schema(R"({"type":"object"})", "test");
  const std::string text = "{ // note\n \"a\": 1 }";
  EXPECT_TRUE(schema.validate(text).has_value());
  EXPECT_FALSE(schema.validate(text, {.allowComments = true}).has_value());
}

TEST(SchemaRegistry, ABrokenSchemaStopsLoadingAndNamesTheFile) {
  testing::TempDir dir;
  testing::writeFile(dir / "a.b.v1.schema.json", R"({"title":"a.b.v1","type":"object"})");
  testing::writeFile(dir / "c.d.v1.schema.json", R"({"title": "c.d.v1", "type": )");
  try {
    (void)SchemaRegistry::loadDirectory(dir.path());
    FAIL() << "expected SchemaLoadError";
  } catch (const SchemaLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("c.d.v1.schema.json"), std::string::npos) << e.what();
  }
}

TEST(SchemaRegistry, ATitleThatDisagreesWithTheFileNameIsAnError) {
  testing::TempDir dir;
  testing::writeFile(dir / "a.b.v1.schema.json", R"({"title":"a.b.v2","type":"object"})");
  EXPECT_THROW((void)SchemaRegistry::loadDirectory(dir.path()), SchemaLoadError);
}

TEST(SchemaRegistry, AnEmptyOrMissingFolderIsAnError) {
  testing::TempDir dir;
  EXPECT_THROW((void)SchemaRegistry::loadDirectory(dir.path()), SchemaLoadError);
  EXPECT_THROW((void)SchemaRegistry::loadDirectory(dir / "absent"), SchemaLoadError);
}

TEST(SchemaRegistry, AnUnknownTypeIsAnError) {
  const auto registry = SchemaRegistry::loadDirectory(testing::schemaDir());
  auto e = registry.validate("no.such.v1", "{}");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("no.such.v1"), std::string::npos);
}

}  // namespace
}  // namespace wayhome::schemas
