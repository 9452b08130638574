#include <algorithm>

#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>

namespace wayhome::bus::dead_letter {
namespace {

bool isDeadLetterHeader(std::string_view name) {
  return name == kReason || name == kService || name == kTopic || name == kPartition ||
         name == kOffset || name == kTime;
}

}  // namespace

std::vector<Header> headersFor(const KafkaRecord& original, std::string_view service,
                               std::string_view reason, std::string_view time) {
  // A record that failed twice keeps only the newest reason.
  std::vector<Header> out = originalHeaders(original.headers);
  // Reasons are for people; keep them to one screen.
  constexpr std::size_t kMaxReason = 1000;
  // Redacted whole before it is cut, so that a cut cannot split a number out of sight.
  out.push_back({std::string(kReason), redact::identityNumbers(reason).substr(0, kMaxReason)});
  out.push_back({std::string(kService), std::string(service)});
  out.push_back({std::string(kTopic), original.topic});
  out.push_back({std::string(kPartition), std::to_string(original.partition)});
  out.push_back({std::string(kOffset), std::to_string(original.offset)});
  out.push_back({std::string(kTime), std::string(time)});
  return out;
}

OutboxRecord make(const KafkaRecord& original, std::string_view service, std::string_view reason,
                  const Topics& topics, Clock::TimePoint now, std::string_view scope) {
  constexpr std::size_t kMaxReason = 500;
  const std::string safe = log::redact(reason).substr(0, kMaxReason);
  std::string material;
  if (!scope.empty()) material.append(scope).append("|");
  material += original.topic + "|" + std::to_string(original.partition) + "|" +
              std::to_string(original.offset);
  OutboxRecord r;
  r.id = "dlq-" + std::string(service) + "-" + stableHexId(material);
  r.topic = topics.deadLetters(service);
  r.key = original.key;
  r.value = original.value;
  r.headers = headersFor(original, service, safe, formatRfc3339(now));
  log::warn(service, "record dead-lettered",
            {{"topic", original.topic},
             {"partition", std::to_string(original.partition)},
             {"offset", std::to_string(original.offset)},
             {"scope", std::string(scope)},
             {"reason", safe}});
  return r;
}

std::vector<Header> originalHeaders(const std::vector<Header>& headers) {
  std::vector<Header> out;
  std::copy_if(headers.begin(), headers.end(), std::back_inserter(out),
               [](const Header& h) { return !isDeadLetterHeader(h.name); });
  return out;
}

}  // namespace wayhome::bus::dead_letter
