#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/settings.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::schemas {
class SchemaRegistry;
}

namespace wayhome::bus {

/// What the bus said about one message.
struct DeliveryReport {
  bool ok = false;
  /// Set when !ok; retryable() says whether sending again may succeed.
  Error error;
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

/// Options of a Producer.
struct ProducerOptions {
  /// Names the client in logs and in the broker (client.id).
  std::string name = "wayhome-producer";
  /// When set, send() refuses events whose data does not match the schema of their
  /// type (the registry must outlive the producer).
  const schemas::SchemaRegistry* registry = nullptr;
};

/// An idempotent producer (acks=all, enable.idempotence) of CloudEvents in Kafka
/// binary mode. Thread-safe. Delivery callbacks run on the producer's own thread and
/// must not block.
class Producer {
 public:
  using DeliveryCallback = std::function<void(const DeliveryReport&)>;

  /// Errors: throws BusError if a client property is refused.
  Producer(const ClientProperties& props, ProducerOptions options = {});
  /// Stops the delivery thread; messages still queued are purged and their callbacks
  /// get an error. Call flush() first to deliver them.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  /// Queues `event` for `topic`, keyed by its subject; `onDelivery` is called once.
  /// Errors: permanent when the event is invalid (attribute or schema); retryable
  /// when the local queue is full. On error the callback is not called.
  Result<void> send(const std::string& topic, const CloudEvent& event, DeliveryCallback onDelivery);
  /// As above, with a future instead of a callback.
  std::future<DeliveryReport> send(const std::string& topic, const CloudEvent& event);

  /// Queues a raw record (dead letters, replays): no CloudEvent checks.
  Result<void> sendRecord(const std::string& topic, const std::string& key,
                          const std::string& value, const std::vector<Header>& headers,
                          DeliveryCallback onDelivery);

  /// Waits until every queued message is delivered or failed.
  /// Returns false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  /// Asks the cluster for metadata: the number of brokers that answered.
  /// Errors: retryable when the cluster cannot be reached within `timeout`.
  Result<int> ping(std::chrono::milliseconds timeout);

  /// The number of partitions of `topic`.
  /// Errors: retryable when the cluster does not answer; permanent for an unknown topic.
  Result<int> partitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  /// Messages queued or in flight.
  [[nodiscard]] int queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::bus
