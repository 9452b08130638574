#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>

namespace wayhome::bus {

/// Creates the topics that do not exist yet on an external cluster (replication
/// factor: the broker default), each with its retention.ms and cleanup.policy.
/// Errors: throws BusError naming the topic that could not be created.
void createTopics(const ClientProperties& props, const std::vector<TopicSpec>& topics,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));

/// What `applyTopics` found or did for one topic of the catalogue.
struct TopicCheck {
  enum class State {
    kOk,         ///< exists as the catalogue says
    kCreated,    ///< was missing and is created now
    kDiffers,    ///< exists, but partitions or configs differ (left as they are)
    kUnchecked,  ///< exists, its configs could not be read (the reason in detail)
    kFailed,     ///< missing and could not be created
  };
  std::string topic;
  State state = State::kOk;
  /// What differs ("partitions: cluster 3, catalogue 12; retention.ms: ..."), or why
  /// it could not be checked or created; empty when ok.
  std::string detail;
};

/// "ok", "created", "differs", "unchecked", "failed".
[[nodiscard]] const char* toString(TopicCheck::State state);

/// Brings a cluster to the catalogue where that is safe, and reports the rest: reads
/// the cluster's metadata, creates the missing topics (CreateTopics, with their
/// configs), and checks existing ones against the catalogue: partition count from the
/// metadata, retention.ms and cleanup.policy by DescribeConfigs. Existing topics are
/// never changed: more partitions would move keys (and so one case's order), less
/// retention would delete data; an operator decides (docs/OPERATIONS.md).
/// Errors: throws BusError when the cluster cannot be reached at all.
[[nodiscard]] std::vector<TopicCheck> applyTopics(
    const ClientProperties& props, const std::vector<TopicSpec>& topics,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));

}  // namespace wayhome::bus
