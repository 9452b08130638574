#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/metrics.hpp>
#include <wayhome/runtime/status.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

class OpsAuth;
class HealthMonitor;
class BlockingPool;
class IdentityVault;
struct ComponentReload;

/// What a running part of the service may use. Everything here outlives every
/// component.
struct ServiceContext {
  const ServiceConfig& config;
  const schemas::SchemaRegistry& schemas;
  store::StateStore& state;
  bus::Producer& producer;
  /// The durable way onto the bus: what is appended here is published exactly once.
  bus::Outbox& outbox;
  /// Where instances report how they are doing (read by the ops API).
  StatusBoard& status;
  /// Client properties for consumers and further producers of this bus.
  const bus::ClientProperties& busClient;
  const bus::Topics& topics;
  /// Routes are added during start() only.
  HttpRouter& http;
  const Clock& clock;
  /// Where components register their series for /metrics.
  Metrics& metrics;
  /// Who may call the HTTP API (tokens and roles, wayhome/runtime/auth.hpp); null in
  /// contexts without one.
  const OpsAuth* auth = nullptr;
  /// Readiness of the bus and the store, checked in the background; null in contexts
  /// without one.
  const HealthMonitor* health = nullptr;
  /// The bus's bootstrap servers as clients should use them.
  std::string bootstrap{};
  std::chrono::steady_clock::time_point startedAt = std::chrono::steady_clock::now();
  /// Reloads every component that can (SIGHUP, POST /api/v1/reload); empty in
  /// contexts without a host.
  std::function<std::vector<ComponentReload>()> reload{};
  /// Runs slow request handlers (bus scans, replays) off the HTTP I/O threads; null in
  /// contexts without a host.
  BlockingPool* blocking = nullptr;
  /// This process among the instances that share the state store (host, pid and a
  /// random part): the holder name of its leases. Empty when the store is this
  /// instance's own (SQLite): then no job needs a lease.
  std::string instance{};
  /// The re-identification vault (wayhome/runtime/identity_vault.hpp); null when
  /// identity.reidentification is not configured.
  IdentityVault* vault = nullptr;
};

/// What a component's reload() did.
struct ReloadOutcome {
  bool reloaded = false;  ///< false: refused, the running configuration stays
  std::string detail;     ///< what was loaded, or why it was refused
};

/// A part of the service with a lifetime: connectors, router, scheduler. Components
/// start in the order they were added, after the bus and the store and before HTTP
/// listens, and stop in reverse order, before the producer is flushed.
class Component {
 public:
  virtual ~Component() = default;
  /// A short name for logs ("connectors", "router").
  [[nodiscard]] virtual std::string name() const = 0;
  /// Errors: throws with a message naming what failed; start-up then stops.
  virtual void start(ServiceContext& context) = 0;
  /// Stops accepting, finishes in-flight work until `deadline`.
  virtual void stop(std::chrono::steady_clock::time_point deadline) = 0;
  /// Empty when ready, else why not (shown on /readyz).
  [[nodiscard]] virtual std::string notReadyReason() const { return {}; }
  /// Reads its own files again (SIGHUP, POST /api/v1/reload) and swaps them in
  /// atomically, or keeps what runs and says why. Nothing (the default) when the
  /// component has nothing to reload. Thread-safe.
  virtual std::optional<ReloadOutcome> reload() { return std::nullopt; }
};

/// Makes a component from the service's configuration, or nothing when the
/// configuration turns it off. The app keeps one per component, in start order
/// (services/app/src/builtin.cpp): adding a component is writing it and adding one line.
using ComponentFactory = std::function<std::unique_ptr<Component>(const ServiceConfig& config)>;

/// One component's answer to a reload.
struct ComponentReload {
  std::string component;
  ReloadOutcome outcome;
};

}  // namespace wayhome::services
