#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/core/clock.hpp>

namespace wayhome::bus {
class Topics;
}  // namespace wayhome::bus

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

/// The one way a service gives up on a record: `original` as it came (key, value,
/// headers), on `dlq.<service>` of `topics`, with the dead-letter headers. `reason` is
/// redacted of identity numbers, cut to one screen and logged. The id is stable for
/// (`scope`, topic, partition, offset), so a redelivered record makes the same dead
/// letter (the outbox drops the duplicate); `scope` tells apart dead letters one
/// service makes of one record for several reasons (a webhook subscription).
[[nodiscard]] OutboxRecord make(const KafkaRecord& original, std::string_view service,
                                std::string_view reason, const Topics& topics, Clock::TimePoint now,
                                std::string_view scope = {});

/// `headers` without the dead-letter ones: what a replay sends.
[[nodiscard]] std::vector<Header> originalHeaders(const std::vector<Header>& headers);

}  // namespace wayhome::bus::dead_letter
