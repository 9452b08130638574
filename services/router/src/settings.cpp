#include <rapidjson/document.h>

#include <wayhome/router/router.hpp>
#include <wayhome/router/settings.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kRouterSettingsSchema

namespace wayhome::services {

std::string_view routerSettingsSchema() {
  return kRouterSettingsSchema;
}

RouterSettings parseRouterSettings(const SettingsSection& section, const ServiceConfig&) {
  rapidjson::Document cfg;
  if (auto bad = schemas::parseJson(cfg, section.json); bad || !cfg.IsObject()) {
    throw section.error("", bad ? bad->message : "expected object");
  }
  RouterSettings s;
  s.rulesFile = defaultRulesFile();
  // The section passed the schema: every member read here has its type.
  if (const auto it = cfg.FindMember("enabled"); it != cfg.MemberEnd()) {
    s.enabled = it->value.GetBool();
  }
  if (const auto it = cfg.FindMember("rules_file"); it != cfg.MemberEnd()) {
    s.rulesFile = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  if (const auto it = cfg.FindMember("consent_sources"); it != cfg.MemberEnd()) {
    s.consentSources.emplace();
    for (const auto& v : it->value.GetArray())
      s.consentSources->emplace_back(v.GetString(), v.GetStringLength());
  }
  return s;
}

std::vector<std::string> consentSources(const std::optional<std::vector<std::string>>& configured,
                                        const ServiceConfig& config) {
  if (configured) return *configured;
  std::vector<std::string> out{"/wayhome/api"};
  for (const auto& c : config.connectors) {
    if (c.type == "gerica") out.push_back("/wayhome/connectors/gerica/" + c.name);
  }
  return out;
}

std::unique_ptr<ModuleFactory> makeRouterModule() {
  return std::make_unique<ModuleOf<RouterSettings>>(
      "router", routerSettingsSchema(), parseRouterSettings,
      [](RouterSettings settings) -> std::unique_ptr<Component> {
        return std::make_unique<Router>(RouterOptions{
            .rulesFile = settings.rulesFile, .consentSources = std::move(settings.consentSources)});
      });
}

}  // namespace wayhome::services
