// Where an installed, a relocated and a build-tree binary find their data.

#include <filesystem>

#include <gtest/gtest.h>

#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;
namespace fs = std::filesystem;

TEST(DataDir, AnInstallFindsShareBesideItsBinary) {
  t::TempDir prefix;
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/wayhome/schemas");
  const auto found = locateData(prefix / "bin" / "wayhome");
  EXPECT_EQ(found.schemaDir, (prefix.path() / "share/wayhome/schemas").lexically_normal());
  EXPECT_EQ(found.rulesFile, (prefix.path() / "share/wayhome/rules.json").lexically_normal());
}

TEST(DataDir, ABinaryOutsideTheBuildTreeNeverReadsTheSourceTree) {
  t::TempDir elsewhere;  // no share/wayhome beside it
  const auto found = locateData(elsewhere / "bin" / "wayhome");
  EXPECT_EQ(found.schemaDir.filename(), "schemas");
  EXPECT_EQ(found.schemaDir.parent_path().filename(), "wayhome");
  EXPECT_EQ(found.schemaDir.string().find(t::sourceDir().string()), std::string::npos)
      << found.schemaDir;
}

TEST(DataDir, TheBuildTreeBinaryReadsTheSourceTree) {
  const auto found = locateData(t::wayhomeBinary());
  EXPECT_EQ(found.schemaDir, t::sourceDir() / "schemas" / "events");
  EXPECT_EQ(found.rulesFile, t::sourceDir() / "deploy" / "config" / "rules.json");
  EXPECT_EQ(defaultSchemaDir(), found.schemaDir);  // this test runs from the build tree
}

}  // namespace
}  // namespace wayhome::services
