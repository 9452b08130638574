#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/settings.hpp>
#include <wayhome/core/worker.hpp>

namespace wayhome::bus {
class Consumer;
struct ConsumerOptions;
class Outbox;
}  // namespace wayhome::bus

namespace wayhome::services {

class StatusEntry;

/// The client properties a service's consumer uses: `busClient` as configured, and on
/// the embedded bus a fetch wait of 10 ms unless `bus.client` sets one. The embedded
/// bus's mock brokers hold every fetch for the whole `fetch.wait.max.ms` (500 ms by
/// default) even when records arrive meanwhile, which made each hop through the bus
/// wait 250 ms on average; a Kafka broker answers a waiting fetch as soon as records
/// come, so nothing changes there. On any bus, each consumer prefetches at most 2 MB
/// (`queued.max.messages.kbytes`, librdkafka's default 64 MB) unless `bus.client` says
/// otherwise: a batch is at most 500 records (~0.5 MB), and five consumers lagging
/// behind a burst held up to 320 MB of prefetched records between them (8 MB each
/// still made the intake bench's peak RSS 130-140 MB against 106-131 MB at 2 MB).
[[nodiscard]] bus::ClientProperties consumerProperties(const bus::BusSettings& bus,
                                                       const bus::ClientProperties& busClient);

/// The one once-only consume loop of the services (router, scheduler, delivery): poll a
/// batch, hand it to the service, which makes its effects durable in the state store,
/// and only then commit the offsets. What the service did not finish is read again.
///
/// While the outbox is overloaded (or `paused` says so) the consumer is paused: reading
/// more would only grow the backlog. Runs on its own Worker, so an exception in a
/// handler is logged and backed off, never the end of the process.
class ConsumeLoop {
 public:
  struct Options {
    std::string component{};  ///< Log component and worker name.
    std::size_t maxBatch = 200;
    std::chrono::milliseconds poll{100};
    /// Pause before reading again what a handler did not finish.
    std::chrono::milliseconds retryPause{500};
    /// Extra reason to stop reading (an operator paused a webhook); optional.
    std::function<bool()> paused{};
    /// Runs on the loop's thread before every poll (timers, escalations); optional.
    /// A throw is logged and the loop goes on.
    std::function<void()> beforePoll{};
  };

  /// Handles a batch and returns how many records, from the front, are done (their
  /// effects committed). Fewer than all: the rest is rewound and read again after
  /// `retryPause`. A throw means none are done.
  using Handler = std::function<std::size_t(std::vector<bus::KafkaRecord>& records)>;

  /// `consumer`, `outbox` and `status` must outlive the loop.
  ConsumeLoop(bus::Consumer& consumer, bus::Outbox& outbox, StatusEntry& status, Options options,
              Handler handler);
  ~ConsumeLoop();
  ConsumeLoop(const ConsumeLoop&) = delete;
  ConsumeLoop& operator=(const ConsumeLoop&) = delete;

  void start();
  /// Stops and joins; the consumer is left open for its owner to close.
  void stop();

  /// Runs one turn (poll, handle, commit) on the caller's thread; for tests and for
  /// the worker. False when nothing was read.
  bool turn();

 private:
  void retry(const std::vector<bus::KafkaRecord>& records, std::size_t from);

  bus::Consumer& consumer_;
  bus::Outbox& outbox_;
  StatusEntry& status_;
  Options options_;
  Handler handler_;
  Worker worker_;  // last: joined before the rest goes
};

/// A component's consumer and the ConsumeLoop that reads it, owned together (router,
/// scheduler, reports): start() makes the consumer, subscribes it to `topics` and
/// starts the loop; stop() stops the loop, then closes the consumer. Declare it after
/// what its handler uses, so that it stops first.
class SubscribedLoop {
 public:
  SubscribedLoop() = default;
  ~SubscribedLoop();
  SubscribedLoop(const SubscribedLoop&) = delete;
  SubscribedLoop& operator=(const SubscribedLoop&) = delete;

  /// `outbox` and `status` must outlive the loop.
  /// Errors: throws as bus::Consumer's constructor and subscribe() do.
  void start(const bus::ClientProperties& properties, const bus::ConsumerOptions& consumer,
             const std::vector<std::string>& topics, bus::Outbox& outbox, StatusEntry& status,
             ConsumeLoop::Options options, ConsumeLoop::Handler handler);
  /// Joins the loop and closes the consumer; nothing when not started. Idempotent.
  void stop();

 private:
  std::unique_ptr<bus::Consumer> consumer_;
  std::unique_ptr<ConsumeLoop> loop_;  // last: stopped before the consumer closes
};

}  // namespace wayhome::services
