#pragma once

// The re-identification vault: the national identity number behind a person_ref,
// encrypted with AES-256-GCM (OpenSSL EVP) under a key of its own — never the
// person_ref key — and kept in the state store only, never on the bus. Connectors put
// every number they pseudonymise; the one way out is the router's audited, authorised
// POST /api/v1/identity/resolve.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <wayhome/core/clock.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// The vault's table (sealed identity numbers; its own retention run prunes it).
[[nodiscard]] const store::ModuleSchema& vaultSchema();

class IdentityVault {
 public:
  /// Reads the key from `file` like every secret file (the first line, at least 32
  /// bytes; refused when group or others may read it); the AES key is its SHA-256.
  /// Errors: throws ConfigError naming `where` and the file.
  [[nodiscard]] static std::unique_ptr<IdentityVault> fromKeyFile(const std::filesystem::path& file,
                                                                  const std::string& where,
                                                                  store::StateStore& state,
                                                                  const Clock& clock);

  /// Migrates its table (module "identity_vault"). `secret` at least 32 bytes.
  /// Errors: throws std::invalid_argument for a short secret, StateError from the store.
  IdentityVault(std::string_view secret, store::StateStore& state, const Clock& clock);
  ~IdentityVault();
  IdentityVault(const IdentityVault&) = delete;
  IdentityVault& operator=(const IdentityVault&) = delete;

  /// Keeps `nationalId` encrypted under `personRef` (a fresh nonce per write; the
  /// person_ref is the associated data, so a ciphertext moved to another row does not
  /// open). Refreshes when it was last seen at most once a day per process.
  /// Errors: throws on a store or OpenSSL failure (the caller refuses its input).
  void put(const std::string& personRef, std::string_view nationalId);

  /// The number kept for `personRef`, or nothing (none kept, or it does not open).
  /// Errors: throws on a store failure.
  [[nodiscard]] std::optional<std::string> get(const std::string& personRef);

  /// Removes the ciphertext of `personRef` (a request to delete a person's identity);
  /// true when there was one.
  bool erase(const std::string& personRef);

  /// Removes every ciphertext whose person was last seen before `cutoff` (the
  /// retention run); how many.
  std::size_t prune(Clock::TimePoint cutoff);

 private:
  std::string key_;  ///< 32 bytes
  store::StateStore& state_;
  const Clock& clock_;
  std::mutex mutex_;
  /// person_refs written by this process today (so intake writes once a day at most).
  std::unordered_set<std::string> fresh_;
  std::int64_t freshDay_ = -1;
};

}  // namespace wayhome::services
