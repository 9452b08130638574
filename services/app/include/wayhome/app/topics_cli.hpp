#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <wayhome/app/cli.hpp>
#include <wayhome/bus/topics.hpp>

namespace wayhome::services {

/// The catalogue as JSON: {"prefix", "topics": [{"name", "partitions",
/// "retention_ms", "cleanup_policy", "readers", "description"}]}, readers being
/// "wayhome" and, for a sector's topics, that sector.
[[nodiscard]] std::string topicsJson(const std::string& prefix,
                                     const std::vector<bus::TopicSpec>& topics);

/// The catalogue as Strimzi manifests (kafka.strimzi.io/v1beta2, one YAML stream):
/// a KafkaTopic per topic, wayhome's own KafkaUser (every topic of the prefix), and
/// one KafkaUser per sector that may read only that sector's topics. `cluster` is
/// the Kafka resource they belong to (label strimzi.io/cluster).
[[nodiscard]] std::string topicsStrimzi(const std::string& prefix,
                                        const std::vector<bus::TopicSpec>& topics,
                                        const std::string& cluster);

/// `wayhome topics list`: prints the catalogue; exit code as ExitCode.
int topicsListCommand(const CommandLine& cmd, std::ostream& out, std::ostream& err);

/// `wayhome topics apply --config FILE`: creates what is missing, checks the rest,
/// prints one line per topic; 0 when every topic is ok or created, 1 otherwise, 2 for
/// an unusable config.
int topicsApplyCommand(const CommandLine& cmd, std::ostream& out, std::ostream& err);

}  // namespace wayhome::services
