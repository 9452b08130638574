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
}

HealthSnapshot HealthMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

}  // namespace wayhome::services
