// Retention: every module's grown rows past state.retention_days go, in short batches,
// on both backends; rows still needed (recent, or not yet finished) stay.

#include <gtest/gtest.h>

#include <wayhome/router/schema.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::store {
namespace {

class Retained : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::postgres) {
      const auto db = testing::postgresDatabase();
      store_ = std::make_unique<StateStore>(
          PostgresOptions{.url = db.url, .passwordFile = db.passwordFile});
    } else {
      store_ = std::make_unique<StateStore>(dir_ / "state.db");
    }
  }
  std::int64_t count(const std::string& sql) {
    std::int64_t n = -1;
    store_->transaction([&](Connection& db) {
      Statement st(db, sql);
      if (st.step()) n = st.columnInt(0);
    });
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, Retained, ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         [](const auto& p) {
                           return p.param == Dialect::sqlite ? "SQLite" : "PostgreSQL";
                         });

const ModuleSchema kGrowing{
    "retention_test",
    {{1, "a table with a two-column key that grows",
      "CREATE TABLE grown (a TEXT NOT NULL, b INTEGER NOT NULL, at_ms INTEGER NOT NULL, "
      "state TEXT NOT NULL, PRIMARY KEY (a, b));"}},
    {{"grown", "a, b", "at_ms", "state <> 'pending'"}}};

TEST_P(Retained, PrunesOldFinishedRowsInBatchesAndKeepsTheRest) {
  store_->migrate(kGrowing);
  store_->transaction([&](Connection& db) {
    Statement st(db, "INSERT INTO grown(a, b, at_ms, state) VALUES(?, ?, ?, ?);");
    for (int i = 0; i < 25; ++i) {
      st.reset();
      // 0-9 old and done, 10-14 old but pending, 15-24 recent and done.
      st.bind(1, std::string_view(i % 2 == 0 ? "x" : "y"))
          .bind(2, std::int64_t{i})
          .bind(3, std::int64_t{i < 15 ? 1000 : 5000})
          .bind(4, std::string_view(i >= 10 && i < 15 ? "pending" : "done"));
      st.run();
    }
  });
  EXPECT_EQ(store_->prune(2000, 3), 10u);  // four batches of at most 3
  EXPECT_EQ(count("SELECT COUNT(*) FROM grown;"), 15);
  EXPECT_EQ(count("SELECT COUNT(*) FROM grown WHERE state = 'pending';"), 5);
  EXPECT_EQ(count("SELECT MIN(at_ms) FROM grown WHERE state = 'done';"), 5000);
  EXPECT_EQ(store_->prune(2000, 3), 0u);
}

TEST_P(Retained, RouterProcessedIdsAndClosedReferralsGo) {
  store_->migrate(services::routerSchema());
  store_->transaction([&](Connection& db) {
    db.exec(
        "INSERT INTO router_processed(event_id, processed_ms) VALUES('old', 100), ('new', 9000);"
        "INSERT INTO router_referrals(referral_id, sector, rule_id, state, created_ms, closed_ms) "
        "VALUES('closed-long-ago', 'housing', 'r', 'closed', 50, 100),"
        "('open', 'housing', 'r', 'open', 50, NULL);");
  });
  EXPECT_EQ(store_->prune(1000), 2u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM router_processed WHERE event_id = 'new';"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM router_referrals WHERE referral_id = 'open';"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM router_processed;") +
                count("SELECT COUNT(*) FROM router_referrals;"),
            2);
}

}  // namespace
}  // namespace wayhome::store
