#include <wayhome/app/builtin.hpp>
#include <wayhome/delivery/settings.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/plania/connector.hpp>
#include <wayhome/reports/settings.hpp>
#include <wayhome/router/settings.hpp>
#include <wayhome/scheduler/settings.hpp>
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

// Each module with settings of its own adds its factory here, one line each.
void registerBuiltinModules(services::ModuleRegistry& registry) {
  registry.add(services::makeRouterModule());
  registry.add(scheduler::makeSchedulerModule());
  registry.add(services::makeDeliveryModule());
  registry.add(reports::makeReportsModule());
}

// Each component adds its factory here, one line each; a factory returns nothing when
// the configuration turns its component off.
std::vector<services::ComponentFactory> builtinComponents(const ConnectorRegistry& connectorTypes,
                                                          const services::ModuleRegistry& modules) {
  using services::ServiceConfig;
  auto module = [&modules](const char* name) -> services::ComponentFactory {
    return [&modules, name](const ServiceConfig& c) { return modules.create(name, c); };
  };
  return {
      [](const ServiceConfig&) { return ops::makeOpsComponent(); },
      [&connectorTypes](const ServiceConfig& c) {
        return makeConnectorsComponent(connectorTypes, c);
      },
      module("router"),
      module("scheduler"),
      module("delivery"),
      module("reports"),
  };
}

services::ServiceConfig parseCheckedConfig(std::string_view text, const std::string& origin) {
  auto config = services::parseConfig(text, origin);
  services::ModuleRegistry modules;
  registerBuiltinModules(modules);
  modules.check(config);
  return config;
}

services::ServiceConfig loadCheckedConfig(const std::optional<std::filesystem::path>& file) {
  auto config = file ? services::loadConfigFile(*file) : services::defaultConfig();
  services::ModuleRegistry modules;
  registerBuiltinModules(modules);
  modules.check(config);
  return config;
}

}  // namespace wayhome::connectors
