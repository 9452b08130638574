#pragma once

#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The router's tables: processed events, consents, referrals waiting for consent and
/// every referral's lifecycle. Applied by the router and the case-work API.
[[nodiscard]] const store::ModuleSchema& routerSchema();

}  // namespace wayhome::services
