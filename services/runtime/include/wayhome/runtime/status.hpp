#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/core/clock.hpp>

namespace wayhome::services {

/// How a component instance is doing.
enum class Health { kRunning, kDegraded, kFailing, kStopped };

[[nodiscard]] const char* healthName(Health health);

/// A copy of one instance's status for readers (ops API, readiness).
struct StatusSnapshot {
  std::string name;  ///< instance, e.g. "plania-north"
  std::string kind;  ///< type, e.g. "plania"
  Health health = Health::kStopped;
  std::string lastError;
  std::int64_t lastErrorMs = 0;    ///< epoch ms, 0 if never
  std::int64_t lastSuccessMs = 0;  ///< epoch ms, 0 if never
  std::uint64_t in = 0;            ///< records received from the source
  std::uint64_t out = 0;           ///< events accepted into the outbox
  std::uint64_t rejected = 0;      ///< records refused (bad input)
  std::uint64_t duplicates = 0;    ///< records seen before (no new event)
  bool paused = false;             ///< an operator paused it: it takes no input
};

/// One instance's live status. Thread-safe; counters are lock-free.
class StatusEntry {
 public:
  StatusEntry(std::string name, std::string kind, const Clock& clock);

  void setHealth(Health health);
  /// A record came in from the source.
  void received(std::uint64_t n = 1) { in_ += n; }
  /// Work succeeded: `events` new events accepted, `duplicates` recognised.
  void succeeded(std::uint64_t events, std::uint64_t duplicates = 0);
  /// A record was refused for `reason` (bad input; the instance stays healthy).
  void rejected(const std::string& reason);
  /// The instance could not do its work (source down, store failing).
  void failed(const std::string& reason, Health health = Health::kDegraded);
  /// An operator paused (or resumed) the instance: while paused it takes no input
  /// (push endpoints answer 503, pollers wait) and loses nothing.
  void setPaused(bool paused) { paused_ = paused; }
  [[nodiscard]] bool paused() const { return paused_; }

  /// How the instance is restarted (set by its owner; connectors have one): returns
  /// empty on success, else why it failed.
  void setRestart(std::function<std::string()> restart);
  /// Empty when restarted; else why not (no restart hook, or what failed).
  /// Errors: std::nullopt when the instance cannot be restarted at all.
  [[nodiscard]] std::optional<std::string> restart();
  /// Forgets the last error (after a restart).
  void clearError();

  [[nodiscard]] StatusSnapshot snapshot() const;

 private:
  const Clock& clock_;
  std::atomic<std::uint64_t> in_{0};
  std::atomic<std::uint64_t> out_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::int64_t> lastSuccessMs_{0};
  std::atomic<bool> paused_{false};
  mutable std::mutex mutex_;
  StatusSnapshot fixed_;  // name, kind, health, last error
  std::function<std::string()> restart_;
};

/// Every instance's status: the one place the ops API reads.
class StatusBoard {
 public:
  explicit StatusBoard(const Clock& clock = SystemClock::instance()) : clock_(clock) {}
  /// Errors: throws std::logic_error if `name` is taken.
  std::shared_ptr<StatusEntry> add(const std::string& name, const std::string& kind);
  [[nodiscard]] std::vector<StatusSnapshot> snapshot() const;
  /// The entry called `name`, or nullptr.
  [[nodiscard]] std::shared_ptr<StatusEntry> find(std::string_view name) const;

 private:
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<StatusEntry>> entries_;
};

}  // namespace wayhome::services
