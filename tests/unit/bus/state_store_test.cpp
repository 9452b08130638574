#include <wayhome/bus/state_store.hpp>
#include <wayhome/testing/testing.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace wayhome::bus {
namespace {

TEST(StateStore, CreatesFoldersUsesWalAndMigratesToTheLatestVersion) {
  testing::TempDir dir;
  StateStore store(dir / "nested" / "state.db");
  EXPECT_EQ(store.schemaVersion(), StateStore::migrations().back().version);
  EXPECT_TRUE(store.healthy());
  std::string mode;
  store.transaction([&](sqlite3* db) {
    Statement st(db, "PRAGMA journal_mode;");
    ASSERT_TRUE(st.step());
    mode = st.columnText(0);
  });
  EXPECT_EQ(mode, "wal");
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
  EXPECT_THROW(store.transaction([&](sqlite3* db) {
    Statement(db, "INSERT INTO meta(key, value) VALUES('k', 'v');").run();
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(store.getMeta("k"), std::nullopt);
}

TEST(StateStore, RefusesAFileFromANewerBinary) {
  testing::TempDir dir;
  {
    StateStore store(dir / "state.db");
    store.exec("PRAGMA user_version=9999;");
  }
  try {
    StateStore again(dir / "state.db");
    FAIL() << "expected StateError";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("state.db"), std::string::npos);
  }
}

TEST(StateStore, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  testing::writeFile(dir / "state.db", std::string(4096, 'x'));
  EXPECT_THROW(StateStore(dir / "state.db"), StateError);
}

TEST(StateStore, MigrationVersionsIncreaseStrictly) {
  int last = 0;
  for (const auto& m : StateStore::migrations()) {
    EXPECT_GT(m.version, last);
    last = m.version;
  }
}

}  // namespace
}  // namespace wayhome::bus
