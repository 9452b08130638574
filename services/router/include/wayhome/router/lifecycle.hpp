#pragma once

// A referral's life after the router made it: created -> acknowledged -> closed, and
// escalated once when nobody acknowledged it by its due time. Kept in the router's
// table `router_referrals` (migration 9), inside the router's own transactions.

#include <cstddef>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/runtime/metrics.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services::router {

/// Remembers every referral.created.v1 among `outputs` (open, with its due time).
void trackCreated(store::Connection& db, const std::vector<bus::OutboxEvent>& outputs,
                  Clock::TimePoint now);

/// True for the referral events a sector system (or the case-work API) sends back.
[[nodiscard]] bool isLifecycleEvent(const bus::CloudEvent& event);
/// True for what the router itself writes on referrals.<sector> (read back, ignored).
[[nodiscard]] bool isOwnReferralOutput(const bus::CloudEvent& event);

/// Applies referral.acknowledged.v1 / referral.closed.v1 (already schema-valid). A
/// closed referral stays closed; an acknowledgement of an unknown referral is kept
/// (it may be another router's). Returns false when the event's sector is not the
/// referral's (the caller dead-letters it).
[[nodiscard]] bool applyLifecycle(store::Connection& db, const bus::CloudEvent& event,
                                  Clock::TimePoint now);

/// referral.escalated.v1 (to the referral's sector topic) and its audit for at most
/// `limit` open referrals past their due time, each once; marks them escalated.
[[nodiscard]] std::vector<bus::OutboxEvent> escalateOverdue(store::Connection& db,
                                                            Clock::TimePoint now,
                                                            const bus::Topics& topics,
                                                            std::size_t limit = 500);

/// /metrics series read from the table at scrape time: referrals per sector and state,
/// open ones past due (every one of `sectors`, the configured ones, even at 0), escalations.
void registerReferralMetrics(Metrics& metrics, store::StateStore& state, const Clock& clock,
                             const std::vector<std::string>& sectors);

}  // namespace wayhome::services::router
