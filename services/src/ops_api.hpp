#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/state_store.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/services/component.hpp>
#include <wayhome/services/config.hpp>
#include <wayhome/services/http.hpp>
#include <wayhome/services/metrics.hpp>
#include <wayhome/services/status.hpp>

#include "dead_letters.hpp"
#include "topic_monitor.hpp"

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

/// Who may use the operations API. Tokens come from the config (ops.tokens); they are
/// compared in constant time and never logged.
class OpsAuth {
 public:
  /// Viewer < admin for operators; a case worker (the systems that record consents
  /// and acknowledge referrals) is a role of its own: it may use the case-work API
  /// only, and no operator token may use that.
  /// kReader: any known token (viewer, admin or case worker), or anyone when no tokens
  /// are configured; for what both operators and case workers read (meetings).
  enum class Role { kViewer, kAdmin, kCaseworker, kReader };
  explicit OpsAuth(std::vector<ServiceConfig::OpsToken> tokens) : tokens_(std::move(tokens)) {}

  /// Empty when `request` may act as `needed`, with the caller's name in `actor`;
  /// else the refusal: 401 without a known token, 403 with too small a role.
  [[nodiscard]] std::optional<HttpResponse> check(const HttpRequest& request, Role needed,
                                                  std::string& actor) const;

 private:
  std::vector<ServiceConfig::OpsToken> tokens_;
};

/// What the operations endpoints read.
struct OpsContext {
  HealthMonitor& health;
  std::string bootstrap;
  std::chrono::steady_clock::time_point startedAt;
  const StatusBoard& status;
  bus::Outbox& outbox;
  const schemas::SchemaRegistry& schemas;
  const bus::Topics& topics;
  const TopicMonitor& topicMonitor;
  Metrics& metrics;
  const OpsAuth& auth;
  DeadLetters& deadLetters;
  const bus::ClientProperties& busClient;
  bus::Producer& producer;
  /// Reloads every component that can (POST /api/v1/reload).
  std::function<std::vector<ComponentReload>()> reload;
};

/// The probes (/healthz, /readyz: open, for orchestrators), /metrics and /api/v1/...
/// (viewer or admin token when tokens are configured).
void registerOpsRoutes(HttpRouter& router, const OpsContext& context);

/// Registers the process-wide series (build info, connectors, outbox, topics) that are
/// read at scrape time.
void registerServiceMetrics(const OpsContext& context);

/// The AsyncAPI 2.6 document of every topic and message type, from the schemas and the
/// topic table.
[[nodiscard]] std::string asyncApiDocument(const schemas::SchemaRegistry& schemas,
                                           const bus::Topics& topics);

}  // namespace wayhome::services
