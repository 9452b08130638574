#pragma once

// The one signed-request mechanism of the intakes: a shared secret per sender and two
// headers, X-Wayhome-Timestamp (Unix seconds) and X-Wayhome-Signature
// ("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"). The loan webhook and the
// GERICA HTTP intake verify with it; delivery signs with crypto::webhookSignature.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::connectors {

/// Header with the sender's Unix time in seconds, part of what is signed.
inline constexpr std::string_view kTimestampHeader = "x-wayhome-timestamp";
/// Header "sha256=<64 lower-case hex digits>": HMAC-SHA256 of "<timestamp>.<body>".
inline constexpr std::string_view kSignatureHeader = "x-wayhome-signature";
/// Shortest shared secret accepted.
inline constexpr std::size_t kMinSecretBytes = 32;

/// A shared secret from exactly one of `secret` and `secretFile` (trailing whitespace
/// of the file removed). `owner` names the instance in errors, `key` the settings key
/// ("/secret", "/senders/0/secret").
/// Errors: throws ConnectorConfigError for both or neither, an unreadable file, a file
/// that group or others may read, or fewer than kMinSecretBytes bytes.
[[nodiscard]] std::string loadSecret(const std::string& owner,
                                     const std::optional<std::string>& secret,
                                     const std::optional<std::string>& secretFile,
                                     const std::string& key = "/secret");

/// The part of verifyWebhook() that needs no body: both headers there, a decimal
/// timestamp within `maxSkew` of `now`, a signature of the right shape. Run on the
/// headers, before the body is read.
/// Errors: permanent, naming the header and the problem (for a 401).
[[nodiscard]] Result<void> checkWebhookHeaders(std::string_view timestamp,
                                               std::string_view signature, Clock::TimePoint now,
                                               std::chrono::seconds maxSkew);

/// Checks both headers: a decimal timestamp within `maxSkew` of `now` (either way),
/// and a signature over exactly these bytes, compared in constant time.
/// Errors: permanent, naming the header and the problem (for a 401).
[[nodiscard]] Result<void> verifyWebhook(std::string_view secret, std::string_view timestamp,
                                         std::string_view signature, std::string_view body,
                                         Clock::TimePoint now, std::chrono::seconds maxSkew);

}  // namespace wayhome::connectors
