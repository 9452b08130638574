#include <rapidjson/document.h>

#include <wayhome/reports/reports.hpp>
#include <wayhome/reports/settings.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kReportsSettingsSchema

namespace wayhome::reports {
ReportsSettings parseSettings(const services::SettingsSection& section,
                              const services::ServiceConfig& config) {
  const rapidjson::Document cfg = services::readSection(section);
  ReportsSettings s;
  s.enabled = schemas::memberFlag(cfg, "enabled", s.enabled);
  s.publish = schemas::memberFlag(cfg, "publish", s.publish);
  s.folder = schemas::memberText(cfg, "folder", s.folder.string());
  s.targetsFile = schemas::memberText(cfg, "targets_file", s.targetsFile.string());
  if (s.folder.empty()) s.folder = config.dataDir / "reports";
  return s;
}

std::unique_ptr<services::ModuleFactory> makeReportsModule() {
  return std::make_unique<services::ModuleOf<ReportsSettings>>("reports", kReportsSettingsSchema,
                                                               parseSettings, makeReportsComponent);
}

}  // namespace wayhome::reports
