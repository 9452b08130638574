#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The newest records of `topic`, at most `limitPerPartition` from each partition,
/// read without joining a group.
/// Errors: retryable when the bus does not answer in time; permanent for an unknown
/// topic.
[[nodiscard]] Result<std::vector<bus::KafkaRecord>> readNewest(
    const bus::ClientProperties& busClient, bus::Producer& producer, const std::string& topic,
    std::size_t limitPerPartition);

/// One record on a dead-letter topic, with why it got there and what operators did.
struct DeadLetter {
  std::string id;  ///< "<service>.<partition>.<offset>": stable, and what the API takes
  std::string service;
  bus::KafkaRecord record;
  std::string reason;
  std::string originalTopic;
  std::int32_t originalPartition = -1;
  std::int64_t originalOffset = -1;
  std::string failedAt;
  std::string state = "pending";  ///< pending | replayed | discarded
  std::string actor;              ///< who replayed or discarded it
  std::int64_t actionMs = 0;
};

/// The dead-letter topics as operators see them: list, show, replay to the original
/// topic, discard. Kafka keeps the records; what was done with each is kept in the
/// state store (table dlq_actions), and every action is audited (audit.decision).
class DeadLetters {
 public:
  DeadLetters(const bus::ClientProperties& busClient, const bus::Topics& topics,
              store::StateStore& state, bus::Producer& producer, bus::Outbox& outbox,
              const schemas::SchemaRegistry& schemas, const Clock& clock);

  /// Dead letters of `service` (all services when empty), newest first, at most
  /// `limit` per service.
  /// Errors: permanent for an unknown service; retryable when the bus does not answer.
  [[nodiscard]] Result<std::vector<DeadLetter>> list(const std::string& service, std::size_t limit);
  /// Errors: permanent "not found" for an id that names no dead letter.
  [[nodiscard]] Result<DeadLetter> find(const std::string& id);
  /// Claims the dead letter and, in the same transaction, queues the original record
  /// (key, value, headers without the dead-letter ones) for its original topic and the
  /// audit record in the outbox: once per dead letter, also when asked concurrently,
  /// and on the bus once even across a bus outage or a restart. Does not wait for the
  /// bus.
  /// Errors: "not found"; "conflict" when it was replayed or discarded before (or
  /// meanwhile); retryable when the outbox is full or the state store is busy.
  [[nodiscard]] Result<DeadLetter> replay(const std::string& id, const std::string& actor);
  /// Records that the dead letter needs no action and audits it. Same errors.
  [[nodiscard]] Result<DeadLetter> discard(const std::string& id, const std::string& actor);
  /// Audits that `actor` read the whole of `letter` (its value holds whole referrals):
  /// returns once the audit.decision (dlq_read) is durable in the outbox.
  /// Errors: retryable when the outbox refuses it or does not commit in time; then the
  /// letter must not be shown.
  [[nodiscard]] Result<void> auditRead(const DeadLetter& letter, const std::string& actor);

 private:
  Result<DeadLetter> act(const std::string& id, const std::string& actor,
                         const std::string& action);
  void attachActions(std::vector<DeadLetter>& letters);

  const bus::ClientProperties& busClient_;
  const bus::Topics& topics_;
  store::StateStore& state_;
  bus::Producer& producer_;
  bus::Outbox& outbox_;
  const schemas::SchemaRegistry& schemas_;
  const Clock& clock_;
};

}  // namespace wayhome::services
