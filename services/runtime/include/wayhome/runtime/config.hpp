#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wayhome/bus/settings.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

/// A configuration that cannot be used. `wayhome serve` prints it and exits with 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The sectors wayhome names in code and so every configuration must have: housing
/// (the housing contact asks for consents and attends every meeting; referrals of other
/// services go there), health_care, finance and property (the sectors of the source
/// systems: GERICA's care.*, the loan system's loan.*, Plania's property.* events).
[[nodiscard]] const std::vector<std::string>& requiredSectors();

/// One module's section of the configuration: the top-level key named after the module
/// ("router", "scheduler", "delivery", "reports"), as raw JSON. The host keeps it
/// unread; the module checks it against its own JSON Schema and parses it into its own
/// settings struct (wayhome/runtime/module.hpp).
struct SettingsSection {
  std::string key;          ///< the module's name, the section's top-level key
  std::string json = "{}";  ///< the section; "{}" when the file has none
  bool present = false;     ///< the file has the key
  std::string origin;       ///< the config file ("" for the built-in defaults)

  /// The JSON pointer of `pointer` (inside the section) in the whole file: "/<key><pointer>".
  [[nodiscard]] std::string pointer(std::string_view pointer) const;
  /// "config <origin>: /<key><pointer>", e.g. for pointer "/recurring/0/rrule".
  [[nodiscard]] std::string where(std::string_view pointer) const;
  /// A ConfigError with the message where(pointer) + ": " + what, to throw.
  [[nodiscard]] ConfigError error(std::string_view pointer, std::string_view what) const;
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
  /// Each module's section, by top-level key: every top-level object the host's schema
  /// does not name ("router", "scheduler", "delivery", "reports"), as raw JSON. The
  /// host never reads them; ModuleRegistry (module.hpp) has each module check its own
  /// and refuses a key no module owns.
  std::map<std::string, std::string, std::less<>> modules;
  /// Module `key`'s section ("{}" and not present when the file has none).
  [[nodiscard]] SettingsSection section(std::string_view key) const;
  /// The file this came from; empty for the built-in defaults.
  std::string origin;
};

/// Largest configuration file accepted.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

/// The JSON Schema of the host's keys (wayhome.config.schema.json); every other top-level
/// key must be an object, a module's section.
[[nodiscard]] std::string_view configSchemaText();

/// True for an address only this machine reaches: 127.0.0.0/8, ::1, "localhost".
[[nodiscard]] bool isLoopbackAddress(std::string_view address);

/// The default place of the person_ref key for `dataDir`: `<dataDir>.keys/person_ref.key`,
/// beside the data folder so that a copy of the data does not carry the key.
[[nodiscard]] std::filesystem::path defaultIdentityKeyFile(const std::filesystem::path& dataDir);

/// Refuses a sector that `config` does not configure: the message is "config <origin>:
/// <pointer>: \"<sector>\" is not a configured sector (configured: ...)". For every
/// place (host key or module setting) that names a sector.
/// Errors: throws ConfigError.
void checkConfiguredSector(const ServiceConfig& config, const std::string& pointer,
                           const std::string& sector);

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

/// Parses and checks the host's keys of JSON text (comments allowed) and keeps every
/// module's section as raw JSON, unread (`modules`): ModuleRegistry::check() checks
/// those. `origin` names the source in errors.
/// Errors: throws ConfigError naming the key (JSON pointer) and the problem.
[[nodiscard]] ServiceConfig parseConfig(std::string_view text, const std::string& origin);

/// Reads a configuration file and parses it as parseConfig() does.
/// Errors: throws ConfigError for a missing, unreadable, oversized or invalid file.
[[nodiscard]] ServiceConfig loadConfigFile(const std::filesystem::path& file);

}  // namespace wayhome::services
