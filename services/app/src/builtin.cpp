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

namespace {

// Each connector's and simulator's settings against its type's schema, named by their
// place in the file ("/connectors/0/settings/base_url: ..."); what a factory checks
// beyond its schema (files, URLs) it checks when serve makes the instance.
template <class Registry>
void checkInstances(const Registry& types, const char* key,
                    const std::vector<services::ServiceConfig::Instance>& instances,
                    const std::string& origin) {
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const std::string at = "config " + origin + ": /" + key + "/" + std::to_string(i);
    if (types.find(instances[i].type) == nullptr) {
      throw services::ConfigError(at + "/type: unknown type '" + instances[i].type +
                                  "' (known: " + types.typeList() + ")");
    }
    if (auto invalid = types.validate(instances[i].type, instances[i].settingsJson)) {
      throw services::ConfigError(services::errorInFile(*invalid, at + "/settings"));
    }
  }
}

// The host's keys were checked by the host; here every module's section and every
// connector's and simulator's settings.
services::ServiceConfig checkModules(services::ServiceConfig config) {
  services::ModuleRegistry modules;
  registerBuiltinModules(modules);
  modules.check(config);
  ConnectorRegistry connectorTypes;
  registerBuiltinConnectors(connectorTypes);
  checkInstances(connectorTypes, "connectors", config.connectors, config.origin);
  SimulatorRegistry simulatorTypes;
  registerBuiltinSimulators(simulatorTypes);
  checkInstances(simulatorTypes, "simulators", config.simulators, config.origin);
  return config;
}

}  // namespace

services::ServiceConfig parseCheckedConfig(std::string_view text, const std::string& origin) {
  return checkModules(services::parseConfig(text, origin));
}

services::ServiceConfig loadCheckedConfig(const std::optional<std::filesystem::path>& file) {
  return checkModules(file ? services::loadConfigFile(*file) : services::defaultConfig());
}

}  // namespace wayhome::connectors
