#pragma once

// The reporting component (docs/REPORTS.md): consumes the case, consent, referral and
// meeting topics into reports_facts once per event id, and serves
// GET /api/v1/reports/{period}.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/reports/period.hpp>
#include <wayhome/reports/render.hpp>
#include <wayhome/reports/settings.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::reports {

/// What became of one batch of records.
struct IngestOutcome {
  std::size_t stored = 0;             ///< new facts
  std::size_t duplicates = 0;         ///< facts stored before (same event id)
  std::size_t ignored = 0;            ///< types no figure counts
  std::vector<std::string> rejected;  ///< why each rejected record was not counted
};

/// Turns records into facts and stores them, in one transaction, once per event id.
/// A record that is not a CloudEvent, or whose data does not match its schema or lacks
/// what the figures need, is rejected (not counted) with the reason.
/// Errors: throws store::StateError when the store fails (nothing of the batch kept).
IngestOutcome ingest(store::StateStore& state, const schemas::SchemaRegistry& schemas,
                     const std::vector<bus::KafkaRecord>& records, std::int64_t nowMs);

/// The report of `period` from the facts in `state`, rendered, with how it stands
/// against `targets`; HTML compares with the period before and the same period a year
/// earlier. `sectors`: the configured ones (a row each in the per-sector tables).
[[nodiscard]] std::string renderReport(
    store::StateStore& state, const Period& period, Format format,
    const std::vector<Target>& targets = {},
    const std::vector<std::string>& sectors = bus::defaultSectorNames());

/// The topics reports read: cases.<source>, consent.events, referrals.<sector>,
/// notices.meetings.
[[nodiscard]] std::vector<std::string> reportTopics(const bus::Topics& topics);

/// The component: consumer group "wayhome-reports", routes GET /api/v1/reports/{period}
/// (role reporter or admin; ?format=json|csv|html, default json). (When `settings`
/// disable it, the module makes none.)
[[nodiscard]] std::unique_ptr<services::Component> makeReportsComponent(ReportsSettings settings);

}  // namespace wayhome::reports
