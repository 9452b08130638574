#include <string>

#include <gtest/gtest.h>

#include <wayhome/store/state_store.hpp>

namespace wayhome::store {
namespace {

std::string errorOf(std::string_view text) {
  try {
    (void)parseModuleSchema("widgets", text);
  } catch (const StateError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModuleSql, ReadsStepsTheirPostgresTextAndRetention) {
  const auto schema = parseModuleSchema("widgets",
                                        "-- a comment before anything\n"
                                        "-- @retain widgets | id | seen_ms | colour <> 'red'\n"
                                        "-- @retain parts | widget, part | at_ms\n"
                                        "\n"
                                        "-- @step 1 (legacy 3): widgets and their parts\n"
                                        "CREATE TABLE widgets (\n"
                                        "  -- a comment inside is left out\n"
                                        "  id TEXT PRIMARY KEY);\n"
                                        "-- @step 2: widget colour\n"
                                        "ALTER TABLE widgets ADD COLUMN colour INTEGER;\n"
                                        "-- @postgres\n"
                                        "ALTER TABLE widgets ADD COLUMN colour SMALLINT;\n");
  EXPECT_EQ(schema.module, "widgets");
  ASSERT_EQ(schema.steps.size(), 2U);
  EXPECT_EQ(schema.steps[0].version, 1);
  EXPECT_EQ(schema.steps[0].legacyVersion, 3);
  EXPECT_EQ(schema.steps[0].description, "widgets and their parts");
  EXPECT_EQ(schema.steps[0].sql, "CREATE TABLE widgets (\n  id TEXT PRIMARY KEY);");
  EXPECT_EQ(schema.steps[0].postgres, "");
  EXPECT_EQ(schema.steps[1].legacyVersion, 0);
  EXPECT_EQ(schema.steps[1].sql, "ALTER TABLE widgets ADD COLUMN colour INTEGER;");
  EXPECT_EQ(schema.steps[1].postgres, "ALTER TABLE widgets ADD COLUMN colour SMALLINT;");
  ASSERT_EQ(schema.retention.size(), 2U);
  EXPECT_EQ(schema.retention[0].table, "widgets");
  EXPECT_EQ(schema.retention[0].condition, "colour <> 'red'");
  EXPECT_EQ(schema.retention[1].key, "widget, part");
  EXPECT_EQ(schema.retention[1].condition, "");
}

TEST(ModuleSql, RefusesMalformedTextNamingTheLineAndTheProblem) {
  EXPECT_EQ(errorOf("CREATE TABLE t (id TEXT);\n"),
            "tables of widgets, line 1: SQL before the first '-- @step'");
  EXPECT_EQ(errorOf("-- only a comment\n"), "tables of widgets, line 1: no '-- @step'");
  EXPECT_EQ(errorOf("-- @step 2: skips one\nSELECT 1;\n"),
            "tables of widgets, line 1: step numbered out of order: expected 1");
  EXPECT_EQ(errorOf("-- @step one: words\nSELECT 1;\n"),
            "tables of widgets, line 1: step numbered out of order: expected 1");
  EXPECT_EQ(errorOf("-- @step 1 widgets\nSELECT 1;\n"),
            "tables of widgets, line 1: a step wants ': <description>' after its number");
  EXPECT_EQ(errorOf("-- @step 1 (legacy x): w\nSELECT 1;\n"),
            "tables of widgets, line 1: '(legacy N)' wants a positive number");
  EXPECT_EQ(errorOf("-- @step 1: w\n-- @step 2: v\nSELECT 1;\n"),
            "tables of widgets, line 2: step 1 has no SQL");
  EXPECT_EQ(errorOf("-- @postgres\n"),
            "tables of widgets, line 1: '-- @postgres' without a step of its own");
  EXPECT_EQ(errorOf("-- @step 1: w\n-- @postgres\nSELECT 1;\n"),
            "tables of widgets, line 2: '-- @postgres' before the step's own SQL");
  EXPECT_EQ(errorOf("-- @step 1: w\nSELECT 1;\n-- @postgres\n-- @postgres\n"),
            "tables of widgets, line 4: '-- @postgres' without a step of its own");
  EXPECT_EQ(errorOf("-- @step 1: w\nSELECT 1;\n-- @postgres\n"),
            "tables of widgets, line 3: step 1 has '-- @postgres' without SQL");
  EXPECT_EQ(errorOf("-- @stpe 1: w\n"),
            "tables of widgets, line 1: unknown directive '-- @stpe 1: w' (step, postgres or "
            "retain)");
  EXPECT_EQ(errorOf("-- @retain t | id\n"),
            "tables of widgets, line 1: '-- @retain' wants: table | key column(s) | time column "
            "[| condition]");
  EXPECT_EQ(errorOf("-- @retain t || at\n"),
            "tables of widgets, line 1: '-- @retain' has an empty field");
  EXPECT_EQ(errorOf("-- @retain t | id | at | a | b\n"),
            "tables of widgets, line 1: '-- @retain' takes at most four fields");
}

}  // namespace
}  // namespace wayhome::store
