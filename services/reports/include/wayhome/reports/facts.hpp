#pragma once

// The facts reports are made of: one row per consumed event id (reports_facts), with
// the event's business time and only the fields the figures need (docs/REPORTS.md).
// Pseudonymous keys (person_ref, contract and referral ids) stay in the store; no
// report shows them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::reports {

/// One event as reports see it.
struct Fact {
  std::string eventId;
  std::string type;
  std::int64_t atMs = 0;  ///< the event's business time (docs/REPORTS.md#periods)
  std::string key;        ///< the thing it is about: contract, referral, application, ...
  std::string person;     ///< person_ref, where the event has one
  /// The fields the figures read, as text ("true"/"false" for booleans).
  std::map<std::string, std::string> fields;

  [[nodiscard]] const std::string& field(const std::string& name) const;
  [[nodiscard]] bool has(const std::string& name) const { return fields.contains(name); }
  [[nodiscard]] bool flag(const std::string& name) const { return field(name) == "true"; }
  /// A date or timestamp field as Oslo-placed milliseconds; nothing when absent or bad.
  [[nodiscard]] std::optional<std::int64_t> timeField(const std::string& name) const;
};

/// True for the event types reports count (docs/REPORTS.md lists them).
[[nodiscard]] bool isReportedType(std::string_view type);

/// The fact of `event`; nothing (with no error) for a type reports do not count.
/// Errors: permanent, naming the field, when a counted event lacks what it needs.
[[nodiscard]] Result<std::optional<Fact>> factFromEvent(const bus::CloudEvent& event);

/// The reports module's tables (reports_facts, reports_published).
[[nodiscard]] const store::ModuleSchema& reportsSchema();

/// Stores facts once per event id inside the caller's transaction; returns how many
/// were new (the others had been stored before and are left as they were).
std::size_t storeFacts(store::Connection& db, const std::vector<Fact>& facts, std::int64_t nowMs);

/// Every fact with a time before `beforeMs`, in time order.
[[nodiscard]] std::vector<Fact> loadFacts(store::StateStore& state, std::int64_t beforeMs);

/// Milliseconds since the epoch of an RFC 3339 time or of a date (00:00 Oslo).
[[nodiscard]] std::optional<std::int64_t> parseTimeMs(std::string_view text);

}  // namespace wayhome::reports
