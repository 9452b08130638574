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

/// Factories registered by name, each with the JSON Schema of its settings. Register
/// explicitly (registerBuiltinConnectors) from main and from tests; a duplicate name
/// is a start-up error. Used for connectors and for simulators alike.
template <class Factory>
class NamedFactories {
 public:
  /// Errors: throws std::logic_error when the type is registered already, or its
  /// schema is not JSON.
  void add(std::unique_ptr<Factory> factory) {
    const std::string type(factory->type());
    if (entries_.contains(type)) {
      throw std::logic_error("'" + type + "' is registered twice");
    }
    auto schema = std::make_unique<schemas::JsonSchema>(factory->configSchema(),
                                                        "settings schema of " + type);
    entries_.emplace(type, Entry{std::move(factory), std::move(schema)});
  }

  /// The factory of `type`, or nullptr.
  [[nodiscard]] const Factory* find(std::string_view type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : it->second.factory.get();
  }

  [[nodiscard]] std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, entry] : entries_)
      out.push_back(type);
    return out;
  }

  /// The factory of `type` once `settingsJson` passed its schema.
  /// Errors: throws ConnectorConfigError naming the instance, the key and the
  /// problem, or an unknown type with the known ones.
  [[nodiscard]] const Factory& checked(std::string_view type, const std::string& instanceName,
                                       std::string_view settingsJson) const {
    auto it = entries_.find(type);
    if (it == entries_.end()) {
      std::string known;
      for (const auto& t : types())
        known += (known.empty() ? "" : ", ") + t;
      throw ConnectorConfigError("'" + instanceName + "': unknown type '" + std::string(type) +
                                 "' (known: " + known + ")");
    }
    if (auto invalid = it->second.schema->validate(settingsJson)) {
      throw ConnectorConfigError("'" + instanceName + "' settings: " + invalid->message);
    }
    return *it->second.factory;
  }

 private:
  struct Entry {
    std::unique_ptr<Factory> factory;
    std::unique_ptr<schemas::JsonSchema> schema;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

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
