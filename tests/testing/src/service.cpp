#include <wayhome/testing/service.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

services::ServiceConfig serviceConfig(const std::filesystem::path& dataDir, int partitions) {
  auto c = services::defaultConfig();
  c.dataDir = dataDir;
  c.statePath = c.dataDir / "state.db";
  c.http.port = 0;
  c.bus.defaultPartitions = partitions;
  c.bus.topicPrefix = uniquePrefix();
  return c;
}

std::unique_ptr<bus::Producer> producerOn(const services::Service& service) {
  return std::make_unique<bus::Producer>(
      bus::ClientProperties{{"bootstrap.servers", service.bootstrapServers()}});
}

}  // namespace wayhome::testing
