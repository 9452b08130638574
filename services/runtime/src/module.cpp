#include <wayhome/runtime/module.hpp>

namespace wayhome::services {

const ModuleFactory& ModuleRegistry::validated(std::string_view type,
                                               const ServiceConfig& config) const {
  const auto section = config.section(type);
  if (auto invalid = validate(type, section.json)) {
    // The message starts with the pointer inside the section ("(root)" for the section).
    const std::size_t skip = invalid->pointer.empty() ? 6 : invalid->pointer.size();
    throw ConfigError(section.where(invalid->pointer) + invalid->message.substr(skip));
  }
  return *find(type);
}

void ModuleRegistry::check(const ServiceConfig& config) const {
  for (const auto& [key, json] : config.modules) {
    if (find(key) == nullptr) {
      std::string known;
      for (const auto& t : types())
        known += (known.empty() ? "" : ", ") + t;
      throw ConfigError("config " + config.origin + ": /" + key + ": unknown property '" + key +
                        "' is not allowed: neither a host setting nor a module (modules: " + known +
                        ") (keyword 'additionalProperties')");
    }
  }
  for (const auto& type : types())
    validated(type, config).check(config);
}

std::unique_ptr<Component> ModuleRegistry::create(std::string_view type,
                                                  const ServiceConfig& config) const {
  return validated(type, config).create(config);
}

}  // namespace wayhome::services
