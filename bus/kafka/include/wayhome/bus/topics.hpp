#pragma once

#include <chrono>
#include <memory>
#include <optional>
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

/// A sector of the method: a service of the municipality that gets referrals
/// (`referrals.<name>`) and meeting notices (`notices.<name>`), read by wayhome and by
/// the sector's own user. The set comes from the host config ("sectors"); adding one
/// needs no rebuild.
struct Sector {
  /// `^[a-z][a-z0-9_]{0,31}$` (isSectorName()); unique.
  std::string name;
  /// One line for people (the topic catalogue, AsyncAPI).
  std::string description;
  /// The role that represents the sector at the default coordination meeting (route
  /// R13), such as "housing_contact"; empty: the sector is not invited to it.
  std::string role;
  /// Its two topics.
  struct TopicSettings {
    /// Partitions; unset: the bus default (bus.default_partitions).
    std::optional<int> partitions;
    /// retention.ms in days (what sector systems read: their outages are out of our hands).
    int retentionDays = 14;
  } topics;
};

/// The five sectors of the method as the municipality runs it today: housing,
/// finance, health_care, nav, property (in that order).
[[nodiscard]] const std::vector<Sector>& defaultSectors();
/// Their names.
[[nodiscard]] const std::vector<std::string>& defaultSectorNames();
/// "housing, finance, …": sector names as an error message lists them.
[[nodiscard]] std::string listSectorNames(const std::vector<std::string>& names);

/// True for a sector name wayhome accepts: `^[a-z][a-z0-9_]{0,31}$` (also the pattern of
/// sector fields in the event schemas; which names exist is configuration).
[[nodiscard]] bool isSectorName(std::string_view name);

/// Every topic name in one place, all under one configurable prefix, with the
/// configured sectors.
class Topics {
 public:
  /// `sectors` must be valid (names unique, isSectorName()): the host config checks them.
  explicit Topics(std::string prefix = {}, std::vector<Sector> sectors = defaultSectors());

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

  /// The configured sectors, each with a referral topic and a notice topic.
  [[nodiscard]] const std::vector<Sector>& sectors() const { return *sectors_; }
  /// Their names, in configured order.
  [[nodiscard]] const std::vector<std::string>& sectorNames() const { return *names_; }
  /// True when `name` is a configured sector.
  [[nodiscard]] bool hasSector(std::string_view name) const;
  /// The names joined with ", " (for error messages).
  [[nodiscard]] std::string sectorList() const;
  /// The source systems that get a cases topic.
  static const std::vector<std::string>& sources();
  /// The services that get a dead-letter topic.
  static const std::vector<std::string>& services();

  /// Every topic the service uses, each with `partitions` partitions (dead-letter
  /// topics one: their order is the order of failure), retention and readers.
  [[nodiscard]] std::vector<TopicSpec> all(int partitions) const;

 private:
  std::string prefix_;
  // Shared: Topics is copied into every component's context.
  std::shared_ptr<const std::vector<Sector>> sectors_;
  std::shared_ptr<const std::vector<std::string>> names_;
};

}  // namespace wayhome::bus
