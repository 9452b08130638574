#pragma once

// Re-identification for those allowed (issue 15, item 12). A referral carries only a
// pseudonym; the case worker it went to may need the citizen in their own system:
//
//   POST /api/v1/identity/resolve             {referral_id, purpose} -> the identity number
//   POST /api/v1/identity/{person_ref}/delete  (admin) the person's kept number is removed
//
// Resolve: a case-worker token of the sector the referral went to, while the referral
// is open (or acknowledged), for a known purpose, at most identity.reidentification.
// per_minute calls a minute per token. Every call that gets past the token check is
// audited on audit.decisions (who, which referral, purpose, granted or refused, never
// the number) before anything is answered; a number is only given once its audit
// record is in the outbox.

#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/identity_vault.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The purposes a number may be resolved for.
inline constexpr const char* kResolvePurposes[] = {"case_handling", "contact_citizen",
                                                   "benefit_or_payment"};

struct IdentityContext {
  const OpsAuth& auth;
  store::StateStore& state;
  bus::Outbox& outbox;
  const bus::Topics& topics;
  const Clock& clock;
  /// Null: re-identification is not configured (503).
  IdentityVault* vault = nullptr;
  int perMinute = 20;
};

void registerIdentityRoutes(HttpRouter& router, const IdentityContext& context);

}  // namespace wayhome::services
