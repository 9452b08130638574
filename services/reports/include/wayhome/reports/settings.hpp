#pragma once

// The reports' settings: the config section "reports", checked against
// services/reports/settings.schema.json (compiled in) and parsed here.

#include <filesystem>
#include <memory>
#include <string_view>

#include <wayhome/runtime/module.hpp>

namespace wayhome::reports {

/// Reports for Team bolig and the City Council (config key "reports", docs/REPORTS.md).
struct ReportsSettings {
  bool enabled = true;
  /// Where the monthly and tertial reports are written; <data_dir>/reports when parsed
  /// from a section without "folder".
  std::filesystem::path folder;
  /// Targets and budget lines (deploy/config/targets.json); empty: none.
  std::filesystem::path targetsFile;
  /// Publish the report of each month and tertial just ended (files, report.published).
  bool publish = true;
};

/// The reports' settings from their `section` of `config` (which passed
/// its module's schema, settings.schema.json).
/// Errors: throws services::ConfigError naming the key ("config f.json: /reports/...").
[[nodiscard]] ReportsSettings parseSettings(const services::SettingsSection& section,
                                            const services::ServiceConfig& config);

/// The reports' named factory ("reports"); the component logs that it is off when the
/// settings disable it.
[[nodiscard]] std::unique_ptr<services::ModuleFactory> makeReportsModule();

}  // namespace wayhome::reports
