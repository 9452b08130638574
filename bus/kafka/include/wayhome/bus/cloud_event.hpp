#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <wayhome/core/result.hpp>

namespace wayhome::bus {

/// A Kafka header (the value may hold any bytes).
struct Header {
  std::string name;
  std::string value;
};

/// A record as it sits on a topic.
struct KafkaRecord {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestampMs = -1;
  std::string key;
  std::string value;
  std::vector<Header> headers;

  /// The first header called `name`, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view name) const;
};

/// A CloudEvents 1.0 event whose data is JSON.
struct CloudEvent {
  std::string id;
  std::string source;
  std::string type;
  std::string specversion = "1.0";
  std::string time;     ///< RFC 3339
  std::string subject;  ///< case or person reference; also the Kafka key
  std::string dataContentType = "application/json";
  std::string data;  ///< JSON text
  /// Extension attributes: lower-case name (without the `ce_` prefix) and value.
  std::vector<std::pair<std::string, std::string>> extensions;

  /// The value of extension `name`, or nullptr.
  [[nodiscard]] const std::string* extension(std::string_view name) const;
};

/// Kafka binary-mode binding (CloudEvents Kafka protocol binding 1.0): attributes as
/// `ce_` headers, `content-type` header, data as the value, subject as the key.
namespace binding {

/// The headers for `event`.
[[nodiscard]] std::vector<Header> toHeaders(const CloudEvent& event);

/// Checks that `event` can be sent: required attributes present, spec version 1.0,
/// extension names lower-case alphanumeric (≤ 20 characters).
/// Errors: a permanent Error naming the attribute.
[[nodiscard]] Result<void> check(const CloudEvent& event);

/// Reads an event from a record.
/// Errors: a permanent Error naming the missing or bad attribute (`ce_id`, ...).
[[nodiscard]] Result<CloudEvent> fromRecord(const KafkaRecord& record);

}  // namespace binding
}  // namespace wayhome::bus
