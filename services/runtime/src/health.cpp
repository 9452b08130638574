#include <wayhome/runtime/health.hpp>

namespace wayhome::services {

HealthMonitor::HealthMonitor(bus::Producer& producer, store::StateStore& state,
                             const schemas::SchemaRegistry& registry,
                             std::chrono::milliseconds interval)
    : producer_(producer), state_(state), registry_(registry) {
  check();  // Readiness is known before the first probe arrives.
  worker_.every("health", interval, [this] { check(); });
}

HealthMonitor::~HealthMonitor() {
  stop();
}

void HealthMonitor::stop() {
  worker_.stop();
}

void HealthMonitor::check() {
  HealthSnapshot next;
  auto ping = producer_.ping(std::chrono::milliseconds(1500));
  next.busOk = ping.ok();
  if (ping.ok()) {
    next.brokers = ping.value();
    next.busError.clear();
  } else {
    next.busError = ping.error().message;
  }
  next.stateOk = state_.healthy();
  next.stateVersion = next.stateOk ? state_.schemaVersion() : 0;
  next.schemaCount = registry_.size();
  std::lock_guard lock(mutex_);
  snapshot_ = next;
  for (const auto& w : watched_) {
    const unsigned n = w.failures();
    const bool failing = w.entry->snapshot().health == Health::kFailing;
    if (n >= w.threshold) {
      w.entry->failed("failed " + std::to_string(n) + " times in a row; see the log",
                      Health::kFailing);
    } else if (n == 0 && failing) {
      w.entry->setHealth(Health::kRunning);
      w.entry->clearError();
    }
  }
}

void HealthMonitor::watchWorker(std::shared_ptr<StatusEntry> entry,
                                std::function<unsigned()> consecutiveFailures, unsigned threshold) {
  entry->setHealth(Health::kRunning);
  std::lock_guard lock(mutex_);
  watched_.push_back({std::move(entry), std::move(consecutiveFailures), threshold});
}

HealthSnapshot HealthMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

}  // namespace wayhome::services
