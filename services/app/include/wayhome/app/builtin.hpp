#pragma once

// The components, connector and simulator types this binary knows: the one place
// that names them.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/connectors/component.hpp>
#include <wayhome/connectors/connector.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/module.hpp>
#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors {

/// Registers gerica, plania and loan.
void registerBuiltinConnectors(ConnectorRegistry& registry);
/// Registers the simulators of gerica, plania and loan.
void registerBuiltinSimulators(SimulatorRegistry& registry);

/// Registers the service modules with settings of their own: router, scheduler,
/// delivery, reports (each checks its config section against its own schema).
void registerBuiltinModules(services::ModuleRegistry& registry);

/// The service's components in start order: ops, connectors (made by `connectorTypes`,
/// which must outlive the service: a restarted connector is made anew), then router,
/// scheduler, delivery and reports, made by `modules` from their settings.
/// Errors: the factories throw ConfigError (modules) or ConnectorConfigError.
[[nodiscard]] std::vector<services::ComponentFactory> builtinComponents(
    const ConnectorRegistry& connectorTypes, const services::ModuleRegistry& modules);

/// The configuration in `text` with every module's section checked too (its schema,
/// then its parse: sectors, files, RRULEs), and each connector's and simulator's
/// settings against its type's schema: what serve, check-config and rules check read
/// before anything starts. `origin` names the source in errors.
/// Errors: throws services::ConfigError naming the key, e.g. "config f.json:
/// /scheduler/recurring/0/rrule: ...".
[[nodiscard]] services::ServiceConfig parseCheckedConfig(std::string_view text,
                                                         const std::string& origin);

/// The --config file (or the embedded default when none) with every module's section
/// checked, as parseCheckedConfig().
/// Errors: throws services::ConfigError.
[[nodiscard]] services::ServiceConfig loadCheckedConfig(
    const std::optional<std::filesystem::path>& file);

}  // namespace wayhome::connectors
