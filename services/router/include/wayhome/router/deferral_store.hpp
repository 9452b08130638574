#pragma once

// The two homes of deferred referrals (a `refer` with `at`): the state store (the
// router, table router_deferred) and memory (`wayhome rules test`).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <wayhome/router/rules.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services::router {

/// Deferred referrals in the router's table (migration 3), used through `db`, a handle
/// inside the caller's transaction.
class StoreDeferralStore final : public DeferralStore {
 public:
  explicit StoreDeferralStore(store::Connection& db) : db_(db) {}
  std::string defer(const DeferredReferral& d) override;
  std::vector<DeferredReferral> cancel(const std::string& caseId,
                                       const std::string& series) override;
  /// The waiting deferrals whose moment is at or before `nowMs` (at most `limit`,
  /// earliest first), marked made.
  std::vector<DeferredReferral> takeDue(std::int64_t nowMs, std::size_t limit);
  /// How many wait (for /metrics and reports).
  std::size_t waiting();

 private:
  store::Connection& db_;
};

/// Deferred referrals in memory (`wayhome rules test`).
[[nodiscard]] std::unique_ptr<DeferralStore> memoryDeferralStore();

/// Makes the deferred referrals of `store` that are due at `env.now` (referNow: at
/// once, or waiting for a consent) and returns the decisions; each is made once.
[[nodiscard]] std::vector<Decision> makeDueReferrals(StoreDeferralStore& store, const EvalEnv& env,
                                                     std::size_t limit = 500);

}  // namespace wayhome::services::router
