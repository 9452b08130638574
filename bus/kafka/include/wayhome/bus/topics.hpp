#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace wayhome::bus {

/// A topic of the catalogue: its name (with the prefix), how many partitions it gets,
/// how long the broker keeps its messages, and who may read it. This is the one
/// source of the topic set: the service creates topics from it, `wayhome topics
/// list` prints it (JSON, Strimzi KafkaTopic and KafkaUser manifests), `wayhome
/// topics apply` checks a cluster against it.
struct TopicSpec {
  std::string name;
  int partitions = 1;
  /// retention.ms; short for case data (docs/domain/NOTES.md: short retention).
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  /// cleanup.policy.
  std::string cleanupPolicy = "delete";
  /// The sector whose own user may read it besides wayhome; empty: wayhome only.
  std::string sector;
  /// One line on what flows there.
  std::string description;
};

/// Every topic name in one place, all under one configurable prefix.
class Topics {
 public:
  explicit Topics(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  /// Canonical case events from one source system: `cases.<source>`.
  [[nodiscard]] std::string cases(std::string_view source) const;
  /// Consents granted and withdrawn: `consent.events`.
  [[nodiscard]] std::string consentEvents() const;
  /// Referrals for one sector: `referrals.<sector>`.
  [[nodiscard]] std::string referrals(std::string_view sector) const;
  /// Notice requests from the router to the scheduler: `notices.requests`.
  [[nodiscard]] std::string noticeRequests() const;
  /// Meeting notices: `notices.meetings`.
  [[nodiscard]] std::string meetingNotices() const;
  /// Meeting notices for the sector roles of one sector: `notices.<sector>`.
  [[nodiscard]] std::string sectorNotices(std::string_view sector) const;
  /// Audit trail of decisions: `audit.decisions`.
  [[nodiscard]] std::string auditDecisions() const;
  /// Published reports (aggregates only): `reports`.
  [[nodiscard]] std::string reports() const;
  /// Dead letters of one service: `dlq.<service>`.
  [[nodiscard]] std::string deadLetters(std::string_view service) const;

  [[nodiscard]] const std::string& prefix() const { return prefix_; }

  /// The sectors that get a referral topic and a notice topic.
  static const std::vector<std::string>& sectors();
  /// The source systems that get a cases topic.
  static const std::vector<std::string>& sources();
  /// The services that get a dead-letter topic.
  static const std::vector<std::string>& services();

  /// Every topic the service uses, each with `partitions` partitions (dead-letter
  /// topics one: their order is the order of failure), retention and readers.
  [[nodiscard]] std::vector<TopicSpec> all(int partitions) const;

 private:
  std::string prefix_;
};

}  // namespace wayhome::bus
