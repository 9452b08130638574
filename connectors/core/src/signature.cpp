#include <charconv>
#include <fstream>
#include <sstream>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/signature.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::connectors {
namespace {

std::string trimRight(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

std::string loadSecret(const std::string& owner, const std::optional<std::string>& secret,
                       const std::optional<std::string>& secretFile, const std::string& key) {
  const std::string where = "'" + owner + "' settings: " + key;
  if (secret.has_value() == secretFile.has_value()) {
    throw ConnectorConfigError(where + ": give exactly one of " + key + " and " + key + "_file");
  }
  if (secret) {
    if (secret->size() < kMinSecretBytes) {
      throw ConnectorConfigError(where + " has fewer than 32 bytes");
    }
    return *secret;
  }
  try {
    services::checkSecretFilePermissions(*secretFile, where + "_file");
  } catch (const services::ConfigError& e) {
    throw ConnectorConfigError(e.what());
  }
  std::ifstream in(*secretFile, std::ios::binary);
  if (!in) throw ConnectorConfigError(where + "_file '" + *secretFile + "' cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string out = trimRight(ss.str());
  if (out.size() < kMinSecretBytes) {
    throw ConnectorConfigError(where + "_file '" + *secretFile + "' holds fewer than 32 bytes");
  }
  return out;
}

Result<void> checkWebhookHeaders(std::string_view timestamp, std::string_view signature,
                                 Clock::TimePoint now, std::chrono::seconds maxSkew) {
  if (timestamp.empty()) return Error::permanent("missing X-Wayhome-Timestamp header");
  if (signature.empty()) return Error::permanent("missing X-Wayhome-Signature header");
  std::int64_t seconds = 0;
  const auto [end, ec] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size() || timestamp.size() > 12 ||
      timestamp.front() < '0' || timestamp.front() > '9') {
    return Error::permanent("X-Wayhome-Timestamp: must be Unix time in whole seconds");
  }
  // In whole seconds: a time point in nanoseconds would overflow past ~9.2e9 s.
  const std::int64_t ours =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = ours > seconds ? ours - seconds : seconds - ours;
  if (skew > maxSkew.count()) {
    return Error::permanent("X-Wayhome-Timestamp: more than " + std::to_string(maxSkew.count()) +
                            " s from our clock (stale, replayed or a wrong clock)");
  }
  if (signature.size() != 7 + 64 || !signature.starts_with("sha256=")) {
    return Error::permanent("X-Wayhome-Signature: must be sha256=<64 hex digits>");
  }
  return {};
}

Result<void> verifyWebhook(std::string_view secret, std::string_view timestamp,
                           std::string_view signature, std::string_view body, Clock::TimePoint now,
                           std::chrono::seconds maxSkew) {
  if (auto headers = checkWebhookHeaders(timestamp, signature, now, maxSkew); !headers) {
    return headers.error();
  }
  // Compare in constant time over the canonical lower-case form.
  std::string given(signature);
  for (auto& c : given) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!crypto::constantTimeEquals(given, crypto::webhookSignature(secret, timestamp, body))) {
    return Error::permanent("X-Wayhome-Signature: does not match the body and timestamp");
  }
  return {};
}

}  // namespace wayhome::connectors
