#pragma once

// The automatic reports: when a month (and with it, every fourth month, a tertial) has
// ended in Europe/Oslo, its report is written to the reports folder (JSON, CSV, HTML)
// and report.published goes to the `reports` topic through the outbox, once.

#include <filesystem>
#include <string>
#include <vector>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/reports/period.hpp>
#include <wayhome/reports/targets.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::reports {

/// Where and against what the reports are made.
struct PublishSettings {
  std::filesystem::path folder;
  std::vector<Target> targets;
};

/// The periods due at `now`: the month that ended last and, when that month closed a
/// tertial, the tertial.
[[nodiscard]] std::vector<Period> periodsDue(Clock::TimePoint now);

/// Unless `period` was published before (then nothing happens, or with `rewrite` only
/// its files are made again): writes its files, records it (reports_published) and
/// queues report.published in the same transaction. Files are written first (each
/// atomically, by rename), so a crash between leaves them to be written again. Returns
/// true when it was newly published.
/// Errors: retryable when the folder cannot be written or the store fails.
Result<bool> publish(store::StateStore& state, bus::Outbox& outbox, const bus::Topics& topics,
                     const PublishSettings& settings, const Period& period, Clock::TimePoint now,
                     bool rewrite = false);

/// The periods published so far, oldest first.
[[nodiscard]] std::vector<Period> publishedPeriods(store::StateStore& state);

}  // namespace wayhome::reports
