#pragma once

// The loan simulator's journeys, as data: what the `loan` simulator posts, so that a
// test can play them without HTTP and work out from them what the reports must show.

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace wayhome::connectors::loan {

/// One webhook of a journey: the sender's event id and the JSON body.
struct SimulatedWebhook {
  std::string id;
  std::string body;
};

/// The `occurred_at` of a step that happens on `day` (RFC 3339). The simulator sends its
/// clock's now; a simulated year sends a time on the day itself.
using OccurredAtFn = std::function<std::string(std::chrono::sys_days day)>;

/// Journey `n` of run `run`: submitted → decided (granted or rejected) → disbursed →
/// sometimes a missed instalment, on days drawn from `rng` (from 5 January 2026, within
/// about 300 days, then days to weeks apart). Deterministic for a seeded `rng`.
[[nodiscard]] std::vector<SimulatedWebhook> loanJourney(std::mt19937_64& rng,
                                                        const std::string& run, int n,
                                                        const OccurredAtFn& occurredAt);

}  // namespace wayhome::connectors::loan
