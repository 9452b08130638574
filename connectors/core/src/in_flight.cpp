#include <wayhome/connectors/in_flight.hpp>

namespace wayhome::connectors {

void InFlight::attach(services::StatusEntry& status) {
  std::lock_guard lock(mutex_);
  status_ = &status;
}

void InFlight::begin() {
  std::lock_guard lock(mutex_);
  ++count_;
}

void InFlight::report(const std::function<void(services::StatusEntry&)>& what) {
  std::lock_guard lock(mutex_);
  if (status_ != nullptr) what(*status_);
}

void InFlight::end() {
  std::lock_guard lock(mutex_);
  if (--count_ == 0) idle_.notify_all();
}

std::size_t InFlight::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  idle_.wait_until(lock, deadline, [&] { return count_ == 0; });
  status_ = nullptr;
  return count_;
}

}  // namespace wayhome::connectors
