#include <algorithm>

#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/core/log.hpp>

#include "kafka_handles.hpp"

namespace wayhome::bus {

struct EmbeddedCluster::Impl {
  // Destroy the cluster before the client handle that hosts it.
  detail::KafkaPtr host;
  detail::MockClusterPtr cluster;
  std::string bootstrap;
  int brokers = 0;

  ~Impl() {
    cluster.reset();
    host.reset();
  }
};

EmbeddedCluster::EmbeddedCluster(int brokers) : impl_(std::make_unique<Impl>()) {
  if (brokers < 1) throw BusError("embedded cluster needs at least one broker");
  impl_->host = detail::makeClient(
      RD_KAFKA_PRODUCER,
      detail::makeConf({{"client.id", "wayhome-embedded"}, {"log_level", "4"}}, "bus"));
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(impl_->host.get(), brokers);
  if (mc == nullptr) throw BusError("cannot start the embedded Kafka cluster");
  impl_->cluster.reset(mc);
  impl_->bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
  impl_->brokers = brokers;
}

EmbeddedCluster::~EmbeddedCluster() = default;

const std::string& EmbeddedCluster::bootstrapServers() const {
  return impl_->bootstrap;
}
int EmbeddedCluster::brokerCount() const {
  return impl_->brokers;
}

void EmbeddedCluster::createTopic(const std::string& name, int partitions) {
  const int replication = std::min(impl_->brokers, 3);
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(impl_->cluster.get(), name.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    throw BusError("cannot create topic '" + name + "': " + rd_kafka_err2str(err));
  }
}

void EmbeddedCluster::setBrokerDown(int id) {
  rd_kafka_mock_broker_set_down(impl_->cluster.get(), id);
}
void EmbeddedCluster::setBrokerUp(int id) {
  rd_kafka_mock_broker_set_up(impl_->cluster.get(), id);
}
void EmbeddedCluster::setAllBrokersDown() {
  for (int id = 1; id <= impl_->brokers; ++id)
    setBrokerDown(id);
}
void EmbeddedCluster::setAllBrokersUp() {
  for (int id = 1; id <= impl_->brokers; ++id)
    setBrokerUp(id);
}

}  // namespace wayhome::bus
