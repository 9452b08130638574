#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/clock.hpp>
#include <wayhome/delivery/settings.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The delivery queue's table.
[[nodiscard]] const store::ModuleSchema& deliverySchema();

/// How the delivery component runs: its webhooks (config key "delivery",
/// wayhome/delivery/settings.hpp) and what tests choose.
struct DeliveryOptions {
  /// The subscriptions; disabled ones are left out at start().
  std::vector<WebhookSettings> webhooks{};
  /// Time source of back-off, retry times and `X-Wayhome-Timestamp`; the service's clock
  /// when null.
  const Clock* clock = nullptr;
  /// Longest a sender sleeps when nothing is due (it wakes earlier for new records).
  std::chrono::milliseconds idle{200};
  /// Delivered and dead rows are kept this long (redelivery of a Kafka record within it
  /// is recognised and not sent twice), then removed.
  std::chrono::hours keepDone{24 * 7};
  /// Uniform random number in [0, 1) for the back-off jitter, called from each
  /// webhook's sender thread (so it must be thread-safe); a seeded generator per
  /// webhook when empty.
  std::function<double()> random{};
};

/// Counters of one subscription (tests and the status board read them).
struct WebhookCounters {
  std::uint64_t received = 0;      ///< records read from the topic
  std::uint64_t queued = 0;        ///< records taken into the queue (not seen before)
  std::uint64_t attempts = 0;      ///< POSTs tried
  std::uint64_t delivered = 0;     ///< answered 2xx
  std::uint64_t retries = 0;       ///< attempts that failed and will be tried again
  std::uint64_t deadLettered = 0;  ///< sent to dlq.delivery (given up, refused, wrong sector)
  std::uint64_t skipped = 0;       ///< records of types that are not delivered
  std::int64_t pending = 0;        ///< in the queue, not yet delivered or dead
};

/// Delivers referrals to sector systems that do not read Kafka, by HTTP POST.
///
/// Each enabled subscription reads `referrals.<its sector>` as consumer group
/// `wayhome-delivery-<name>`, records each deliverable event in the state store's
/// delivery queue (one transaction per poll batch; wrong-sector and unusable records
/// are dead-lettered to `dlq.delivery` in the same transaction), then commits the
/// offsets. A sender thread per subscription POSTs what is due (CloudEvents HTTP
/// binary mode, signed with HMAC-SHA256), retries with exponential back-off and full
/// jitter, and dead-letters after `max_attempts` or at once on a permanent refusal.
/// At least once across a crash; see services/delivery/README.md for the contract.
class Delivery final : public Component {
 public:
  explicit Delivery(DeliveryOptions options);
  ~Delivery() override;
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  [[nodiscard]] std::string name() const override { return "delivery"; }
  /// Errors: throws std::runtime_error for an unknown sector, a name used twice or a
  /// consumer that cannot be made.
  void start(ServiceContext& context) override;
  /// Stops reading and sending; an attempt in flight finishes (bounded by its
  /// timeout). What is pending stays in the queue for the next start.
  void stop(std::chrono::steady_clock::time_point deadline) override;

  /// The counters of subscription `name` (zeros when there is none).
  [[nodiscard]] WebhookCounters counters(const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The wait before attempt `attempt + 1` after `attempt` (≥ 1) failed attempts: full
/// jitter, `random` in [0, 1) times min(max, initial · 2^(attempt-1)).
[[nodiscard]] std::chrono::milliseconds webhookBackoff(int attempt,
                                                       std::chrono::milliseconds initial,
                                                       std::chrono::milliseconds max,
                                                       double random);

}  // namespace wayhome::services
