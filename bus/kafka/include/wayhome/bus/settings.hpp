#pragma once

#include <map>
#include <stdexcept>
#include <string>

namespace wayhome::bus {

/// A start-up error of the bus: bad client properties, a cluster that cannot be
/// created, a topic that cannot be made.
class BusError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// librdkafka configuration properties ("bootstrap.servers", "security.protocol", ...).
using ClientProperties = std::map<std::string, std::string>;

/// Where the bus is and how to talk to it.
struct BusSettings {
  /// Start librdkafka's mock cluster in-process (the zero-set-up default).
  bool embedded = true;
  /// Brokers of the embedded cluster.
  int embeddedBrokers = 3;
  /// The external cluster, when not embedded.
  std::string bootstrapServers;
  /// Passed through to every librdkafka client (TLS/SASL settings and tuning).
  ClientProperties client;
  /// Prefix of every topic name, e.g. "wayhome." or "test-42.".
  std::string topicPrefix;
  /// Partitions of topics the service creates, unless a topic says otherwise.
  int defaultPartitions = 6;
};

/// The client properties for a cluster at `bootstrap`: `client` plus
/// `bootstrap.servers`.
[[nodiscard]] ClientProperties clientProperties(const BusSettings& settings,
                                                const std::string& bootstrap);

}  // namespace wayhome::bus
