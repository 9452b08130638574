#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/identity_vault.hpp>

#include "identity_vault_sql.hpp"  // generated from sql/identity_vault.sql: kIdentityVaultTables

namespace wayhome::services {
namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;
constexpr std::size_t kMaxFresh = 200000;

using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

const store::ModuleSchema& vaultSchema() {
  static const auto kSchema = store::parseModuleSchema("identity_vault", kIdentityVaultTables);
  return kSchema;
}

namespace {

std::int64_t millis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

/// nonce | ciphertext | tag, bound to `aad`.
std::string seal(const std::string& key, std::string_view aad, std::string_view plain) {
  std::string nonce(kNonce, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonce) != 1) {
    throw std::runtime_error("identity vault: no random nonce");
  }
  CipherPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out = nonce;
  out.resize(kNonce + plain.size() + kTag);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + kNonce);
  int len = 0;
  int total = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), cipher, &len, bytes(plain), static_cast<int>(plain.size())) ==
          1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), cipher + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          out.data() + kNonce + plain.size()) == 1;
  if (!ok) throw std::runtime_error("identity vault: AES-256-GCM sealing failed");
  return out;
}

std::optional<std::string> open(const std::string& key, std::string_view aad,
                                std::string_view sealed) {
  if (sealed.size() < kNonce + kTag) return std::nullopt;
  const std::string_view nonce = sealed.substr(0, kNonce);
  const std::string_view cipher = sealed.substr(kNonce, sealed.size() - kNonce - kTag);
  std::string tag(sealed.substr(sealed.size() - kTag));
  CipherPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string plain(cipher.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  int len = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len, bytes(cipher), static_cast<int>(cipher.size())) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!ok) return std::nullopt;  // wrong key, or the row was tampered with
  return plain;
}

}  // namespace

std::unique_ptr<IdentityVault> IdentityVault::fromKeyFile(const std::filesystem::path& file,
                                                          const std::string& where,
                                                          store::StateStore& state,
                                                          const Clock& clock) {
  const std::string secret = readSecretFile(file, where);
  if (secret.size() < 32) {
    throw ConfigError(where + ": " + file.string() +
                      " must hold a key of at least 32 bytes on its first line");
  }
  return std::make_unique<IdentityVault>(secret, state, clock);
}

IdentityVault::IdentityVault(std::string_view secret, store::StateStore& state, const Clock& clock)
    : key_(crypto::sha256(secret)), state_(state), clock_(clock) {
  if (secret.size() < 32) throw std::invalid_argument("identity vault key: at least 32 bytes");
  state_.migrate(vaultSchema());
}

IdentityVault::~IdentityVault() = default;

void IdentityVault::put(const std::string& personRef, std::string_view nationalId) {
  const std::int64_t now = millis(clock_.now());
  {
    std::lock_guard lock(mutex_);
    if (now / 86400000 != freshDay_ || fresh_.size() >= kMaxFresh) {
      fresh_.clear();
      freshDay_ = now / 86400000;
    }
    if (fresh_.contains(personRef)) return;
  }
  const std::string sealed = crypto::toHex(seal(key_, personRef, nationalId));
  state_.transaction([&](store::Connection& db) {
    store::Statement st(db,
                        "INSERT INTO identity_vault(person_ref, sealed, seen_ms) VALUES(?, ?, ?) "
                        "ON CONFLICT(person_ref) DO UPDATE SET sealed = excluded.sealed, "
                        "seen_ms = excluded.seen_ms;");
    st.bind(1, personRef).bind(2, sealed).bind(3, now);
    st.run();
  });
  std::lock_guard lock(mutex_);
  fresh_.insert(personRef);
}

std::optional<std::string> IdentityVault::get(const std::string& personRef) {
  std::optional<std::string> sealedHex;
  state_.transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT sealed FROM identity_vault WHERE person_ref = ?;");
    st.bind(1, personRef);
    if (st.step()) sealedHex = st.columnText(0);
  });
  if (!sealedHex) return std::nullopt;
  const auto sealed = fromHex(*sealedHex);
  if (!sealed) return std::nullopt;
  auto plain = open(key_, personRef, *sealed);
  if (!plain) {
    log::warn("identity", "a sealed identity does not open (another key, or altered)",
              {{"person_ref", personRef}});
  }
  return plain;
}

bool IdentityVault::erase(const std::string& personRef) {
  bool found = false;
  state_.transaction([&](store::Connection& db) {
    store::Statement seen(db, "SELECT 1 FROM identity_vault WHERE person_ref = ?;");
    seen.bind(1, personRef);
    found = seen.step();
    store::Statement st(db, "DELETE FROM identity_vault WHERE person_ref = ?;");
    st.bind(1, personRef);
    st.run();
  });
  std::lock_guard lock(mutex_);
  fresh_.erase(personRef);
  return found;
}

std::size_t IdentityVault::prune(Clock::TimePoint cutoff) {
  std::size_t n = 0;
  state_.transaction([&](store::Connection& db) {
    store::Statement count(db, "SELECT COUNT(*) FROM identity_vault WHERE seen_ms < ?;");
    count.bind(1, millis(cutoff));
    if (count.step()) n = static_cast<std::size_t>(count.columnInt(0));
    store::Statement st(db, "DELETE FROM identity_vault WHERE seen_ms < ?;");
    st.bind(1, millis(cutoff));
    st.run();
  });
  if (n > 0) {
    std::lock_guard lock(mutex_);
    fresh_.clear();
  }
  return n;
}

}  // namespace wayhome::services
