#pragma once

// The components, connector and simulator types this binary knows: the one place
// that names them.

#include <vector>

#include <wayhome/connectors/component.hpp>
#include <wayhome/connectors/connector.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors {

/// Registers gerica, plania and loan.
void registerBuiltinConnectors(ConnectorRegistry& registry);
/// Registers the simulators of gerica, plania and loan.
void registerBuiltinSimulators(SimulatorRegistry& registry);

/// The service's components in start order: ops, connectors (made by `connectorTypes`,
/// which must outlive the service: a restarted connector is made anew), router,
/// scheduler, delivery.
[[nodiscard]] std::vector<services::ComponentFactory> builtinComponents(
    const ConnectorRegistry& connectorTypes);

}  // namespace wayhome::connectors
