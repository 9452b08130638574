#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>

namespace wayhome::bus::dead_letter {

/// Headers a dead letter carries beside the original record's own headers, so that an
/// operator sees why it failed and a replay knows where it came from.
inline constexpr std::string_view kReason = "dlq_reason";
inline constexpr std::string_view kService = "dlq_service";
inline constexpr std::string_view kTopic = "dlq_original_topic";
inline constexpr std::string_view kPartition = "dlq_original_partition";
inline constexpr std::string_view kOffset = "dlq_original_offset";
inline constexpr std::string_view kTime = "dlq_time";

/// The headers of the dead letter of `original`: its own headers first, then why
/// (`reason`), who gave up (`service`), when (`time`, RFC 3339) and where it came from.
[[nodiscard]] std::vector<Header> headersFor(const KafkaRecord& original, std::string_view service,
                                             std::string_view reason, std::string_view time);

/// `headers` without the dead-letter ones: what a replay sends.
[[nodiscard]] std::vector<Header> originalHeaders(const std::vector<Header>& headers);

}  // namespace wayhome::bus::dead_letter
