#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/services/component.hpp>

namespace wayhome::connectors {

/// A connector configuration that cannot be used; start-up stops (exit code 2).
class ConnectorConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One running instance of a connector ("plania-north"), taking one source system's
/// records onto the bus.
class Connector {
 public:
  virtual ~Connector() = default;
  /// Registers HTTP routes, starts pollers. Called once.
  virtual void start(services::ServiceContext& context) = 0;
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
  virtual ConnectorPtr create(const std::string& instanceName, std::string_view configJson) const = 0;
};

/// The named factories. Register explicitly (registerBuiltinConnectors) from main and
/// from tests; a duplicate type is a start-up error.
class ConnectorRegistry {
 public:
  /// Errors: throws std::logic_error when `type` is registered already.
  void add(std::unique_ptr<ConnectorFactory> factory);
  /// The factory of `type`, or nullptr.
  [[nodiscard]] const ConnectorFactory* find(std::string_view type) const;
  [[nodiscard]] std::vector<std::string> types() const;

  /// Checks `configJson` against the factory's schema and creates the instance.
  /// Errors: throws ConnectorConfigError naming the instance, the key and the
  /// problem, or an unknown type with the known ones.
  [[nodiscard]] ConnectorPtr create(std::string_view type, const std::string& instanceName,
                                    std::string_view configJson) const;

 private:
  struct Entry {
    std::unique_ptr<ConnectorFactory> factory;
    std::unique_ptr<schemas::JsonSchema> schema;
  };
  std::map<std::string, Entry, std::less<>> factories_;
};

}  // namespace wayhome::connectors
