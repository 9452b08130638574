#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/state_store.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/services/http.hpp>

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
  HealthMonitor(bus::Producer& producer, bus::StateStore& state,
                const schemas::SchemaRegistry& registry,
                std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~HealthMonitor();
  [[nodiscard]] HealthSnapshot snapshot() const;
  void stop();

 private:
  void check();

  bus::Producer& producer_;
  bus::StateStore& state_;
  const schemas::SchemaRegistry& registry_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  HealthSnapshot snapshot_;
  bool stop_ = false;
  std::thread thread_;
};

/// What the operations endpoints read.
struct OpsContext {
  HealthMonitor& health;
  std::string bootstrap;
  std::chrono::steady_clock::time_point startedAt;
};

/// GET /healthz and GET /readyz.
void registerOpsRoutes(HttpRouter& router, const OpsContext& context);

}  // namespace wayhome::services
