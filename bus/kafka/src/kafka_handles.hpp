#pragma once

// Every librdkafka handle the bus owns, each in a unique_ptr with its destroy
// function. Release into librdkafka only after the call that takes ownership succeeded.

#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <wayhome/bus/settings.hpp>

namespace wayhome::bus::detail {

struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
  void operator()(rd_kafka_mock_cluster_t* p) const { rd_kafka_mock_cluster_destroy(p); }
};

using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;
using MockClusterPtr = std::unique_ptr<rd_kafka_mock_cluster_t, KafkaDeleter>;

/// A configuration with `props` set and librdkafka's logs routed to ours.
/// Errors: throws BusError naming the property librdkafka refused.
ConfPtr makeConf(const ClientProperties& props, const std::string& component);

/// Creates a client of `type`, taking ownership of `conf` only on success.
/// Errors: throws BusError with librdkafka's reason.
KafkaPtr makeClient(rd_kafka_type_t type, ConfPtr conf);

}  // namespace wayhome::bus::detail
