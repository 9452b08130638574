#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::connectors {

/// Where a simulator finds the service it feeds.
struct SimulatorContext {
  /// "http://127.0.0.1:PORT" of the running service (push simulators post here).
  std::string serviceUrl;
};

/// A stand-in for a source system we cannot reach from here. It speaks the protocol
/// the real system speaks (HTTP, XML, signed webhooks, a REST API to poll) and plays
/// synthetic citizens' journeys (synthetic identity numbers only).
class Simulator {
 public:
  virtual ~Simulator() = default;
  /// Errors: throws with a message naming what failed.
  virtual void start(const SimulatorContext& context) = 0;
  virtual void stop() = 0;
  /// True once a simulator with a fixed number of journeys has played them all
  /// (`wayhome simulate` then exits). Simulators that run until stopped say false.
  [[nodiscard]] virtual bool finished() const { return false; }
  /// True for a simulated source that the service calls (a REST API to poll): it starts
  /// before the service and stops after it, so the connector never finds it away.
  /// Simulators that call the service (webhooks, messages) start after it.
  [[nodiscard]] virtual bool servesTheService() const { return false; }
};

/// Makes simulators of one source type.
class SimulatorFactory {
 public:
  virtual ~SimulatorFactory() = default;
  [[nodiscard]] virtual std::string_view type() const = 0;
  [[nodiscard]] virtual std::string_view configSchema() const = 0;
  virtual std::unique_ptr<Simulator> create(std::string_view settingsJson) const = 0;
};

using SimulatorRegistry = NamedFactories<SimulatorFactory>;

/// The enabled simulators of `config`, made but not started.
/// Errors: throws ConnectorConfigError for an unknown type or bad settings.
[[nodiscard]] std::vector<std::unique_ptr<Simulator>> makeSimulators(
    const SimulatorRegistry& registry, const services::ServiceConfig& config);

}  // namespace wayhome::connectors
