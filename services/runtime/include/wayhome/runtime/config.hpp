#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// A configuration that cannot be used. `wayhome serve` prints it and exits with 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The HTTP listener.
struct HttpSettings {
  std::string address = "127.0.0.1";
  int port = 8080;
  std::size_t maxBodyBytes = 1024 * 1024;
  /// Reading a body once its headers are in, and writing a response.
  std::chrono::milliseconds requestTimeout{30000};
  /// From a new connection (or a kept-alive one's next first byte) to complete headers.
  std::chrono::milliseconds headerTimeout{10000};
  /// How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idleTimeout{15000};
  /// Open connections at most, in all and from one remote address.
  std::size_t maxConnections = 1024;
  std::size_t maxConnectionsPerAddress = 128;
  int threads = 2;
  /// HTTPS when both are set (config http.tls.cert_file / key_file).
  std::string tlsCertFile;
  std::string tlsKeyFile;
};

/// The scheduler of meeting notices (config key "scheduler").
struct SchedulerSettings {
  bool enabled = true;
  /// Working hours, Oslo wall-clock minutes after midnight; end exclusive.
  int workStartMinutes = 8 * 60;
  int workEndMinutes = 15 * 60 + 30;
  int meetingMinutes = 60;
  int leadTimeDays = 14;
  /// 0: no reminder.
  int reminderHours = 48;
  int defaultWindowDays = 14;
  std::string place = "Team bolig";
  std::string organizer = "mailto:scheduler@wayhome.invalid";
  std::chrono::milliseconds poll{500};
  /// Requests seen, closed referrals and meetings over with their notices are deleted
  /// this long after (config scheduler.retention_days; 0: never).
  std::chrono::hours retention{24 * 365};
  /// A configured recurring meeting (route R13).
  struct Recurring {
    std::string name;
    std::string rrule;
    std::string title;
    std::string place;       ///< empty: the scheduler's place
    int meetingMinutes = 0;  ///< 0: the scheduler's length
    bool agenda = true;
    bool enabled = true;
    /// (role, sector); sector empty for the citizen.
    std::vector<std::pair<std::string, std::string>> participants;
  };
  std::vector<Recurring> recurring;
};

/// The default recurring meetings: the monthly cross-sector coordination meeting, with
/// the role of each of `sectors` that has one.
[[nodiscard]] std::vector<SchedulerSettings::Recurring> defaultRecurringMeetings(
    const std::vector<bus::Sector>& sectors = bus::defaultSectors());

/// The sectors wayhome names in code and so every configuration must have: housing
/// (the housing contact asks for consents and attends every meeting; referrals of other
/// services go there), health_care, finance and property (the sectors of the source
/// systems: GERICA's care.*, the loan system's loan.*, Plania's property.* events).
[[nodiscard]] const std::vector<std::string>& requiredSectors();

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

/// The whole configuration of `wayhome serve`, with the embedded defaults.
struct ServiceConfig {
  std::filesystem::path dataDir = "var/wayhome";
  log::Level logLevel = log::Level::Info;
  log::Format logFormat = log::Format::Text;
  bus::BusSettings bus;
  /// The sectors of the method (config "sectors"): each gets referrals.<name> and
  /// notices.<name>; tokens, webhooks, meetings and rules may name only these.
  std::vector<bus::Sector> sectors = bus::defaultSectors();
  /// Create missing topics at start-up (always on the embedded bus).
  bool createTopics = true;
  HttpSettings http;
  /// SQLite file of the state store (the embedded default).
  std::filesystem::path statePath = "var/wayhome/state.db";
  /// The shared PostgreSQL database instead (config state.postgres): production.
  std::optional<store::PostgresOptions> statePostgres;
  /// How long grown state (processed ids, receipts, finished deliveries, closed
  /// referrals...) is kept before the hourly pruner deletes it (state.retention_days).
  std::chrono::hours stateRetention{24 * 30};
  /// Folder of the event schemas; defaultSchemaDir() (data_dir.hpp) by default.
  std::filesystem::path schemaDir;
  std::chrono::milliseconds shutdownTimeout{10000};
  /// Back-pressure bound of the outbox.
  std::size_t outboxMaxBacklog = 200000;
  /// Published outbox rows are deleted this long after (0: never).
  std::chrono::hours outboxRetention{24 * 30};
  /// Key of the person_ref HMAC; `identityKeyCreate` when it may be made on first start.
  /// The default lies beside the data folder, not in it (`<data_dir>.keys/`), so a copy
  /// of the data does not carry the key; see defaultIdentityKeyFile().
  std::filesystem::path identityKeyFile = "var/wayhome.keys/person_ref.key";
  bool identityKeyCreate = true;
  /// Key of the re-identification vault (identity.reidentification.key_file); empty:
  /// no identity number is kept and nothing can be resolved.
  std::filesystem::path identityVaultKeyFile{};
  /// A kept identity number whose person no connector has seen for this long is
  /// deleted (identity.reidentification.retention_days).
  std::chrono::hours identityVaultRetention{24 * 400};
  /// Resolve calls one token may make per minute (identity.reidentification.per_minute).
  int identityResolvePerMinute = 20;
  /// Run intakes without authentication (GERICA over HTTP without a signature or
  /// client certificate). Accepted only with a loopback http.address: for the demo.
  bool insecureDemo = false;
  /// One configured connector or simulator instance.
  struct Instance {
    std::string type;
    std::string name;
    bool enabled = true;
    std::string settingsJson = "{}";  ///< checked by the type's own schema
  };
  std::vector<Instance> connectors;
  std::vector<Instance> simulators;
  /// An operator's token for the ops API: "viewer" reads, "admin" also acts.
  struct OpsToken {
    std::string name;  ///< who, in audit records and logs
    std::string role;  ///< "viewer", "admin" or "caseworker"
    std::string token;
    /// A case worker's sectors (config ops.tokens[].sectors, required for that role):
    /// consents are recorded from these sectors only, and only referrals to them are
    /// acknowledged or closed. Empty for operators.
    std::vector<std::string> sectors{};
  };
  /// No tokens: reads are open (loopback default) and admin actions are refused.
  std::vector<OpsToken> opsTokens;
  /// The router (config key "router").
  struct Router {
    bool enabled = true;
    /// Rules file; the shipped one by default (defaultRulesFile(), data_dir.hpp).
    std::filesystem::path rulesFile;
    /// The CloudEvent sources (ce_source) whose consent.* events the router applies
    /// (config router.consent_sources). Unset: the case-work API and every configured
    /// gerica connector (see consentSources()).
    std::optional<std::vector<std::string>> consentSources;
  } router;
  SchedulerSettings scheduler;
  DeliverySettings delivery;
  /// Reports for Team bolig and the City Council (docs/REPORTS.md).
  struct Reports {
    bool enabled = true;
    /// Where the monthly and tertial reports are written; empty: <data_dir>/reports.
    std::filesystem::path folder;
    /// Targets and budget lines (deploy/config/targets.json); empty: none.
    std::filesystem::path targetsFile;
    /// Publish the report of each month and tertial just ended (files, report.published).
    bool publish = true;
  };
  Reports reports;
  /// The file this came from; empty for the built-in defaults.
  std::string origin;
};

/// Largest configuration file accepted.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

/// The JSON Schema every configuration is checked against.
[[nodiscard]] std::string_view configSchemaText();

/// True for an address only this machine reaches: 127.0.0.0/8, ::1, "localhost".
[[nodiscard]] bool isLoopbackAddress(std::string_view address);

/// The default place of the person_ref key for `dataDir`: `<dataDir>.keys/person_ref.key`,
/// beside the data folder so that a copy of the data does not carry the key.
[[nodiscard]] std::filesystem::path defaultIdentityKeyFile(const std::filesystem::path& dataDir);

/// The ce_source values whose consent.* events the router applies: router.consent_sources
/// when set, else the case-work API ("/wayhome/api") and each gerica connector.
[[nodiscard]] std::vector<std::string> consentSources(const ServiceConfig& config);

/// Refuses a secret file (key, token, password) that group or others may read, or that
/// is not a regular file. `what` names it in the message.
/// Errors: throws ConfigError.
void checkSecretFilePermissions(const std::filesystem::path& file, const std::string& what);

/// The first line of a secret file (trailing CR and spaces dropped) after
/// checkSecretFilePermissions(); "" when it cannot be read.
/// Errors: throws ConfigError (naming `what`) for a file others may read.
[[nodiscard]] std::string readSecretFile(const std::filesystem::path& file,
                                         const std::string& what);

/// The embedded default (what `wayhome serve` runs with no --config).
[[nodiscard]] ServiceConfig defaultConfig();

/// Parses and checks JSON text (comments allowed). `origin` names the source in errors.
/// Errors: throws ConfigError naming the key (JSON pointer) and the problem.
[[nodiscard]] ServiceConfig parseConfig(std::string_view text, const std::string& origin);

/// Reads, parses and checks a configuration file.
/// Errors: throws ConfigError for a missing, unreadable, oversized or invalid file.
[[nodiscard]] ServiceConfig loadConfigFile(const std::filesystem::path& file);

}  // namespace wayhome::services
