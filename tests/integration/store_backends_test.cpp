// The state store's two backends behind one interface: a real SQLite file and a real
// PostgreSQL server (tests/postgres/server.sh), the same tests on both.

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::store {
namespace {

using namespace std::chrono_literals;

class StoreBackend : public testing::StateBackendTest {
 protected:
  void SetUp() override {
    StateBackendTest::SetUp();
    store_ = open();
  }
  [[nodiscard]] std::unique_ptr<StateStore> open() const {
    return openStateStore(dir_ / "state.db");
  }
  std::int64_t count(const std::string& sql) { return testing::queryInt(*store_, sql); }

  std::unique_ptr<StateStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackend,
                         ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backendName);

const ModuleSchema kWidgets{
    "widgets",
    {{1, "widgets", "CREATE TABLE widgets (id TEXT PRIMARY KEY, n INTEGER NOT NULL, raw BLOB)"},
     {2, "colour", "ALTER TABLE widgets ADD COLUMN colour TEXT"}}};

TEST_P(StoreBackend, BytesTextAndLargeIntegersRoundTripAndChangesAreCounted) {
  store_->migrate(kWidgets);
  EXPECT_EQ(store_->dialect(), GetParam());
  const std::string bytes("a\0b\xff\xfe\x01z", 7);  // NUL and invalid UTF-8: a BLOB
  const std::int64_t big = 1'800'000'000'000'123;   // epoch ms do not fit 32 bits
  store_->transaction([&](Connection& db) {
    Statement ins(db,
                  "INSERT INTO widgets(id, n, raw, colour) VALUES(?, ?, ?, ?) "
                  "ON CONFLICT DO NOTHING;");
    ins.bind(1, "w1").bind(2, big).bindBlob(3, bytes).bind(4, "blå ✓");
    EXPECT_EQ(ins.run(), 1);
    ins.reset();
    ins.bind(1, "w1").bind(2, std::int64_t{1}).bindNull(3).bind(4, "x");
    EXPECT_EQ(ins.run(), 0) << "a conflict inserts nothing";
    EXPECT_EQ(db.changes(), 0);
  });
  store_->transaction([&](Connection& db) {
    Statement st(db, "SELECT n, raw, colour, raw IS NULL FROM widgets WHERE id = ?1 AND id = ?1;");
    st.bind(1, "w1");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.columnInt(0), big);
    EXPECT_EQ(st.columnText(1), bytes);
    EXPECT_EQ(st.columnText(2), "blå ✓");
    EXPECT_FALSE(st.columnIsNull(1));
    EXPECT_FALSE(st.step());
  });
}

TEST_P(StoreBackend, AFailingTransactionLeavesNothingAndANestedOneJoinsTheOuter) {
  store_->migrate(kWidgets);
  EXPECT_THROW(store_->transaction([&](Connection& db) {
    Statement(db, "INSERT INTO widgets(id, n) VALUES('a', 1);").run();
    throw std::runtime_error("half-way");
  }),
               std::runtime_error);
  EXPECT_EQ(count("SELECT COUNT(*) FROM widgets;"), 0);
  EXPECT_THROW(store_->transaction([&](Connection& db) {
    Statement(db, "INSERT INTO widgets(id, n) VALUES('b', 1);").run();
    Statement(db, "INSERT INTO widgets(id, n) VALUES('b', 2);").run();  // duplicate key
  }),
               StateError);
  EXPECT_EQ(count("SELECT COUNT(*) FROM widgets;"), 0);
  store_->transaction([&](Connection&) {
    store_->setMeta("inner", "yes");  // joins: sees and commits with the outer one
    EXPECT_EQ(store_->getMeta("inner"), "yes");
  });
  EXPECT_EQ(store_->getMeta("inner"), "yes");
}

TEST_P(StoreBackend, ModulesMigrateOnceEvenWhenInstancesStartTogether) {
  std::vector<std::unique_ptr<StateStore>> handles;
  for (int i = 0; i < 4; ++i)
    handles.push_back(open());
  std::vector<std::thread> starts;
  std::atomic<int> failures{0};
  for (auto& h : handles) {
    starts.emplace_back([&, store = h.get()] {
      try {
        store->migrate(kWidgets);
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : starts)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->moduleVersion("widgets"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations WHERE module = 'widgets';"), 2);
  const ModuleSchema older{"widgets", {kWidgets.steps[0]}};
  try {
    store_->migrate(older);
    FAIL() << "a binary older than the tables must refuse them";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos);
  }
}

// Each connection keeps its prepared statements by SQL text (SQLite: sqlite3_stmt,
// PostgreSQL: named prepared statements): a text runs again on a clean statement,
// nested uses of one text each get their own, a rollback or a schema change does not
// leave a stale one, and texts past the cache's limit still run.
TEST_P(StoreBackend, PreparedStatementsAreReusedOnlyWhenFreeAndClean) {
  const ModuleSchema first{"widgets", {kWidgets.steps[0]}};
  store_->migrate(first);
  const std::string insert = "INSERT INTO widgets(id, n) VALUES(?, ?);";
  store_->transaction([&](Connection& db) {
    for (int i = 1; i <= 3; ++i)
      Statement(db, insert).bind(1, "w" + std::to_string(i)).bind(2, std::int64_t{i}).run();
  });
  const std::string all = "SELECT id, n FROM widgets ORDER BY id;";
  store_->transaction([&](Connection& db) {
    Statement outer(db, all);
    int pairs = 0;
    while (outer.step()) {
      Statement inner(db, all);  // the same text while the outer one is half-way
      while (inner.step())
        ++pairs;
      EXPECT_EQ(outer.columnText(0), "w" + std::to_string(outer.columnInt(1)));
    }
    EXPECT_EQ(pairs, 9);
  });
  // A statement left half-way by a throw is reset before anyone gets it again.
  EXPECT_THROW(store_->transaction([&](Connection& db) {
    Statement st(db, all);
    ASSERT_TRUE(st.step());
    Statement(db, insert).bind(1, "w9").bind(2, std::int64_t{9}).run();
    throw std::runtime_error("half-way");
  }),
               std::runtime_error);
  EXPECT_EQ(count("SELECT COUNT(*) FROM widgets;"), 3) << "rolled back";
  store_->transaction([&](Connection& db) {
    Statement st(db, all);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.columnText(0), "w1") << "from the first row again";
  });
  if (GetParam() == Dialect::sqlite) {
    // Bindings do not carry over: an unbound parameter is NULL (PostgreSQL refuses
    // a statement with too few parameters, before and after the cache).
    const std::string byId = "SELECT COUNT(*) FROM widgets WHERE id = ? OR ? IS NULL;";
    store_->transaction([&](Connection& db) {
      Statement st(db, byId);
      st.bind(1, "w1").bind(2, "x");
      ASSERT_TRUE(st.step());
      EXPECT_EQ(st.columnInt(0), 1);
    });
    store_->transaction([&](Connection& db) {
      Statement st(db, byId);
      st.bind(1, "w1");
      ASSERT_TRUE(st.step());
      EXPECT_EQ(st.columnInt(0), 3) << "the second parameter is NULL again";
    });
  }
  // A text that does not prepare is not kept; after the schema changes it does.
  const std::string colours = "SELECT COUNT(colour) FROM widgets;";
  EXPECT_THROW(count(colours), StateError);
  store_->migrate(kWidgets);  // adds colour
  EXPECT_EQ(count(colours), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM widgets;"), 3);
  // More distinct texts than the cache keeps: each still runs and answers its own.
  store_->transaction([&](Connection& db) {
    for (int i = 0; i < 600; ++i) {
      Statement st(db, "SELECT " + std::to_string(i) + " + COUNT(*) FROM widgets;");
      ASSERT_TRUE(st.step());
      ASSERT_EQ(st.columnInt(0), i + 3);
    }
  });
}

// SQLite's checkpoints (the WAL copied back into the database file) run on a thread of
// the store's own, woken by the commit that crossed the threshold, not inside that
// commit on the writer's thread: the data still reaches the file with no further
// commit, and the store closes and reopens with all of it.
TEST_P(StoreBackend, TheWalIsCheckpointedIntoTheFileOffTheWritersThread) {
  if (GetParam() != Dialect::sqlite) GTEST_SKIP() << "SQLite's WAL only";
  store_->migrate(kWidgets);
  const std::string blob(4096, 'x');
  for (int batch = 0; batch < 30; ++batch) {  // ~6 MB: past 1 000 pages of 4 KB
    store_->transaction([&](Connection& db) {
      Statement ins(db, "INSERT INTO widgets(id, n, raw) VALUES(?, ?, ?);");
      for (int i = 0; i < 50; ++i) {
        ins.reset();
        ins.bind(1, std::to_string(batch) + "-" + std::to_string(i))
            .bind(2, std::int64_t{i})
            .bindBlob(3, blob)
            .run();
      }
    });
  }
  const auto file = dir_ / "state.db";
  EXPECT_TRUE(testing::waitFor([&] { return std::filesystem::file_size(file) >= 4u * 1024 * 1024; },
                               20000ms))
      << "the database file has " << std::filesystem::file_size(file) << " bytes";
  store_.reset();
  store_ = open();
  EXPECT_EQ(count("SELECT COUNT(*) FROM widgets;"), 1500);
}

TEST_P(StoreBackend, ALeaseIsOneHoldersUntilItRunsOutOrIsGivenUp) {
  auto other = open();
  const std::int64_t t0 = 1'000'000;
  EXPECT_TRUE(store_->acquireLease("job", "a", 1000ms, t0));
  EXPECT_FALSE(other->acquireLease("job", "b", 1000ms, t0 + 500)) << "a holds it";
  EXPECT_TRUE(store_->acquireLease("job", "a", 1000ms, t0 + 900)) << "renewed";
  EXPECT_FALSE(other->acquireLease("job", "b", 1000ms, t0 + 1800)) << "renewed until t0+1900";
  EXPECT_EQ(other->leaseHolder("job", t0 + 1800), "a");
  EXPECT_TRUE(other->acquireLease("job", "b", 1000ms, t0 + 2000)) << "ran out: b takes over";
  EXPECT_FALSE(store_->acquireLease("job", "a", 1000ms, t0 + 2100));
  other->releaseLease("job", "b");
  EXPECT_EQ(store_->leaseHolder("job", t0 + 2100), std::nullopt);
  EXPECT_TRUE(store_->acquireLease("job", "a", 1000ms, t0 + 2100)) << "given up: free at once";
  EXPECT_TRUE(store_->acquireLease("other-job", "b", 1000ms, t0)) << "leases are per job";
}

TEST_P(StoreBackend, StateSurvivesReopening) {
  store_->migrate(kWidgets);
  store_->setMeta("k", "v1");
  store_->setMeta("k", "v2");
  store_.reset();
  store_ = open();
  EXPECT_EQ(store_->getMeta("k"), "v2");
  EXPECT_EQ(store_->moduleVersion("widgets"), 2);
  EXPECT_TRUE(store_->healthy());
}

TEST(StorePostgres, DdlIsTranslatedWordForWordOutsideQuotes) {
  EXPECT_EQ(postgresDdl("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB, "
                        "n INTEGER, s TEXT DEFAULT 'INTEGER BLOB') WITHOUT ROWID;"),
            "CREATE TABLE t (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b BYTEA, "
            "n BIGINT, s TEXT DEFAULT 'INTEGER BLOB');");
  EXPECT_EQ(postgresDdl("CREATE TABLE integers (blobs TEXT)"),
            "CREATE TABLE integers (blobs TEXT)");
}

TEST(StorePostgres, TheUrlIsCheckedAndAPasswordInItRefused) {
  EXPECT_EQ(describePostgresUrl("postgresql://wayhome@db.example:5432/wayhome?sslmode=verify-full"),
            "postgresql://wayhome@db.example:5432/wayhome");
  try {
    (void)describePostgresUrl("postgresql://wayhome:secret@db.example/wayhome");
    FAIL();
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("password_file"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << "never echo it";
  }
  EXPECT_THROW((void)describePostgresUrl("postgresql://[::1"), StateError);
}

TEST(StorePostgres, AServerThatIsNotThereIsNamedWithoutThePassword) {
  testing::TempDir dir;
  testing::writeSecretFile(dir.path() / "pw", "hunter2-secret\n");
  const int port = testing::freePort();
  try {
    StateStore s(
        PostgresOptions{.url = "postgresql://wayhome@127.0.0.1:" + std::to_string(port) + "/x",
                        .passwordFile = dir.path() / "pw"});
    FAIL();
  } catch (const StateError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

TEST(StorePostgres, AWrongPasswordIsRefusedByTheServer) {
  const auto db = testing::postgresDatabase();
  testing::TempDir dir;
  testing::writeSecretFile(dir.path() / "pw", "not-the-password\n");
  EXPECT_THROW(StateStore(PostgresOptions{.url = db.url, .passwordFile = dir.path() / "pw"}),
               StateError);
}

}  // namespace
}  // namespace wayhome::store
