#pragma once

// In-process services for integration tests (a real Service on the embedded bus).

#include <filesystem>
#include <memory>
#include <utility>

#include <wayhome/bus/producer.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/service.hpp>

namespace wayhome::testing {

/// A service's configuration for a test: defaults, but data and the SQLite state under
/// `dataDir`, the HTTP listener on any free port, and the embedded bus with `partitions`
/// per topic under a topic prefix no other test uses.
[[nodiscard]] services::ServiceConfig serviceConfig(const std::filesystem::path& dataDir,
                                                    int partitions);

/// A Service on `config` with the ops API and then `components`, started.
template <typename... Components>
[[nodiscard]] std::unique_ptr<services::Service> startService(
    const services::ServiceConfig& config, std::unique_ptr<Components>... components) {
  auto service = std::make_unique<services::Service>(config);
  service->add(ops::makeOpsComponent());
  (service->add(std::move(components)), ...);
  service->start();
  return service;
}

/// A producer on `service`'s bus.
[[nodiscard]] std::unique_ptr<bus::Producer> producerOn(const services::Service& service);

}  // namespace wayhome::testing
