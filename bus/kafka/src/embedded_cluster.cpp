#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <future>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

namespace {

// Opens and closes a TCP connection to the first mock broker: its I/O thread wakes up.
void pokeBroker(const std::string& bootstrap) {
  const auto colon = bootstrap.find(':');
  if (colon == std::string::npos) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(bootstrap.substr(colon + 1))));
  if (inet_pton(AF_INET, bootstrap.substr(0, colon).c_str(), &addr.sin_addr) != 1) return;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return;
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
}

}  // namespace

void EmbeddedCluster::createTopic(const std::string& name, int partitions) {
  const int replication = std::min(impl_->brokers, 3);
  // librdkafka 2.0.2's mock cluster sometimes misses the wake-up for an operation and
  // serves it only when its I/O poll times out, a second later: start-up took 1-6 s in
  // whole seconds. Traffic on a broker's socket wakes it, so poke until it answers.
  auto created = std::async(std::launch::async, [&] {
    return rd_kafka_mock_topic_create(impl_->cluster.get(), name.c_str(), partitions, replication);
  });
  while (created.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready)
    pokeBroker(impl_->bootstrap);
  const rd_kafka_resp_err_t err = created.get();
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
