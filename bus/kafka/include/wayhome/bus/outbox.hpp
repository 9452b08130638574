#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/settings.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::store {
class StateStore;
class Connection;
struct ModuleSchema;
}  // namespace wayhome::store

namespace wayhome::bus {

/// The outbox's tables (outbox, relay_offsets).
[[nodiscard]] const store::ModuleSchema& outboxSchema();

class Producer;

/// An event on its way to a topic.
struct OutboxEvent {
  std::string topic;
  CloudEvent event;
};

/// What happened to one appended batch.
struct AppendOutcome {
  /// Events that were new; the others had been accepted before (same CloudEvent id).
  std::size_t fresh = 0;
  std::size_t duplicates = 0;
};

/// A record to queue as it is (dead letters): no CloudEvent checks, headers kept.
struct OutboxRecord {
  /// Unique like an event id: appending the same id again is a duplicate.
  std::string id;
  std::string topic;
  std::string key;
  std::vector<Header> headers;
  std::string value;
};

/// A row waiting for the bus.
struct OutboxRow {
  std::int64_t seq = 0;
  std::string eventId;
  std::string topic;
  std::string key;
  std::vector<Header> headers;
  std::string value;
  std::int64_t createdMs = 0;
};

/// Settings of the outbox.
struct OutboxOptions {
  /// Unpublished events above which append() refuses more (back-pressure).
  std::size_t maxBacklog = 200000;
  /// Most events committed in one transaction.
  std::size_t maxBatchEvents = 10000;
  /// Rows the bus confirmed are deleted this long after (0: kept for ever). Within it a
  /// re-sent source record is recognised by its event id and gives no second event.
  std::chrono::hours retention{24 * 30};
};

/// The durable queue between the connectors and the bus. append() returns only
/// through its callback, after the SQLite commit that holds the events: that is
/// the moment a source may be told "accepted". Appends that arrive together share
/// one transaction and one fsync (group commit) on the outbox's writer thread.
/// Event ids are unique: appending an id again is a no-op counted as a duplicate.
class Outbox {
 public:
  using AppendCallback = std::function<void(Result<AppendOutcome>)>;

  /// Errors: throws StateError if the store cannot be read.
  Outbox(store::StateStore& store, OutboxOptions options = {},
         const Clock& clock = SystemClock::instance());
  /// Finishes the appends already queued, then stops the writer.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Queues `events` to be committed together (all or none); `done` runs on the
  /// writer thread once they are durable, or with an error.
  /// Errors (returned at once, `done` not called): retryable when the backlog is over
  /// its bound or the outbox is closing.
  Result<void> append(std::vector<OutboxEvent> events, AppendCallback done);

  /// Inserts `events` and `records` using `db`, a handle inside a StateStore
  /// transaction the caller runs (so the events commit or roll back with the caller's
  /// own writes). Call committedWithin() with the outcome once that transaction
  /// committed. Ignores the backlog bound: the caller checks overloaded() first.
  /// Errors: throws StateError (the caller's transaction then rolls back).
  AppendOutcome appendWithin(store::Connection& db, const std::vector<OutboxEvent>& events,
                             const std::vector<OutboxRecord>& records = {});
  /// Counts what appendWithin() inserted and wakes the relay; after the commit only.
  void committedWithin(const AppendOutcome& outcome);

  /// Unpublished events.
  [[nodiscard]] std::size_t backlog() const { return backlog_.load(); }
  [[nodiscard]] const OutboxOptions& options() const { return options_; }
  [[nodiscard]] const Clock& clock() const;
  [[nodiscard]] store::StateStore& store() const;
  [[nodiscard]] bool overloaded() const { return backlog() >= options_.maxBacklog; }
  /// Age in ms of the oldest unpublished event, or 0.
  [[nodiscard]] std::int64_t oldestPendingAgeMs();
  [[nodiscard]] std::uint64_t appendedTotal() const { return appended_.load(); }
  [[nodiscard]] std::uint64_t publishedTotal() const { return published_.load(); }

  /// The next unpublished rows after `afterSeq`, in order.
  [[nodiscard]] std::vector<OutboxRow> pending(std::int64_t afterSeq, std::size_t limit);
  /// Marks rows delivered, recording the highest offset per partition.
  struct Delivered {
    std::int64_t seq;
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
  };
  void markPublished(const std::vector<Delivered>& rows);
  /// Marks a row that the bus refused for good (kept for operators, not retried).
  void markFailed(std::int64_t seq, const std::string& reason);
  /// Marks rows found on the bus by event id (after a crash between delivery and
  /// marking). Returns how many were pending.
  std::size_t markPublishedByEventId(const std::vector<std::string>& eventIds);
  /// Highest offset confirmed per (topic, partition).
  [[nodiscard]] std::vector<std::tuple<std::string, std::int32_t, std::int64_t>> lastOffsets();
  /// Topics that have pending rows.
  [[nodiscard]] std::vector<std::string> pendingTopics();
  /// Deletes at most `limit` rows the bus confirmed before `publishedBefore` (epoch
  /// ms), and rows marked failed that were created before it (they hold whole events:
  /// kept no longer than what was delivered); pending rows stay. Returns how many were
  /// deleted. A re-sent record whose row is gone is new again: idempotency holds within
  /// the retention.
  std::size_t prunePublished(std::int64_t publishedBeforeMs, std::size_t limit = 5000);

  /// Recounts the unpublished events from the store (other instances append to and
  /// publish from a shared outbox, so the local count drifts). Returns the count.
  std::size_t refreshBacklog();

  /// Wakes a waiter when new rows are committed (the relay).
  void waitForAppend(std::chrono::milliseconds timeout);

  /// Encodes / decodes the header list as stored.
  static std::string encodeHeaders(const std::vector<Header>& headers);
  static std::vector<Header> decodeHeaders(std::string_view blob);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  OutboxOptions options_;
  std::atomic<std::size_t> backlog_{0};
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> published_{0};
};

/// Settings of the relay.
struct RelayOptions {
  /// Events handed to the producer and not yet confirmed, at most.
  std::size_t maxInFlight = 20000;
  std::size_t fetchBatch = 2000;
  /// Look at the bus for rows delivered before a crash but not marked, at start.
  bool reconcileOnStart = true;
  /// How often published rows past the outbox's retention are deleted.
  std::chrono::milliseconds pruneEvery{std::chrono::hours(1)};
  /// Several instances on one shared store: this instance's name. Then one relay at a
  /// time publishes (the store lease `outbox-relay`), in outbox order, which keeps the
  /// order per key; the others stand by and take over when its lease runs out. Empty:
  /// the only instance (SQLite), no lease.
  std::string instance{};
  /// How long a relay's lease lasts without renewal (it renews every third of it).
  std::chrono::milliseconds leaseTime{std::chrono::seconds(9)};
};

/// Moves the outbox to Kafka in order, marks what the bus confirmed, and keeps
/// trying while Kafka is away (its producer never gives up on a message; the outbox
/// stays the source of truth across restarts).
class OutboxRelay {
 public:
  /// Errors: throws BusError if the producer cannot be created.
  OutboxRelay(Outbox& outbox, const ClientProperties& busClient, RelayOptions options = {});
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  void start();
  /// Stops fetching, waits for in-flight deliveries until `deadline`. What was not
  /// confirmed stays pending for the next start.
  void stop(std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] std::size_t inFlight() const;
  /// Rounds of the relay's loop that failed in a row (an exception: the state store
  /// busy, a producer that cannot be made); 0 after a round that went through. The
  /// relay logs each, backs off (0.5 s doubling to 30 s) and goes on; readiness reports
  /// it while this keeps growing.
  [[nodiscard]] unsigned consecutiveFailures() const;
  /// True while this relay publishes (always without RelayOptions::instance).
  [[nodiscard]] bool leading() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::bus
