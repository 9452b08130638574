#include <wayhome/connectors/builtin.hpp>

#include "../loan/loan_connector.hpp"

namespace wayhome::connectors {

// Each connector folder adds its factory here, one line each.
void registerBuiltinConnectors(ConnectorRegistry& registry) {
  registry.add(std::make_unique<loan::LoanConnectorFactory>());
}

void registerBuiltinSimulators(SimulatorRegistry& registry) {
  registry.add(std::make_unique<loan::LoanSimulatorFactory>());
}

}  // namespace wayhome::connectors
