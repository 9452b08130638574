#pragma once

// The case-work API: what case-worker systems (that do not speak Kafka) tell the
// router. Each call becomes a CloudEvent through the outbox, so the router, the
// scheduler and every subscriber learn it the same way as from the bus.
//
//   POST /api/v1/consents                        consent.granted.v1 (body: its data)
//   POST /api/v1/consents/{id}/withdraw          consent.withdrawn.v1
//   POST /api/v1/referrals/{id}/acknowledge      referral.acknowledged.v1
//   POST /api/v1/referrals/{id}/close            referral.closed.v1
//   POST /api/v1/referrals                       referral.requested.v1 (another service asks)
//   POST /api/v1/needs                           housing.need_observed.v1 (housing contacts)
//
// Only for tokens with role caseworker; each call is audited with the token's name.
// The last two are case events that the router's rules decide within the call: the
// referrals (or consent requests) they make, and the audit records, go through the
// outbox in the call's transaction, as if the router had consumed the event.

#include <functional>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The ce_source of every event the case-work API makes (and its consent namespace).
inline constexpr const char* kCaseworkSource = "/wayhome/api";

struct CaseworkContext {
  const OpsAuth& auth;
  const schemas::SchemaRegistry& schemas;
  store::StateStore& state;
  bus::Outbox& outbox;
  const bus::Topics& topics;
  const Clock& clock;
  /// The router's rules in force (swapped on reload).
  std::function<router::RuleTablePtr()> rules;
};

void registerCaseworkRoutes(HttpRouter& router, const CaseworkContext& context);

}  // namespace wayhome::services
