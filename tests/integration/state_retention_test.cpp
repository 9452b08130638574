// Retention: every module's grown rows past state.retention_days go, in short batches,
// on both backends; rows still needed (recent, or not yet finished) stay.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/schema.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::store {
namespace {

class Retained : public testing::StateBackendTest {
 protected:
  void SetUp() override {
    StateBackendTest::SetUp();
    store_ = openStateStore(dir_ / "state.db");
  }
  /// The router's tables, with `sql` (its inserts) run on them.
  void routerTablesWith(const std::string& sql) {
    store_->migrate(services::routerSchema());
    store_->transaction([&](Connection& db) { db.exec(sql); });
  }
  std::int64_t count(const std::string& sql) { return testing::queryInt(*store_, sql); }
  /// The rows a table should keep: `column` of each, in order.
  struct Left {
    std::string table, column;
    std::vector<std::string> rows;
  };
  /// prune(1000) removes `pruned` rows and leaves in each table of `left` just its rows.
  void expectPrunedLeaving(std::size_t pruned, const std::vector<Left>& left) {
    EXPECT_EQ(store_->prune(1000), pruned);
    for (const auto& keep : left) {
      const std::string sql =
          "SELECT " + keep.column + " FROM " + keep.table + " ORDER BY " + keep.column + ";";
      std::vector<std::string> found;
      store_->transaction([&](Connection& db) {
        Statement st(db, sql);
        while (st.step())
          found.push_back(st.columnText(0));
      });
      EXPECT_EQ(found, keep.rows) << keep.table;
    }
  }

  std::unique_ptr<StateStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, Retained, ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         testing::backendName);

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
  routerTablesWith(
      "INSERT INTO router_processed(event_id, processed_ms) VALUES('old', 100), ('new', 9000);"
      "INSERT INTO router_referrals(referral_id, sector, rule_id, state, created_ms, closed_ms) "
      "VALUES('closed-long-ago', 'housing', 'r', 'closed', 50, 100),"
      "('open', 'housing', 'r', 'open', 50, NULL);");
  expectPrunedLeaving(2, {{"router_processed", "event_id", {"new"}},
                          {"router_referrals", "referral_id", {"open"}}});
}

// Consents end when they expire or are withdrawn; referrals that waited for a consent
// or for their day end when made or stopped. Past the retention those go; a consent
// still valid and a referral still waiting stay however old they are.
TEST_P(Retained, EndedConsentsAndDecidedWaitingReferralsGoWaitingOnesStay) {
  routerTablesWith(
      "INSERT INTO router_consents(consent_id, person_ref, from_sector, to_sectors, purpose, "
      "valid_until, withdrawn, ended_ms) VALUES"
      "('expired', 'p', 'health_care', 'housing', 'x', '1970-01-01', 0, 100),"
      "('withdrawn', 'p', 'health_care', 'housing', 'x', '2999-01-01', 1, 200),"
      "('valid', 'p', 'health_care', 'housing', 'x', '2999-01-01', 0, 32503680000000),"
      "('withdrawn-lately', 'p', 'health_care', 'housing', 'x', '2999-01-01', 1, 5000);"
      "INSERT INTO router_pending(referral_id, person_ref, from_sector, to_sector, purpose, "
      "rule_id, source_event_id, topic, msg_key, due, data, fields, status, queued_seq, "
      "ended_ms) VALUES"
      "('made', 'p', 'h', 'housing', 'x', 'R6', 'e1', 't', 'k', 'P1D', '{}', '', 'made', 1, 100),"
      "('stopped', 'p', 'h', 'housing', 'x', 'R6', 'e2', 't', 'k', 'P1D', '{}', '', 'stopped', "
      "2, 100),"
      "('waiting', 'p', 'h', 'housing', 'x', 'R6', 'e3', 't', 'k', 'P1D', '{}', '', 'waiting', "
      "3, 0);"
      "INSERT INTO router_deferred(case_id, series, fire_date, fire_at_ms, reason, "
      "housing_contact_id, referral_id, person_ref, from_sector, to_sector, purpose, rule_id, "
      "source_event_id, topic, msg_key, due, data, fields, state) VALUES"
      "('K-1', 's', '1970-01-01', 100, 'r', 'h', 'ref-1', 'p', 'h', 'finance', 'x', 'R2', "
      "'e', 't', 'k', 'P1D', '{}', '', 'made'),"
      "('K-2', 's', '1970-01-01', 100, 'r', 'h', 'ref-2', 'p', 'h', 'finance', 'x', 'R2', "
      "'e', 't', 'k', 'P1D', '{}', '', 'waiting');");
  expectPrunedLeaving(5, {{"router_consents", "consent_id", {"valid", "withdrawn-lately"}},
                          {"router_pending", "referral_id", {"waiting"}},
                          {"router_deferred", "state", {"waiting"}}});
}

// The register stamps what ends: a grant ends after its last valid day, a withdrawal
// and a decided waiting referral at the moment they happen.
TEST_P(Retained, TheConsentRegisterStampsWhenEachRowEnds) {
  store_->migrate(services::routerSchema());
  using services::router::Consent;
  const Consent c{"c-1", "p", "health_care", {"housing"}, "housing_need", "2026-03-01", false};
  store_->transaction([&](Connection& db) {
    services::router::StoreConsentStore consents(db, 7000);
    // A referral waiting for that very consent.
    services::router::PendingReferral p;
    p.referralId = "ref-1";
    p.personRef = c.personRef;
    p.fromSector = c.fromSector;
    p.toSector = c.toSectors.front();
    p.purpose = c.purpose;
    p.ruleId = "R6";
    p.data = "{}";
    consents.addPending(p);
    (void)consents.grant(c);
    EXPECT_EQ(consents.takePending(c, false).size(), 1u);
  });
  // 2026-03-03 00:00 UTC: the day after the last valid day is over everywhere.
  EXPECT_EQ(count("SELECT ended_ms FROM router_consents WHERE consent_id = 'c-1';"), 1772496000000);
  EXPECT_EQ(count("SELECT ended_ms FROM router_pending WHERE referral_id = 'ref-1';"), 7000);
  store_->transaction([&](Connection& db) {
    services::router::StoreConsentStore consents(db, 9000);
    EXPECT_TRUE(consents.withdraw("c-1", "p"));
  });
  EXPECT_EQ(count("SELECT ended_ms FROM router_consents WHERE consent_id = 'c-1';"), 9000);
  store_->transaction([&](Connection& db) {
    services::router::StoreConsentStore consents(db, 99000);
    (void)consents.withdraw("c-1", "p");  // again: it ended at the first
  });
  EXPECT_EQ(count("SELECT ended_ms FROM router_consents WHERE consent_id = 'c-1';"), 9000);
}

}  // namespace
}  // namespace wayhome::store
