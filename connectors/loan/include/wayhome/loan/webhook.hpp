#pragma once

// The inbound contract of the start-up loan system: signed JSON webhooks (see
// README.md beside this file). Pure functions, no sockets and no bus, so every rule
// is tested on its own.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/connectors/formats.hpp>
#include <wayhome/connectors/intake.hpp>

namespace wayhome::connectors::loan {

/// Header with the sender's Unix time in seconds, part of what is signed.
inline constexpr std::string_view kTimestampHeader = "x-wayhome-timestamp";
/// Header "sha256=<64 lower-case hex digits>": HMAC-SHA256 of "<timestamp>.<body>".
inline constexpr std::string_view kSignatureHeader = "x-wayhome-signature";

/// The settings of one `loan` connector instance.
struct LoanSettings {
  /// The shared webhook secret (from `secret` or `secret_file`).
  std::string secret;
  /// Requests whose timestamp is further than this from our clock are refused.
  std::chrono::seconds maxClockSkew{300};
  /// Larger bodies are refused with 413.
  std::size_t maxBodyBytes = 64 * 1024;
  /// What 503 answers put in Retry-After.
  std::chrono::seconds retryAfter{1};
};

/// The JSON Schema (draft-04) of the connector's settings.
[[nodiscard]] std::string_view loanSettingsSchema();

/// Parses settings that already passed loanSettingsSchema(), reading `secret_file`.
/// Errors: throws ConnectorConfigError naming the instance and the key (an unreadable
/// or too short secret file, both or neither of secret and secret_file).
[[nodiscard]] LoanSettings parseLoanSettings(const std::string& instanceName,
                                             std::string_view settingsJson);

/// The webhook secret from exactly one of `secret` and `secretFile` (trailing
/// whitespace of the file removed). `owner` names the instance in errors.
/// Errors: throws ConnectorConfigError for both or neither, an unreadable file, or
/// fewer than 32 bytes.
[[nodiscard]] std::string loadSecret(const std::string& owner,
                                     const std::optional<std::string>& secret,
                                     const std::optional<std::string>& secretFile);

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

/// One webhook, checked and mapped onto its canonical event.
struct LoanWebhook {
  std::string id;        ///< the sender's event id: the same id is the same event
  std::string type;      ///< "application_submitted", ...
  CanonicalEvent event;  ///< loan.*.v1 with person_ref, never the identity number
};

/// Turns a national identity number into a person_ref (Intake::personRef).
using PersonRefFn = std::function<Result<std::string>(std::string_view)>;

/// Parses a webhook body and maps it onto its canonical event.
/// Errors: permanent, naming the field as a path ("data.amount_nok: must be an
/// integer") for malformed JSON, a batch, missing, unknown, duplicated or wrong-typed
/// fields, an unknown type, an invalid identity number (never echoed), or an
/// 11-digit run in a field that is not the identity number.
[[nodiscard]] Result<LoanWebhook> parseLoanWebhook(std::string_view body,
                                                   const PersonRefFn& personRef);

}  // namespace wayhome::connectors::loan
