#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace wayhome::services {
class StatusEntry;
}  // namespace wayhome::services

namespace wayhome::connectors {

/// The requests a connector has handed to the intake whose answers still wait for the
/// outbox, counted so that stop() can wait for them, with the instance's status entry
/// they report to. Hold it in a shared_ptr that each outbox callback copies: a callback
/// still queued when the connector is gone finds it here and leaves the (by then gone)
/// status entry alone.
///
/// Threading: every member from any thread.
class InFlight {
 public:
  /// The status entry to report to, from start() until drain().
  void attach(services::StatusEntry& status);
  /// One more request waits for the outbox.
  void begin();
  /// `what` on the status entry, unless drain() has let it go.
  void report(const std::function<void(services::StatusEntry&)>& what);
  /// One request answered.
  void end();
  /// Waits until no request waits or `deadline` passed, then lets the status entry
  /// go. Returns how many still wait.
  std::size_t drain(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
  services::StatusEntry* status_ = nullptr;  // null once drained
};

}  // namespace wayhome::connectors
