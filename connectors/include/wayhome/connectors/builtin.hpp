#pragma once

#include <memory>
#include <vector>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/simulator.hpp>
#include <wayhome/services/component.hpp>
#include <wayhome/services/config.hpp>

namespace wayhome::connectors {

/// Registers gerica, plania and loan.
void registerBuiltinConnectors(ConnectorRegistry& registry);
/// Registers the simulators of gerica, plania and loan.
void registerBuiltinSimulators(SimulatorRegistry& registry);

/// The component that runs the configured connector instances. Creates (and so
/// checks) every instance now; `registry` must outlive it (a restart through the ops
/// API makes the instance anew from its config).
/// Errors: throws ConnectorConfigError naming the instance and the key.
std::unique_ptr<services::Component> makeConnectorsComponent(const ConnectorRegistry& registry,
                                                             const services::ServiceConfig& config);

/// The configured simulators, created (and checked) now.
/// Errors: throws ConnectorConfigError naming the simulator and the key.
std::vector<std::unique_ptr<Simulator>> makeSimulators(const SimulatorRegistry& registry,
                                                       const services::ServiceConfig& config);

}  // namespace wayhome::connectors
