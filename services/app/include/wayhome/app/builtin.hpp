#pragma once

// The connector and simulator types this binary knows: the one place that names them.

#include <wayhome/connectors/component.hpp>
#include <wayhome/connectors/connector.hpp>
#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors {

/// Registers gerica, plania and loan.
void registerBuiltinConnectors(ConnectorRegistry& registry);
/// Registers the simulators of gerica, plania and loan.
void registerBuiltinSimulators(SimulatorRegistry& registry);

}  // namespace wayhome::connectors
