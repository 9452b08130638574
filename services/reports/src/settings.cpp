#include <rapidjson/document.h>

#include <wayhome/reports/reports.hpp>
#include <wayhome/reports/settings.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kReportsSettingsSchema

namespace wayhome::reports {
std::string_view settingsSchema() {
  return kReportsSettingsSchema;
}

ReportsSettings parseSettings(const services::SettingsSection& section,
                              const services::ServiceConfig& config) {
  rapidjson::Document cfg;
  if (auto bad = schemas::parseJson(cfg, section.json); bad || !cfg.IsObject()) {
    throw section.error("", bad ? bad->message : "expected object");
  }
  ReportsSettings s;
  // The section passed the schema: every member read here has its type.
  if (const auto it = cfg.FindMember("enabled"); it != cfg.MemberEnd()) {
    s.enabled = it->value.GetBool();
  }
  if (const auto it = cfg.FindMember("publish"); it != cfg.MemberEnd()) {
    s.publish = it->value.GetBool();
  }
  if (const auto it = cfg.FindMember("folder"); it != cfg.MemberEnd()) {
    s.folder = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  if (const auto it = cfg.FindMember("targets_file"); it != cfg.MemberEnd()) {
    s.targetsFile = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  if (s.folder.empty()) s.folder = config.dataDir / "reports";
  return s;
}

std::unique_ptr<services::ModuleFactory> makeReportsModule() {
  return std::make_unique<services::ModuleOf<ReportsSettings>>("reports", settingsSchema(),
                                                               parseSettings, makeReportsComponent);
}

}  // namespace wayhome::reports
