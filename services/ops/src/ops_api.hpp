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
#include <wayhome/ops/probes.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/health.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/metrics.hpp>
#include <wayhome/runtime/status.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

#include "dead_letters.hpp"
#include "topic_monitor.hpp"

namespace wayhome::services {

/// What the operations endpoints read.
struct OpsContext {
  const HealthMonitor& health;
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
  /// Where handlers that block (bus scans, replays, restarts) run.
  BlockingPool& pool;
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
