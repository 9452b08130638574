#pragma once

#include <memory>
#include <string>

namespace wayhome::bus {

/// librdkafka's mock cluster, started in-process: real Kafka protocol on loopback TCP,
/// so any Kafka client (kcat included) can connect to bootstrapServers().
///
/// Memory only: each partition keeps roughly the last 5 MB; durability comes from the
/// state store, never from here.
class EmbeddedCluster {
 public:
  /// Starts `brokers` brokers on 127.0.0.1 (ports chosen by the OS).
  /// Errors: throws BusError when the cluster cannot be created.
  explicit EmbeddedCluster(int brokers = 3);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  /// "127.0.0.1:port,..." for bootstrap.servers.
  [[nodiscard]] const std::string& bootstrapServers() const;
  [[nodiscard]] int brokerCount() const;

  /// Creates a topic (replicated on up to three brokers). Creating one that exists
  /// is not an error.
  /// Errors: throws BusError with the reason.
  void createTopic(const std::string& name, int partitions);

  /// Fault injection for tests: take broker `id` (1-based) down or bring it back.
  void setBrokerDown(int id);
  void setBrokerUp(int id);
  /// Takes every broker down / up.
  void setAllBrokersDown();
  void setAllBrokersUp();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::bus
