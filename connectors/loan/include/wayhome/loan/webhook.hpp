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

#include <wayhome/connectors/formats.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/connectors/signature.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::connectors::loan {

// The headers and their checks are the intakes' one signature mechanism.
using connectors::checkWebhookHeaders;
using connectors::kSignatureHeader;
using connectors::kTimestampHeader;
using connectors::loadSecret;
using connectors::verifyWebhook;

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
