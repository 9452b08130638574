#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/runtime/component.hpp>

namespace wayhome::schemas {
class SchemaRegistry;
}  // namespace wayhome::schemas

namespace wayhome::services::router {
class RuleTable;
}  // namespace wayhome::services::router

namespace wayhome::services {

/// How a router runs: its settings (config key "router", wayhome/router/settings.hpp)
/// and what tests choose.
struct RouterOptions {
  /// The rules file (JSON); see services/router/README.md.
  std::filesystem::path rulesFile;
  /// The ce_source values whose consent.* events are applied (router.consent_sources);
  /// unset: the default of consentSources() (settings.hpp) for the service's config.
  std::optional<std::vector<std::string>> consentSources{};
  /// Consumer group of the router's case and consent topics.
  std::string groupId = "wayhome-router";
  /// Most records handled in one state-store transaction.
  std::size_t maxBatch = 500;
  /// How often referrals past their due time are looked for (and escalated once).
  std::chrono::milliseconds escalationInterval{1000};
  /// Time source of created_at, due_by and consent validity; the service's clock when null.
  const Clock* clock = nullptr;
};

/// Counters of a running router (tests and the status board read them).
struct RouterCounters {
  std::uint64_t processed = 0;     ///< events decided on
  std::uint64_t duplicates = 0;    ///< events seen before (no second decision)
  std::uint64_t deadLettered = 0;  ///< records sent to dlq.router
  std::uint64_t outputs = 0;       ///< events queued in the outbox (audit included)
  std::uint64_t batches = 0;       ///< committed batches
};

/// The router: reads case events (cases.*) and consents (consent.events) as one
/// consumer group, evaluates the rules, and queues referrals, consent requests, notice
/// requests and audit decisions in the outbox in the same state-store transaction that
/// records the events as processed; offsets are committed after that, so a redelivered
/// event never makes a second referral. Records it cannot use go to dlq.router.
class Router final : public Component {
 public:
  explicit Router(RouterOptions options);
  ~Router() override;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  [[nodiscard]] std::string name() const override { return "router"; }
  /// Errors: throws (RulesError is a std::runtime_error) when the rules file is
  /// missing or invalid, or the consumer cannot be made.
  void start(ServiceContext& context) override;
  void stop(std::chrono::steady_clock::time_point deadline) override;
  [[nodiscard]] std::string notReadyReason() const override;

  /// Loads the rules file again; swaps the table atomically when it is valid, keeps the
  /// old one otherwise. Thread-safe (called from the signal thread on SIGHUP).
  /// Errors: returns false and sets `why` (naming rule and path) when refused.
  bool reloadRules(std::string& why);
  /// reloadRules() for the service's reload (SIGHUP, POST /api/v1/reload).
  std::optional<ReloadOutcome> reload() override;

  [[nodiscard]] RouterCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `wayhome rules test RULES EVENTS.jsonl`: evaluates each event (one CloudEvent in
/// structured JSON per line: id, type, subject, data) offline against the rules, with
/// an in-memory consent register fed by the consent events in the same file, and
/// prints what each would trigger and why. `now` fixes the clock (default: system).
/// Returns 0, or 1 when the rules are invalid (the error names rule and path), 2 when
/// the schema folder is unusable, 64 when a file cannot be read. `sectors`: the
/// configured ones (`--config`), the rules are checked against them.
int rulesTestCommand(const std::filesystem::path& rulesFile,
                     const std::filesystem::path& eventsFile,
                     const std::filesystem::path& schemaDir, std::ostream& out, std::ostream& err,
                     std::optional<Clock::TimePoint> now = std::nullopt,
                     const std::vector<bus::Sector>& sectors = bus::defaultSectors());

/// The body of `wayhome rules test`: evaluates each line of `in` (one CloudEvent object
/// a line) against `table` at time `now` and writes the trace to `out`. Never throws
/// on bad input: an unreadable, unknown or invalid line is reported as dead-lettered.
/// Returns how many lines would be dead-lettered.
int rulesTestEvents(const router::RuleTable& table, const schemas::SchemaRegistry& schemas,
                    std::istream& in, std::ostream& out, Clock::TimePoint now,
                    const std::vector<bus::Sector>& sectors = bus::defaultSectors());

/// `wayhome rules check RULES`: 0 when valid (against the schemas and `sectors`), else 1
/// with the error.
int rulesCheckCommand(const std::filesystem::path& rulesFile,
                      const std::filesystem::path& schemaDir, std::ostream& out, std::ostream& err,
                      const std::vector<bus::Sector>& sectors = bus::defaultSectors());

}  // namespace wayhome::services
