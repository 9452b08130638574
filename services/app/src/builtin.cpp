#include <wayhome/app/builtin.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/plania/connector.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/scheduler/scheduler.hpp>
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

// Each component adds its factory here, one line each; a factory returns nothing when
// the configuration turns its component off.
std::vector<services::ComponentFactory> builtinComponents(const ConnectorRegistry& connectorTypes) {
  using services::ServiceConfig;
  return {
      [](const ServiceConfig&) { return ops::makeOpsComponent(); },
      [&connectorTypes](const ServiceConfig& c) {
        return makeConnectorsComponent(connectorTypes, c);
      },
      [](const ServiceConfig& c) -> std::unique_ptr<services::Component> {
        if (!c.router.enabled) return nullptr;
        return std::make_unique<services::Router>(
            services::RouterOptions{.rulesFile = c.router.rulesFile});
      },
      [](const ServiceConfig&) { return scheduler::makeSchedulerComponent(); },
      [](const ServiceConfig& c) -> std::unique_ptr<services::Component> {
        if (c.delivery.webhooks.empty()) return nullptr;
        return std::make_unique<services::Delivery>(
            services::DeliveryOptions{.webhooks = c.delivery.webhooks});
      },
      [](const ServiceConfig&) { return reports::makeReportsComponent(); },
  };
}

}  // namespace wayhome::connectors
