#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/runtime/component.hpp>

namespace wayhome::connectors {

/// A canonical event a connector derived from one source record.
struct CanonicalEvent {
  std::string type;     ///< e.g. "tenancy.contract_signed.v1"
  std::string subject;  ///< person_ref or case id; the Kafka key
  std::string data;     ///< JSON text, checked against the type's schema
  std::string time;     ///< RFC 3339; empty: now
};

/// Outcome of a submission, given to the caller once it is durable (or not).
struct IntakeOutcome {
  std::size_t fresh = 0;       ///< new events now in the outbox
  std::size_t duplicates = 0;  ///< events accepted before (same record and version)
};

/// The shared path of every connector: identity numbers to person_refs, schema
/// validation, deterministic event ids, and an all-or-nothing append to the outbox.
class Intake {
 public:
  Intake(services::ServiceContext& service, const PersonRefs& personRefs, std::string sourceType,
         std::string instanceName);

  /// The person_ref of a national identity number.
  /// Errors: permanent, saying what is wrong with the number (never echoing it).
  [[nodiscard]] Result<std::string> personRef(std::string_view nationalId) const;

  /// The CloudEvent id of the `index`-th event derived from version `version` of
  /// source record `recordId`: the same inputs always give the same id, so a re-sent
  /// or re-polled record produces no second event.
  [[nodiscard]] std::string eventId(std::string_view recordId, std::string_view version,
                                    std::size_t index = 0) const;

  /// Validates every event against its schema, then appends them all in one
  /// transaction. `recordId`/`version` identify the source record (for the ids).
  /// `done` runs once the events are durable (or with the error), on the outbox's
  /// thread; it must not block.
  /// Errors (returned at once, nothing appended, `done` not called): permanent with
  /// the failing event type, JSON pointer and keyword for invalid data; retryable
  /// when the outbox is over its backlog bound or the connector is paused.
  Result<void> submit(std::string_view recordId, std::string_view version,
                      std::vector<CanonicalEvent> events,
                      std::function<void(Result<IntakeOutcome>)> done);

  /// Like submit(), waiting for durability (for pollers and file readers).
  Result<IntakeOutcome> submitAndWait(std::string_view recordId, std::string_view version,
                                      std::vector<CanonicalEvent> events);

  /// True when nothing more is taken now: the outbox is over its backlog bound or an
  /// operator paused this connector. Push endpoints answer 503 with Retry-After.
  [[nodiscard]] bool overloaded() const;

  /// The instance's status entry: its pause switch is honoured by submit().
  void attachStatus(services::StatusEntry& status) { status_ = &status; }

  /// The CloudEvents source of this instance: "/wayhome/connectors/<type>/<name>".
  [[nodiscard]] const std::string& source() const { return source_; }
  /// The topic an event of `type` goes to (cases.<source> or consent.events).
  [[nodiscard]] std::string topicFor(std::string_view type) const;

 private:
  services::ServiceContext& service_;
  const PersonRefs& personRefs_;
  std::string sourceType_;
  std::string instance_;
  std::string source_;
  services::StatusEntry* status_ = nullptr;
  services::Histogram& latency_;
};

}  // namespace wayhome::connectors
