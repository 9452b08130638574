#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>

namespace wayhome::bus {

ClientProperties clientProperties(const BusSettings& settings, const std::string& bootstrap) {
  ClientProperties props = settings.client;
  props["bootstrap.servers"] = bootstrap;
  return props;
}

std::string Topics::cases(std::string_view source) const {
  return prefix_ + "cases." + std::string(source);
}
std::string Topics::consentEvents() const {
  return prefix_ + "consent.events";
}
std::string Topics::referrals(std::string_view sector) const {
  return prefix_ + "referrals." + std::string(sector);
}
std::string Topics::noticeRequests() const {
  return prefix_ + "notices.requests";
}
std::string Topics::meetingNotices() const {
  return prefix_ + "notices.meetings";
}
std::string Topics::sectorNotices(std::string_view sector) const {
  return prefix_ + "notices." + std::string(sector);
}
std::string Topics::auditDecisions() const {
  return prefix_ + "audit.decisions";
}
std::string Topics::deadLetters(std::string_view service) const {
  return prefix_ + "dlq." + std::string(service);
}

const std::vector<std::string>& Topics::sectors() {
  static const std::vector<std::string> kSectors{"housing", "finance", "health_care", "nav",
                                                 "property"};
  return kSectors;
}
const std::vector<std::string>& Topics::sources() {
  static const std::vector<std::string> kSources{"gerica", "plania", "loan"};
  return kSources;
}
const std::vector<std::string>& Topics::services() {
  static const std::vector<std::string> kServices{"connectors", "router", "scheduler", "delivery"};
  return kServices;
}

std::vector<TopicSpec> Topics::all(int partitions) const {
  std::vector<TopicSpec> out;
  for (const auto& s : sources())
    out.push_back({cases(s), partitions});
  out.push_back({consentEvents(), partitions});
  for (const auto& s : sectors())
    out.push_back({referrals(s), partitions});
  out.push_back({noticeRequests(), partitions});
  out.push_back({meetingNotices(), partitions});
  for (const auto& s : sectors())
    out.push_back({sectorNotices(s), partitions});
  out.push_back({auditDecisions(), partitions});
  for (const auto& s : services())
    out.push_back({deadLetters(s), 1});
  return out;
}

}  // namespace wayhome::bus
