#pragma once

// Every librdkafka handle the bus owns, each in a unique_ptr with its destroy
// function. Release into librdkafka only after the call that takes ownership succeeded.

#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <wayhome/bus/settings.hpp>

namespace wayhome::bus::detail {

/// The one deleter: a handle's own destroy function.
template <auto Destroy>
struct Destroyer {
  template <typename T>
  void operator()(T* p) const {
    Destroy(p);
  }
};

/// A librdkafka handle of type T, destroyed with `Destroy`.
template <typename T, auto Destroy>
using Handle = std::unique_ptr<T, Destroyer<Destroy>>;

using KafkaPtr = Handle<rd_kafka_t, rd_kafka_destroy>;
using ConfPtr = Handle<rd_kafka_conf_t, rd_kafka_conf_destroy>;
using PartitionListPtr =
    Handle<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy>;
using HeadersPtr = Handle<rd_kafka_headers_t, rd_kafka_headers_destroy>;
using MessagePtr = Handle<rd_kafka_message_t, rd_kafka_message_destroy>;
using ErrorPtr = Handle<rd_kafka_error_t, rd_kafka_error_destroy>;
using MetadataPtr = Handle<const rd_kafka_metadata_t, rd_kafka_metadata_destroy>;
using MockClusterPtr = Handle<rd_kafka_mock_cluster_t, rd_kafka_mock_cluster_destroy>;

/// A configuration with `props` set and librdkafka's logs routed to ours.
/// Errors: throws BusError naming the property librdkafka refused.
ConfPtr makeConf(const ClientProperties& props, const std::string& component);

/// Creates a client of `type`, taking ownership of `conf` only on success.
/// Errors: throws BusError with librdkafka's reason.
KafkaPtr makeClient(rd_kafka_type_t type, ConfPtr conf);

}  // namespace wayhome::bus::detail
