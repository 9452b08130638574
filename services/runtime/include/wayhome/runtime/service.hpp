#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/http.hpp>

namespace wayhome::services {

/// True for a Host header that names this machine's loopback (127.0.0.1, localhost,
/// [::1], each with an optional port) or is absent. A loopback listener answers other
/// names with 421, so a DNS-rebinding web page cannot talk to it.
[[nodiscard]] bool isLoopbackHostHeader(std::string_view host);

/// The running wayhome process: bus, schemas, state store and HTTP, wired together.
class Service {
 public:
  explicit Service(ServiceConfig config);
  /// Stops if still running.
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Adds a component (before start()); the service owns it.
  void add(std::unique_ptr<Component> component);

  /// Starts every part in dependency order and writes `<data_dir>/runtime.json`
  /// (bootstrap servers, HTTP port, pid) for tools and tests.
  /// Errors: throws (SchemaLoadError, StateError, BusError, std::runtime_error) with a
  /// message that names what failed; what was started is stopped again.
  void start();

  /// Stops accepting work, finishes what is in flight, flushes the producer, commits
  /// offsets and closes the store; bounded by the configured shutdown timeout.
  /// Returns false if something did not finish in time. Idempotent.
  bool stop();

  /// Asks every running component to reload (see Component::reload); the answers of
  /// those that have something to reload, each logged. Thread-safe.
  std::vector<ComponentReload> reload();

  [[nodiscard]] const std::string& bootstrapServers() const;
  [[nodiscard]] std::uint16_t httpPort() const;
  /// Every HTTP route the components registered (empty before start()).
  [[nodiscard]] std::vector<HttpRouter::RouteInfo> httpRoutes() const;
  [[nodiscard]] const ServiceConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::services
