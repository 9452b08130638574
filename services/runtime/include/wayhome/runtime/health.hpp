#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <wayhome/bus/producer.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/runtime/status.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// What readiness is made of, refreshed in the background so that a probe never waits
/// on the bus.
struct HealthSnapshot {
  bool busOk = false;
  int brokers = 0;
  std::string busError = "not checked yet";
  bool stateOk = false;
  int stateVersion = 0;
  std::size_t schemaCount = 0;
  [[nodiscard]] bool ready() const { return busOk && stateOk && schemaCount > 0; }
};

/// Checks the bus and the state store every `interval` on its own thread.
class HealthMonitor {
 public:
  HealthMonitor(bus::Producer& producer, store::StateStore& state,
                const schemas::SchemaRegistry& registry,
                std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~HealthMonitor();
  [[nodiscard]] HealthSnapshot snapshot() const;
  void stop();

  /// Reports a background worker on `entry` (so readiness and /api/v1/connectors show
  /// it): failing once `consecutiveFailures` reaches `threshold`, running again when it
  /// drops to 0. Call before serving; `consecutiveFailures` is called from the monitor's
  /// thread and must be thread-safe.
  void watchWorker(std::shared_ptr<StatusEntry> entry,
                   std::function<unsigned()> consecutiveFailures, unsigned threshold = 3);

 private:
  void check();

  bus::Producer& producer_;
  store::StateStore& state_;
  const schemas::SchemaRegistry& registry_;
  struct Watched {
    std::shared_ptr<StatusEntry> entry;
    std::function<unsigned()> failures;
    unsigned threshold = 3;
  };
  mutable std::mutex mutex_;
  HealthSnapshot snapshot_;
  std::vector<Watched> watched_;  // under mutex_
  Worker worker_;                 // last: stops before what it reads goes
};

}  // namespace wayhome::services
