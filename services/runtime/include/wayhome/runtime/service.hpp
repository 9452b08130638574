#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::services {

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
  [[nodiscard]] const ServiceConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::services
