#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

#include <wayhome/bus/producer.hpp>
#include <wayhome/runtime/worker.hpp>
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

 private:
  void check();

  bus::Producer& producer_;
  store::StateStore& state_;
  const schemas::SchemaRegistry& registry_;
  mutable std::mutex mutex_;
  HealthSnapshot snapshot_;
  Worker worker_;  // last: stops before what it reads goes
};

}  // namespace wayhome::services
