#pragma once

// The two homes of the consent register: the state store (the router) and memory
// (`wayhome rules test`).

#include <wayhome/router/rules.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services::router {

/// The register in the router's tables (migration 4), used through `db`, a handle
/// inside the caller's transaction.
class StoreConsentStore final : public ConsentStore {
 public:
  explicit StoreConsentStore(store::Connection& db) : db_(db) {}
  std::optional<std::string> find(const std::string& personRef, const std::string& from,
                                  const std::string& to, const std::string& purpose,
                                  const std::string& today) override;
  GrantOutcome grant(const Consent& consent) override;
  std::optional<Consent> withdraw(const std::string& key, const std::string& personRef) override;
  void addPending(const PendingReferral& pending) override;
  std::vector<PendingReferral> takePending(const Consent& consent, bool stop) override;

 private:
  store::Connection& db_;
};

/// The register in memory.
class MemoryConsentStore final : public ConsentStore {
 public:
  std::optional<std::string> find(const std::string& personRef, const std::string& from,
                                  const std::string& to, const std::string& purpose,
                                  const std::string& today) override;
  GrantOutcome grant(const Consent& consent) override;
  std::optional<Consent> withdraw(const std::string& key, const std::string& personRef) override;
  void addPending(const PendingReferral& pending) override;
  std::vector<PendingReferral> takePending(const Consent& consent, bool stop) override;

 private:
  std::map<std::string, Consent> consents_;
  std::vector<PendingReferral> pending_;
};

}  // namespace wayhome::services::router
