#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/settings.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::bus {

/// Options of a Consumer.
struct ConsumerOptions {
  std::string groupId;
  /// Names the client in logs and in the broker (client.id).
  std::string name = "wayhome-consumer";
  /// Where a group with no committed offset starts: "earliest" or "latest".
  std::string autoOffsetReset = "earliest";
};

/// Lag of one assigned partition.
struct PartitionLag {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t position = -1;       ///< next offset this consumer reads
  std::int64_t highWatermark = -1;  ///< next offset the partition will write
  [[nodiscard]] std::int64_t lag() const {
    return position < 0 || highWatermark < 0 ? -1 : highWatermark - position;
  }
};

/// Lag of one partition of a consumer group in this process.
struct GroupLag {
  std::string group;
  PartitionLag partition;
};

/// A Kafka consumer with manual offsets: an offset is committed only after the caller
/// said the record was processed (markProcessed), so a crash re-delivers what was not
/// done. Not thread-safe: use it from one thread.
class Consumer {
 public:
  /// Errors: throws BusError if a client property is refused.
  Consumer(const ClientProperties& props, ConsumerOptions options);
  /// Commits what was processed and leaves the group (close()).
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  /// Joins the consumer group for `topics` (the first join on a fresh group takes a
  /// few seconds).
  /// Errors: throws BusError when librdkafka refuses the subscription.
  void subscribe(const std::vector<std::string>& topics);
  /// Reads `partitions` of `topic` without group management, from the committed
  /// offset or, with `fromBeginning`, from the start.
  void assign(const std::string& topic, const std::vector<std::int32_t>& partitions,
              bool fromBeginning = true);

  /// Reads one partition from `offset` on, without group management.
  void assignAt(const std::string& topic, std::int32_t partition, std::int64_t offset);
  /// Reads several partitions of `topic`, each from its own offset, without group
  /// management (replaces any earlier assignment).
  void assignAt(const std::string& topic,
                const std::vector<std::pair<std::int32_t, std::int64_t>>& starts);
  /// Asks the broker for a partition's low and high watermarks.
  /// Errors: retryable when the broker does not answer within `timeout`.
  Result<std::pair<std::int64_t, std::int64_t>> watermarks(const std::string& topic,
                                                           std::int32_t partition,
                                                           std::chrono::milliseconds timeout);

  /// Waits up to `timeout` for the first record, then takes whatever else is ready,
  /// up to `maxRecords`.
  std::vector<KafkaRecord> poll(std::chrono::milliseconds timeout, std::size_t maxRecords = 500);

  /// Records `record` as processed: its offset will be committed.
  void markProcessed(const KafkaRecord& record);
  /// Reads `record`'s partition again from `record` on (to retry it); records of that
  /// partition already returned after it are read again too.
  void rewind(const KafkaRecord& record);

  /// Commits the offsets of processed records.
  /// Errors: retryable when the group coordinator cannot be reached.
  Result<void> commit(bool async = true);

  /// Stops / restarts fetching from every assigned partition (back-pressure).
  void pause();
  void resume();
  [[nodiscard]] bool paused() const;

  /// Lag per assigned partition (from locally cached watermarks).
  [[nodiscard]] std::vector<PartitionLag> lag() const;
  /// Lag of every consumer in this process that subscribed as a group member (the
  /// services' consumers, not the readers that assign partitions themselves), for
  /// /metrics. Partitions with no position yet are left out. Thread-safe.
  [[nodiscard]] static std::vector<GroupLag> lagOfGroupMembers();

  /// Commits synchronously and leaves the group. Idempotent.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::bus
