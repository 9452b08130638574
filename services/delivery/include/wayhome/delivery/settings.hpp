#pragma once

// Webhook delivery's settings: the config section "delivery", checked against
// services/delivery/settings.schema.json (compiled in) and parsed here.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/runtime/module.hpp>

namespace wayhome::services {

/// One webhook subscription of the delivery component (config key
/// "delivery.webhooks"): a sector system that gets its sector's referrals by HTTP POST.
struct WebhookSettings {
  std::string name;  ///< unique; names the consumer group, metrics and status entry
  std::string
      sector;       ///< a configured sector (ServiceConfig::sectors); only its referrals are sent
  std::string url;  ///< http:// or https://
  std::string caFile;  ///< PEM CA that https verifies against; empty: the system's CAs
  std::string secret;  ///< HMAC-SHA256 key of the signature, at least 16 bytes
  std::chrono::milliseconds timeout{10000};
  int maxAttempts = 24;
  std::chrono::milliseconds initialBackoff{1000};
  std::chrono::milliseconds maxBackoff{300000};
  bool enabled = true;
  /// The event types sent (config "events"): referral.created.v1, referral.escalated.v1
  /// (the default), referral.consent_needed.v1 (addressed to the topic's sector: the
  /// housing contact), meeting.notice.v1 (the sector's copies, with the iCalendar).
  std::vector<std::string> events{"referral.created.v1", "referral.escalated.v1"};
};

/// Webhook delivery (config key "delivery"); see services/delivery/README.md.
struct DeliverySettings {
  std::vector<WebhookSettings> webhooks;
};

/// Delivery's settings from its `section` of `config` (which passed
/// its module's schema, settings.schema.json): unique names, exactly one of secret and secret_file
/// (a file only the service reads, at least 16 bytes), a URL with a host and a port that is one,
/// clear text only to loopback, max_backoff_ms ≥ initial_backoff_ms, and each webhook's sector a
/// configured one. Errors: throws ConfigError naming the key ("config f.json:
/// /delivery/webhooks/0/url: ...").
[[nodiscard]] DeliverySettings parseDeliverySettings(const SettingsSection& section,
                                                     const ServiceConfig& config);

/// Delivery's named factory ("delivery"): nothing when no webhook is configured.
[[nodiscard]] std::unique_ptr<ModuleFactory> makeDeliveryModule();

}  // namespace wayhome::services
