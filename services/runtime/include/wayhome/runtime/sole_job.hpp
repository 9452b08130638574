#pragma once

#include <chrono>
#include <string>

#include <wayhome/core/clock.hpp>

namespace wayhome::store {
class StateStore;
}

namespace wayhome::services {

/// A job that one instance at a time does among those sharing a state store (the
/// Plania poller, a drop folder, the scheduler's timers, a webhook's sender): a lease
/// in the store, renewed while the job runs, given up at destruction. An instance
/// that dies holds it at most `leaseTime` longer. Without an instance name (the store
/// is this process's own) the job is always this instance's.
class SoleJob {
 public:
  SoleJob(store::StateStore& state, std::string name, std::string instance,
          const Clock& clock = SystemClock::instance(),
          std::chrono::milliseconds leaseTime = std::chrono::seconds(9));
  ~SoleJob();
  SoleJob(const SoleJob&) = delete;
  SoleJob& operator=(const SoleJob&) = delete;

  /// True if this instance may do the job now. Takes or renews the lease at most
  /// every third of its time; a store error counts as "not now".
  [[nodiscard]] bool mine();

 private:
  store::StateStore& state_;
  std::string name_;
  std::string instance_;
  const Clock& clock_;
  std::chrono::milliseconds leaseTime_;
  bool held_ = false;
  std::chrono::steady_clock::time_point nextCheck_{};
};

}  // namespace wayhome::services
