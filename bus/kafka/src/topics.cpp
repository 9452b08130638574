#include <algorithm>

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
std::string Topics::reports() const {
  return prefix_ + "reports";
}
std::string Topics::deadLetters(std::string_view service) const {
  return prefix_ + "dlq." + std::string(service);
}

const std::vector<Sector>& defaultSectors() {
  static const std::vector<Sector> kSectors{
      {"housing", "Team bolig: housing contacts and the housing office", "housing_contact", {}},
      {"finance", "financial advice and start-up loans", "financial_adviser", {}},
      {"health_care", "health and care services", "care_coordinator", {}},
      {"nav", "NAV, the labour and welfare office", "nav_adviser", {}},
      {"property", "the municipal housing stock's property management", "property_manager", {}}};
  return kSectors;
}

const std::vector<std::string>& defaultSectorNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    for (const auto& s : defaultSectors())
      out.push_back(s.name);
    return out;
  }();
  return kNames;
}

bool isSectorName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name.front() < 'a' || name.front() > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Topics::Topics(std::string prefix, std::vector<Sector> sectors) : prefix_(std::move(prefix)) {
  auto names = std::make_shared<std::vector<std::string>>();
  for (const auto& s : sectors)
    names->push_back(s.name);
  sectors_ = std::make_shared<const std::vector<Sector>>(std::move(sectors));
  names_ = std::move(names);
}

bool Topics::hasSector(std::string_view name) const {
  return std::find(names_->begin(), names_->end(), name) != names_->end();
}

std::string listSectorNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string Topics::sectorList() const {
  return listSectorNames(*names_);
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
  using std::chrono::hours;
  const auto days = [](int n) { return std::chrono::milliseconds(hours(24 * n)); };
  // Case data stays on the bus only as long as a consumer may be down (a week, two
  // for what sector systems read, whose outages are out of our hands); the state
  // store, not the bus, keeps what must last. The audit trail is kept a year for the
  // security norm's log review; dead letters two weeks for an operator to act.
  std::vector<TopicSpec> out;
  for (const auto& s : sources())
    out.push_back({cases(s), partitions, days(7), "delete", {}, "canonical case events from " + s});
  out.push_back(
      {consentEvents(), partitions, days(7), "delete", {}, "consents granted and withdrawn"});
  for (const auto& s : sectors())
    out.push_back({referrals(s.name), s.topics.partitions.value_or(partitions),
                   days(s.topics.retentionDays), "delete", s.name, "referrals for " + s.name});
  out.push_back({noticeRequests(),
                 partitions,
                 days(7),
                 "delete",
                 {},
                 "notice requests from the router to the scheduler"});
  out.push_back({meetingNotices(),
                 partitions,
                 days(14),
                 "delete",
                 {},
                 "meeting notices with their iCalendar"});
  for (const auto& s : sectors())
    out.push_back({sectorNotices(s.name), s.topics.partitions.value_or(partitions),
                   days(s.topics.retentionDays), "delete", s.name,
                   "meeting notices " + s.name + " takes part in"});
  out.push_back({auditDecisions(),
                 partitions,
                 days(365),
                 "delete",
                 {},
                 "audit trail of routing and operator decisions"});
  // Reports hold aggregates only (docs/REPORTS.md); a year, like the Council's cycle.
  out.push_back({reports(), 1, days(365), "delete", {}, "monthly and tertial reports published"});
  for (const auto& s : services())
    out.push_back({deadLetters(s), 1, days(14), "delete", {}, "dead letters of " + s});
  return out;
}

}  // namespace wayhome::bus
