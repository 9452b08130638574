#include <wayhome/app/builtin.hpp>

#include <wayhome/loan/connector.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/plania/connector.hpp>
#include <wayhome/simulators/plania_simulator.hpp>
#include <wayhome/simulators/simulators.hpp>

namespace wayhome::connectors {

// Each connector folder adds its factory here, one line each.
void registerBuiltinConnectors(ConnectorRegistry& registry) {
  registry.add(std::make_unique<gerica::GericaConnectorFactory>());
  registry.add(std::make_unique<loan::LoanConnectorFactory>());
  registry.add(std::make_unique<plania::PlaniaConnectorFactory>());
}

void registerBuiltinSimulators(SimulatorRegistry& registry) {
  registry.add(std::make_unique<gerica::GericaSimulatorFactory>());
  registry.add(std::make_unique<loan::LoanSimulatorFactory>());
  registry.add(std::make_unique<plania::PlaniaSimulatorFactory>());
}

}  // namespace wayhome::connectors
