#pragma once

// The router's settings: the config section "router", checked against
// services/router/settings.schema.json (compiled in) and parsed here.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/runtime/module.hpp>

namespace wayhome::services {

/// The router (config key "router").
struct RouterSettings {
  bool enabled = true;
  /// Rules file; the shipped one by default (defaultRulesFile(), data_dir.hpp).
  std::filesystem::path rulesFile;
  /// The CloudEvent sources (ce_source) whose consent.* events the router applies
  /// (config router.consent_sources). Unset: the case-work API and every configured
  /// gerica connector (see consentSources()).
  std::optional<std::vector<std::string>> consentSources;
};

/// The router's settings from its `section` of `config` (which passed
/// its module's schema, settings.schema.json); the shipped rules file when none is given.
/// Errors: throws ConfigError naming the key ("config f.json: /router/...").
[[nodiscard]] RouterSettings parseRouterSettings(const SettingsSection& section,
                                                 const ServiceConfig& config);

/// The ce_source values whose consent.* events the router applies: `configured`
/// (router.consent_sources) when set, else the case-work API ("/wayhome/api") and each
/// gerica connector of `config`.
[[nodiscard]] std::vector<std::string> consentSources(
    const std::optional<std::vector<std::string>>& configured, const ServiceConfig& config);

/// The router's named factory ("router"): nothing when the settings disable it.
[[nodiscard]] std::unique_ptr<ModuleFactory> makeRouterModule();

}  // namespace wayhome::services
