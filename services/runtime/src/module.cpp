#include <rapidjson/document.h>

#include <wayhome/core/log.hpp>
#include <wayhome/runtime/module.hpp>
#include <wayhome/schemas/json_parse.hpp>

namespace wayhome::services {

std::string errorInFile(const schemas::ValidationError& invalid, std::string_view where) {
  // The message starts with the pointer ("(root)" for the settings themselves); one that
  // does not is kept whole.
  // (Both arms string_views: a std::string arm would make the result a temporary.)
  const std::string_view lead =
      invalid.pointer.empty() ? std::string_view("(root)") : std::string_view(invalid.pointer);
  std::string_view message = invalid.message;
  if (!message.starts_with(lead))
    return std::string(where) + invalid.pointer + ": " + invalid.message;
  message.remove_prefix(lead.size());
  return std::string(where) + invalid.pointer + std::string(message);
}

const ModuleFactory& ModuleRegistry::validated(std::string_view type,
                                               const ServiceConfig& config) const {
  const auto section = config.section(type);
  if (auto invalid = validate(type, section.json)) {
    throw ConfigError(errorInFile(*invalid, section.where("")));
  }
  return *find(type);
}

void ModuleRegistry::check(const ServiceConfig& config) const {
  for (const auto& [key, json] : config.modules) {
    if (find(key) == nullptr) {
      throw ConfigError("config " + config.origin + ": /" + key + ": unknown property '" + key +
                        "' is not allowed: neither a host setting nor a module (modules: " +
                        typeList() + ") (keyword 'additionalProperties')");
    }
  }
  for (const auto& type : types())
    validated(type, config).check(config);
}

std::unique_ptr<Component> ModuleRegistry::create(std::string_view type,
                                                  const ServiceConfig& config) const {
  return validated(type, config).create(config);
}

rapidjson::Document readSection(const SettingsSection& section) {
  rapidjson::Document doc;
  if (auto bad = schemas::parseJson(doc, section.json); bad || !doc.IsObject()) {
    throw section.error("", bad ? bad->message : "expected object");
  }
  return doc;
}

void logModuleDisabled(std::string_view type) {
  log::info(type, "disabled by configuration");
}

}  // namespace wayhome::services
