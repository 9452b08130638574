#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors {

std::vector<std::unique_ptr<Simulator>> makeSimulators(const SimulatorRegistry& registry,
                                                       const services::ServiceConfig& config) {
  std::vector<std::unique_ptr<Simulator>> out;
  for (const auto& s : config.simulators) {
    if (!s.enabled) continue;
    out.push_back(
        registry.checked(s.type, "simulator " + s.type, s.settingsJson).create(s.settingsJson));
  }
  return out;
}

}  // namespace wayhome::connectors
