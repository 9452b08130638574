#include <rapidjson/document.h>

#include <wayhome/router/router.hpp>
#include <wayhome/router/settings.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kRouterSettingsSchema

namespace wayhome::services {

RouterSettings parseRouterSettings(const SettingsSection& section, const ServiceConfig&) {
  const rapidjson::Document cfg = readSection(section);
  RouterSettings s;
  s.rulesFile = defaultRulesFile();
  s.enabled = schemas::memberFlag(cfg, "enabled", s.enabled);
  s.rulesFile = schemas::memberText(cfg, "rules_file", s.rulesFile.string());
  // The section passed the schema: the list holds strings.
  if (const auto* sources = schemas::member(cfg, "consent_sources")) {
    s.consentSources.emplace();
    for (const auto& v : sources->GetArray())
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
      "router", kRouterSettingsSchema, parseRouterSettings,
      [](RouterSettings settings) -> std::unique_ptr<Component> {
        return std::make_unique<Router>(RouterOptions{
            .rulesFile = settings.rulesFile, .consentSources = std::move(settings.consentSources)});
      });
}

}  // namespace wayhome::services
