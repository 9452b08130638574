#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/core/clock.hpp>

/// The one way anything in wayhome writes an audit record (`audit.decision.v2` on
/// `audit.decisions`): one record per source event (a case event, an API call, a timer
/// that fired), listing every decision taken on it and every disclosure each made.
/// The router, the scheduler, the case-work and identity APIs, the referral lifecycle
/// and the ops API all build theirs here.
namespace wayhome::bus::audit {

/// The CloudEvent type of an audit record. `audit.decision.v1` (one record per
/// decision) is still read: records of older versions can be on the bus and in the DLQ.
inline constexpr std::string_view kType = "audit.decision.v2";

/// Fields (names, never values) shown to a sector.
struct Disclosure {
  std::string toSector;
  std::vector<std::string> fields;
};

/// One decision taken on the source event.
struct Entry {
  std::string decision;  ///< an `audit.decision.v2` decision enum value
  std::string ruleId;
  int action = -1;  ///< the rule's action (its position in `then`), -1: none
  /// The event the decision is about when it is not the record's (a referral a
  /// consent released names its case event); empty otherwise.
  std::string sourceEventId;
  std::string referralId;
  std::string consentId;
  std::string meetingId;
  std::string toSector;  ///< where the decision sends something
  std::string topic;     ///< the topic of the event it published, if any
  std::string outputId;  ///< that event's ce_id
  std::vector<Disclosure> disclosed;
  std::string detail;  ///< why, in words; never an identity number (cut to 1 000 bytes)
};

/// One audit record.
struct Record {
  /// Its ce_id and `audit_id`: derive it from the source event's id (idFor), so that a
  /// replay or a crash before the commit makes the same record, which the outbox drops.
  std::string id;
  std::string source;   ///< ce_source, e.g. /wayhome/router
  std::string service;  ///< router, scheduler, ops, connector
  Clock::TimePoint decidedAt;
  std::string sourceEventId;
  std::string personRef;
  std::string actor;    ///< who asked (a token name), for calls
  std::string subject;  ///< ce_subject (the key); empty: person_ref, else the source event, else id
  std::vector<Entry> decisions;
};

/// `prefix` + a stable digest of `material` (e.g. "aud-", the source event id).
[[nodiscard]] std::string idFor(std::string_view prefix, std::string_view material);

/// The record's CloudEvent (type kType, data as the schema has it).
[[nodiscard]] CloudEvent event(const Record& record);

}  // namespace wayhome::bus::audit
