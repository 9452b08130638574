// The outbox on both store backends (a real SQLite file, a real PostgreSQL) and its
// relay to the embedded cluster over TCP.

#include <future>
#include <map>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::bus {
namespace {

using store::Statement;
using store::StateStore;

using namespace std::chrono_literals;

OutboxEvent eventFor(const std::string& topic, const std::string& id, const std::string& key) {
  OutboxEvent e;
  e.topic = topic;
  e.event.id = id;
  e.event.source = "/wayhome/test";
  e.event.type = "test.thing.v1";
  e.event.subject = key;
  e.event.time = "2026-11-22T10:00:00.000Z";
  e.event.data = R"({"id":")" + id + R"("})";
  return e;
}

AppendOutcome appendNow(Outbox& outbox, std::vector<OutboxEvent> events) {
  std::promise<Result<AppendOutcome>> p;
  auto f = p.get_future();
  auto queued = outbox.append(std::move(events), [&](Result<AppendOutcome> r) { p.set_value(r); });
  EXPECT_TRUE(queued.ok()) << (queued.ok() ? "" : queued.error().message);
  auto r = f.get();
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : AppendOutcome{};
}

// Every record on `topic` (all partitions), read from the start.
std::vector<KafkaRecord> readAll(const std::string& bootstrap, const std::string& topic,
                                 int partitions, std::size_t expect) {
  Consumer c({{"bootstrap.servers", bootstrap}}, {.groupId = testing::uniquePrefix() + "reader"});
  std::vector<KafkaRecord> out;
  for (int p = 0; p < partitions; ++p)
    c.assignAt(topic, p, 0);
  std::vector<std::int32_t> all;
  for (int p = 0; p < partitions; ++p)
    all.push_back(p);
  c.assign(topic, all, true);
  testing::waitFor(
      [&] {
        for (auto& r : c.poll(100ms))
          out.push_back(std::move(r));
        return out.size() >= expect;
      },
      20000ms);
  // Anything beyond `expect` would be a duplicate: give it a moment to show up.
  for (auto& r : c.poll(300ms))
    out.push_back(std::move(r));
  return out;
}

class OutboxTest : public testing::StateBackendTest {
 protected:
  void SetUp() override {
    StateBackendTest::SetUp();
    cluster_ = std::make_unique<EmbeddedCluster>(3);
    store_ = openStore();
    topic_ = testing::uniquePrefix() + "cases.test";
    cluster_->createTopic(topic_, 3);
  }
  // Another handle on the same state: a restart, or another instance.
  std::unique_ptr<StateStore> openStore() const { return openStateStore(dir_ / "state.db"); }
  ClientProperties props() const { return {{"bootstrap.servers", cluster_->bootstrapServers()}}; }
  /// Relays all of `outbox` (until its backlog is empty), stops the relay and reads
  /// `expect` records back from the topic into `records`.
  void relayAll(Outbox& outbox, std::size_t expect, std::vector<KafkaRecord>& records) {
    OutboxRelay relay(outbox, props());
    relay.start();
    ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }, 20000ms));
    relay.stop(std::chrono::steady_clock::now() + 5s);
    records = readAll(cluster_->bootstrapServers(), topic_, 3, expect);
  }

  std::unique_ptr<EmbeddedCluster> cluster_;
  std::unique_ptr<StateStore> store_;
  std::string topic_;
};

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         testing::backendName);

TEST_P(OutboxTest, AcceptsDurablyRecognisesDuplicatesAndRelaysInOrderPerKey) {
  Outbox outbox(*store_);
  std::vector<OutboxEvent> batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(eventFor(topic_, "e" + std::to_string(i), "key" + std::to_string(i % 5)));
  }
  const auto first = appendNow(outbox, batch);
  EXPECT_EQ(first.fresh, 50u);
  EXPECT_EQ(first.duplicates, 0u);
  EXPECT_EQ(outbox.backlog(), 50u);
  // The same records again (a re-sent webhook, a re-polled record): nothing new.
  const auto again = appendNow(outbox, batch);
  EXPECT_EQ(again.fresh, 0u);
  EXPECT_EQ(again.duplicates, 50u);

  std::vector<KafkaRecord> records;
  ASSERT_NO_FATAL_FAILURE(relayAll(outbox, 50, records));
  ASSERT_EQ(records.size(), 50u);
  std::map<std::string, std::vector<int>> perKey;
  for (const auto& r : records) {
    perKey[r.key].push_back(std::stoi(r.header("ce_id")->substr(1)));
    EXPECT_EQ(*r.header("ce_type"), "test.thing.v1");
  }
  for (const auto& [key, ids] : perKey) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << key;
  }
  EXPECT_EQ(outbox.publishedTotal(), 50u);
}

// Rows go in up to 64 per statement: every size of statement in one call (85 rows =
// 64 + 16 + 4 + 1), duplicates of earlier rows and within the call itself counted as
// duplicates, the rows in the order given (the relay publishes in seq order), records
// with arbitrary bytes kept byte for byte.
TEST_P(OutboxTest, AppendWithinInsertsManyRowsPerStatementInOrderAndCountsDuplicates) {
  Outbox outbox(*store_);
  std::vector<OutboxEvent> earlier;
  for (int i = 0; i < 3; ++i)
    earlier.push_back(eventFor(topic_, "m" + std::to_string(i), "k"));
  EXPECT_EQ(appendNow(outbox, earlier).fresh, 3u);
  std::vector<OutboxEvent> events;
  for (int i = 0; i < 80; ++i)
    events.push_back(eventFor(topic_, "m" + std::to_string(i), "k" + std::to_string(i % 7)));
  events.push_back(eventFor(topic_, "m70", "k"));  // twice in this very call
  const std::string bytes("v\0\xff\x01", 4);
  std::vector<OutboxRecord> records;
  for (int i = 0; i < 4; ++i)
    records.push_back({"r" + std::to_string(i), topic_, "rk", {{"h", "x"}}, bytes});
  AppendOutcome outcome;
  store_->transaction(
      [&](store::Connection& db) { outcome = outbox.appendWithin(db, events, records); });
  outbox.committedWithin(outcome);
  EXPECT_EQ(outcome.fresh, 77u + 4u);
  EXPECT_EQ(outcome.duplicates, 4u) << "m0-m2 from before, m70 twice";
  std::vector<std::string> order;
  store_->transaction([&](store::Connection& db) {
    Statement st(db, "SELECT event_id, value FROM outbox ORDER BY seq;");
    while (st.step()) {
      order.push_back(st.columnText(0));
      if (order.back().starts_with("r")) {
        EXPECT_EQ(st.columnText(1), bytes);
      }
    }
  });
  ASSERT_EQ(order.size(), 84u);
  for (int i = 0; i < 80; ++i)
    EXPECT_EQ(order[static_cast<std::size_t>(i)], "m" + std::to_string(i));
  EXPECT_EQ(order[80], "r0");
  EXPECT_EQ(order[83], "r3");
  EXPECT_EQ(outbox.backlog(), 84u);
}

// A store that fails under the relay (issue 12, item 4): the relay logs, backs off,
// counts the rounds that failed in a row (readiness reports it) and goes on once the
// store is back; nothing is lost or sent twice.
TEST_P(OutboxTest, TheRelaySurvivesAFailingStoreCountsItAndGoesOn) {
  Outbox outbox(*store_);
  appendNow(outbox, {eventFor(topic_, "before", "k")});
  OutboxRelay relay(outbox, props(), {.reconcileOnStart = false});
  relay.start();
  ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }, 20000ms));
  EXPECT_EQ(relay.consecutiveFailures(), 0u);
  auto exec = [&](const char* sql) {
    store_->transaction([&](store::Connection& db) { Statement(db, sql).run(); });
  };
  exec("ALTER TABLE outbox RENAME TO outbox_away;");
  ASSERT_TRUE(testing::waitFor([&] { return relay.consecutiveFailures() >= 2; }, 20000ms));
  exec("ALTER TABLE outbox_away RENAME TO outbox;");
  appendNow(outbox, {eventFor(topic_, "after", "k")});
  ASSERT_TRUE(testing::waitFor(
      [&] { return outbox.backlog() == 0 && relay.consecutiveFailures() == 0; }, 40000ms));
  relay.stop(std::chrono::steady_clock::now() + 5s);
  const auto records = readAll(cluster_->bootstrapServers(), topic_, 3, 2);
  ASSERT_EQ(records.size(), 2u);
}

TEST_P(OutboxTest, BacklogSurvivesARestartOfTheStore) {
  {
    Outbox outbox(*store_);
    appendNow(outbox, {eventFor(topic_, "a", "k"), eventFor(topic_, "b", "k")});
  }
  store_.reset();
  store_ = openStore();
  Outbox reopened(*store_);
  EXPECT_EQ(reopened.backlog(), 2u);
  const auto rows = reopened.pending(0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].eventId, "a");
  EXPECT_EQ(rows[1].eventId, "b");
  EXPECT_EQ(rows[0].key, "k");
}

TEST_P(OutboxTest, RefusesMoreWhenTheBacklogIsFull) {
  Outbox outbox(*store_, {.maxBacklog = 3});
  appendNow(outbox,
            {eventFor(topic_, "1", "k"), eventFor(topic_, "2", "k"), eventFor(topic_, "3", "k")});
  EXPECT_TRUE(outbox.overloaded());
  auto refused = outbox.append({eventFor(topic_, "4", "k")}, [](Result<AppendOutcome>) {
    ADD_FAILURE() << "a refused append must not call back";
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().retryable());
  EXPECT_NE(refused.error().message.find("backlog"), std::string::npos);
}

TEST_P(OutboxTest, EveryEventIsPublishedExactlyOnceAcrossABusOutage) {
  Outbox outbox(*store_);
  OutboxRelay relay(outbox, props());
  relay.start();
  appendNow(outbox, {eventFor(topic_, "before", "k")});
  ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }, 20000ms));

  cluster_->setAllBrokersDown();
  for (int i = 0; i < 20; ++i)
    appendNow(outbox, {eventFor(topic_, "down" + std::to_string(i), "k" + std::to_string(i % 3))});
  std::this_thread::sleep_for(1s);
  EXPECT_GT(outbox.backlog(), 0u);  // nothing could be confirmed meanwhile
  cluster_->setAllBrokersUp();
  ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }, 60000ms))
      << outbox.backlog() << " still pending";
  relay.stop(std::chrono::steady_clock::now() + 5s);

  const auto records = readAll(cluster_->bootstrapServers(), topic_, 3, 21);
  std::multiset<std::string> ids;
  for (const auto& r : records)
    ids.insert(*r.header("ce_id"));
  EXPECT_EQ(ids.size(), 21u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 21u) << "duplicates on the bus";
}

TEST_P(OutboxTest, RowsDeliveredButNeverMarkedAreFoundOnTheBusAndNotSentTwice) {
  {
    Outbox outbox(*store_);
    OutboxRelay relay(outbox, props(), {.reconcileOnStart = false});
    relay.start();
    appendNow(outbox, {eventFor(topic_, "x1", "k"), eventFor(topic_, "x2", "k")});
    ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }, 20000ms));
    relay.stop(std::chrono::steady_clock::now() + 5s);
  }
  // A crash right after delivery, before the mark: undo the marks.
  store_->exec("UPDATE outbox SET published_ms = NULL; DELETE FROM relay_offsets;");
  Outbox outbox(*store_);
  ASSERT_EQ(outbox.backlog(), 2u);
  std::vector<KafkaRecord> records;
  ASSERT_NO_FATAL_FAILURE(relayAll(outbox, 2, records));
  EXPECT_EQ(records.size(), 2u);
}

// Published rows past the retention are deleted by the relay; newer ones stay. An id
// appended again after its row was deleted is new (idempotency within the retention).
TEST_P(OutboxTest, TheRelayPrunesPublishedRowsPastTheRetentionAndKeepsNewerOnes) {
  ManualClock clock(std::chrono::sys_days(std::chrono::year{2026} / 12 / 1));
  Outbox outbox(*store_, {.retention = std::chrono::hours(24)}, clock);
  auto rows = [&] {
    std::int64_t n = 0;
    store_->transaction([&](store::Connection& db) {
      Statement st(db, "SELECT COUNT(*) FROM outbox;");
      if (st.step()) n = st.columnInt(0);
    });
    return n;
  };
  std::vector<OutboxEvent> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(eventFor(topic_, "p" + std::to_string(i), "k"));
  EXPECT_EQ(appendNow(outbox, batch).fresh, 20U);
  OutboxRelay relay(outbox, props(), {.pruneEvery = 20ms});
  relay.start();
  ASSERT_TRUE(testing::waitFor([&] { return outbox.backlog() == 0; }));
  EXPECT_EQ(rows(), 20);  // published, but within the retention
  clock.advance(std::chrono::hours(25));
  EXPECT_EQ(appendNow(outbox, {eventFor(topic_, "late", "k")}).fresh, 1U);
  ASSERT_TRUE(testing::waitFor([&] { return rows() == 1; })) << rows();  // "late" is newer
  relay.stop(std::chrono::steady_clock::now() + 2s);
  EXPECT_EQ(appendNow(outbox, {eventFor(topic_, "p0", "k")}).fresh, 1U) << "p0 was pruned";
  EXPECT_EQ(appendNow(outbox, {eventFor(topic_, "late", "k")}).duplicates, 1U);
}

// Rows marked failed hold whole events too: they go after the retention like
// published ones (issue 12: they were kept for ever); pending rows always stay.
TEST_P(OutboxTest, FailedRowsArePrunedPastTheRetentionPendingRowsStay) {
  ManualClock clock(std::chrono::sys_days(std::chrono::year{2026} / 12 / 1));
  Outbox outbox(*store_, {.retention = std::chrono::hours(24)}, clock);
  EXPECT_EQ(appendNow(outbox, {eventFor(topic_, "f0", "k"), eventFor(topic_, "w0", "k")}).fresh,
            2U);
  std::int64_t failedSeq = 0;
  store_->transaction([&](store::Connection& db) {
    Statement st(db, "SELECT seq FROM outbox WHERE event_id = 'f0';");
    ASSERT_TRUE(st.step());
    failedSeq = st.columnInt(0);
  });
  outbox.markFailed(failedSeq, "too large for the bus");
  clock.advance(std::chrono::hours(25));
  const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (clock.now() - std::chrono::hours(24)).time_since_epoch())
                          .count();
  EXPECT_EQ(outbox.prunePublished(cutoff), 1U);
  std::vector<std::string> left;
  store_->transaction([&](store::Connection& db) {
    Statement st(db, "SELECT event_id FROM outbox;");
    while (st.step())
      left.push_back(st.columnText(0));
  });
  EXPECT_EQ(left, std::vector<std::string>{"w0"});  // pending: never pruned
}

// Two instances on one shared store (PostgreSQL): both append, one relay publishes at
// a time (the lease), in outbox order, so per key in order; when it stops the other
// takes over; every event reaches the bus once.
TEST_P(OutboxTest, TwoInstancesShareTheOutboxOneRelaysAtATimeAndTheOtherTakesOver) {
  if (GetParam() != store::Dialect::postgres) GTEST_SKIP() << "one SQLite file, one instance";
  auto otherStore = openStore();
  Outbox a(*store_);
  Outbox b(*otherStore);
  auto relayA =
      std::make_unique<OutboxRelay>(a, props(), RelayOptions{.instance = "a", .leaseTime = 900ms});
  OutboxRelay relayB(b, props(), {.instance = "b", .leaseTime = 900ms});
  relayA->start();
  ASSERT_TRUE(testing::waitFor([&] { return relayA->leading(); }, 10000ms));
  relayB.start();
  for (int i = 0; i < 40; ++i) {
    auto& into = i % 2 == 0 ? a : b;
    appendNow(into,
              {eventFor(topic_, "m" + std::to_string(100 + i), "key" + std::to_string(i % 4))});
  }
  ASSERT_TRUE(testing::waitFor([&] { return a.refreshBacklog() == 0; }, 20000ms));
  EXPECT_FALSE(relayB.leading()) << "two relays led at once";
  relayA->stop(std::chrono::steady_clock::now() + 2s);  // gives the lease up
  relayA.reset();
  for (int i = 40; i < 60; ++i)
    appendNow(a, {eventFor(topic_, "m" + std::to_string(100 + i), "key" + std::to_string(i % 4))});
  ASSERT_TRUE(
      testing::waitFor([&] { return relayB.leading() && b.refreshBacklog() == 0; }, 20000ms));
  relayB.stop(std::chrono::steady_clock::now() + 2s);

  const auto records = readAll(cluster_->bootstrapServers(), topic_, 3, 60);
  std::set<std::string> ids;
  std::map<std::string, std::vector<int>> perKey;
  for (const auto& r : records) {
    ids.insert(*r.header("ce_id"));
    perKey[r.key].push_back(std::stoi(r.header("ce_id")->substr(1)));
  }
  EXPECT_EQ(records.size(), 60u) << "lost or doubled";
  EXPECT_EQ(ids.size(), 60u);
  for (const auto& [key, seq] : perKey)
    EXPECT_TRUE(std::is_sorted(seq.begin(), seq.end())) << key;
}

TEST(OutboxHeaders, EncodeDecodeRoundTripsAnyBytes) {
  const std::vector<Header> headers{{"ce_id", "a"}, {"bin", std::string("\0\xff\n", 3)}, {"", ""}};
  const auto back = Outbox::decodeHeaders(Outbox::encodeHeaders(headers));
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].value, std::string("\0\xff\n", 3));
  // A truncated blob yields what is whole, never garbage.
  const auto blob = Outbox::encodeHeaders(headers);
  EXPECT_LE(Outbox::decodeHeaders(blob.substr(0, blob.size() - 3)).size(), 2u);
}

}  // namespace
}  // namespace wayhome::bus
