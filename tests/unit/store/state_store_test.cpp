#include <gtest/gtest.h>

#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::store {
namespace {

const ModuleSchema kWidgets{"widgets",
                            {{1, "widgets", "CREATE TABLE widgets (id TEXT PRIMARY KEY);"},
                             {2, "widget colour", "ALTER TABLE widgets ADD COLUMN colour TEXT;"}}};

TEST(StateStore, CreatesFoldersUsesWalAndHasItsOwnTables) {
  testing::TempDir dir;
  StateStore store(dir / "nested" / "state.db");
  EXPECT_EQ(store.schemaVersion(), 0);
  EXPECT_TRUE(store.healthy());
  std::string mode;
  store.transaction([&](store::Connection& db) {
    Statement st(db, "PRAGMA journal_mode;");
    ASSERT_TRUE(st.step());
    mode = st.columnText(0);
  });
  EXPECT_EQ(mode, "wal");
}

TEST(StateStore, AppliesAModulesMigrationsOnceAndRecordsThem) {
  testing::TempDir dir;
  {
    StateStore store(dir / "state.db");
    store.migrate(kWidgets);
    store.migrate(kWidgets);  // nothing missing: nothing runs (CREATE TABLE would fail)
    EXPECT_EQ(store.moduleVersion("widgets"), 2);
    EXPECT_EQ(store.moduleVersion("gadgets"), 0);
    store.transaction([](store::Connection& db) {
      Statement(db, "INSERT INTO widgets(id, colour) VALUES('w1', 'red');").run();
    });
  }
  StateStore again(dir / "state.db");
  again.migrate(kWidgets);
  EXPECT_EQ(again.schemaVersion(), 2);
  again.transaction([](store::Connection& db) {
    Statement st(db, "SELECT colour FROM widgets WHERE id = 'w1';");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.columnText(0), "red");
  });
}

TEST(StateStore, AFailingStepLeavesTheModuleAtTheLastGoodVersion) {
  testing::TempDir dir;
  StateStore store(dir / "state.db");
  const ModuleSchema broken{"widgets",
                            {{1, "widgets", "CREATE TABLE widgets (id TEXT PRIMARY KEY);"},
                             {2, "broken", "ALTER TABLE nowhere ADD COLUMN x TEXT;"}}};
  EXPECT_THROW(store.migrate(broken), StateError);
  EXPECT_EQ(store.moduleVersion("widgets"), 1);
}

TEST(StateStore, KeepsDataAcrossReopen) {
  testing::TempDir dir;
  {
    StateStore store(dir / "state.db");
    store.setMeta("node", "a");
    store.setMeta("node", "b");
  }
  StateStore again(dir / "state.db");
  EXPECT_EQ(again.getMeta("node"), "b");
  EXPECT_EQ(again.getMeta("absent"), std::nullopt);
}

TEST(StateStore, RollsBackWhenWorkThrows) {
  testing::TempDir dir;
  StateStore store(dir / "state.db");
  EXPECT_THROW(store.transaction([&](store::Connection& db) {
    Statement(db, "INSERT INTO meta(key, value) VALUES('k', 'v');").run();
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(store.getMeta("k"), std::nullopt);
}

TEST(StateStore, RefusesTablesFromANewerBinary) {
  testing::TempDir dir;
  StateStore store(dir / "state.db");
  store.migrate(kWidgets);
  const ModuleSchema older{"widgets", {kWidgets.steps.front()}};
  try {
    store.migrate(older);
    FAIL() << "expected StateError";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("widgets"), std::string::npos);
  }
}

TEST(StateStore, StepsAppliedUnderTheOldStoreWideNumberAreRecordedNotRunAgain) {
  testing::TempDir dir;
  {
    // A file as the binary before module migrations left it: user_version 2.
    StateStore store(dir / "state.db");
    store.exec("CREATE TABLE widgets (id TEXT PRIMARY KEY); PRAGMA user_version=2;");
  }
  StateStore again(dir / "state.db");
  EXPECT_EQ(again.getMeta("legacy_schema_version"), "2");
  const ModuleSchema legacy{
      "widgets",
      {{1, "widgets", "CREATE TABLE widgets (id TEXT PRIMARY KEY);", 2},
       {2, "widget colour", "ALTER TABLE widgets ADD COLUMN colour TEXT;", 3}}};
  again.migrate(legacy);  // step 1 is recorded (it would fail if run), step 2 runs
  EXPECT_EQ(again.moduleVersion("widgets"), 2);
  again.transaction([](store::Connection& db) {
    Statement(db, "INSERT INTO widgets(id, colour) VALUES('a', 'b');").run();
  });
}

TEST(StateStore, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  testing::writeFile(dir / "state.db", std::string(4096, 'x'));
  EXPECT_THROW(StateStore(dir / "state.db"), StateError);
}

}  // namespace
}  // namespace wayhome::store
