#pragma once

#include <chrono>
#include <vector>

#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>

namespace wayhome::bus {

/// Creates the topics that do not exist yet on an external cluster (replication
/// factor: the broker default).
/// Errors: throws BusError naming the topic that could not be created.
void createTopics(const ClientProperties& props, const std::vector<TopicSpec>& topics,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));

}  // namespace wayhome::bus
