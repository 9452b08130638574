#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/named_factories.hpp>
#include <wayhome/schemas/json_schema.hpp>

namespace wayhome::connectors {

/// A connector configuration that cannot be used; start-up stops (exit code 2).
class ConnectorConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Intake;

/// What a connector instance works with. Everything here outlives the instance.
struct ConnectorContext {
  services::ServiceContext& service;
  /// Validates canonical events and queues them durably for the bus.
  Intake& intake;
  /// This instance's status, read by the ops API.
  services::StatusEntry& status;
};

/// One running instance of a connector ("plania-north"), taking one source system's
/// records onto the bus.
class Connector {
 public:
  virtual ~Connector() = default;
  /// Registers HTTP routes, starts pollers. Called once.
  /// Errors: throws with a message naming what failed (start-up stops).
  virtual void start(ConnectorContext& context) = 0;
  /// Stops taking input and finishes what is in flight until `deadline`.
  virtual void stop(std::chrono::steady_clock::time_point deadline) = 0;
};

using ConnectorPtr = std::unique_ptr<Connector>;

/// Makes connectors of one type. A factory has a name ("plania"), the JSON Schema of
/// its config section, and create().
class ConnectorFactory {
 public:
  virtual ~ConnectorFactory() = default;
  [[nodiscard]] virtual std::string_view type() const = 0;
  /// JSON Schema (draft-04) of this type's config section.
  [[nodiscard]] virtual std::string_view configSchema() const = 0;
  /// Creates an instance from a config section that already passed configSchema().
  /// Errors: throws ConnectorConfigError for what the schema cannot express.
  virtual ConnectorPtr create(const std::string& instanceName,
                              std::string_view configJson) const = 0;
};

/// Factories registered by name, each with the JSON Schema of its settings
/// (wayhome/runtime/named_factories.hpp): connectors and simulators alike.
template <class Factory>
using NamedFactories = services::NamedFactories<Factory, ConnectorConfigError>;

/// The connector types this binary knows.
class ConnectorRegistry : public NamedFactories<ConnectorFactory> {
 public:
  /// Checks the settings and creates the instance.
  /// Errors: as checked(), plus what the factory throws.
  [[nodiscard]] ConnectorPtr create(std::string_view type, const std::string& instanceName,
                                    std::string_view settingsJson) const {
    return checked(type, instanceName, settingsJson).create(instanceName, settingsJson);
  }
};

}  // namespace wayhome::connectors
