#include <wayhome/connectors/builtin.hpp>

namespace wayhome::connectors {

// Each connector folder adds its factory here, one line each.
void registerBuiltinConnectors(ConnectorRegistry& registry) { (void)registry; }

void registerBuiltinSimulators(SimulatorRegistry& registry) { (void)registry; }

}  // namespace wayhome::connectors
