#pragma once

// The two homes of the consent register: the state store (the router) and memory
// (`wayhome rules test`).

#include <memory>

#include <wayhome/router/rules.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services::router {

/// The register in the router's tables, used through `db`, a handle inside the
/// caller's transaction. `nowMs` (ms since the epoch) stamps what ends now (a
/// withdrawal, a waiting referral made or stopped) for the retention.
class StoreConsentStore final : public ConsentStore {
 public:
  StoreConsentStore(store::Connection& db, std::int64_t nowMs) : db_(db), nowMs_(nowMs) {}
  std::optional<std::string> find(const std::string& personRef, const std::string& from,
                                  const std::string& to, const std::string& purpose,
                                  const std::string& today) override;
  GrantOutcome grant(const Consent& consent) override;
  std::optional<Consent> withdraw(const std::string& key, const std::string& personRef) override;
  void addPending(const PendingReferral& pending) override;
  std::vector<PendingReferral> takePending(const Consent& consent, bool stop) override;

 private:
  store::Connection& db_;
  std::int64_t nowMs_;
};

/// The register in memory (`wayhome rules test`): the same answers as the store's,
/// kept until it is destroyed.
[[nodiscard]] std::unique_ptr<ConsentStore> memoryConsentStore();

}  // namespace wayhome::services::router
