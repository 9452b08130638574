#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/fwd.h>

#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/named_factories.hpp>

namespace wayhome::services {

/// `invalid`, an error of a settings' schema (its pointer inside the settings), as a
/// message about the whole file: `where` + the pointer + the sentence, e.g. where
/// "config f.json: /scheduler" gives "config f.json: /scheduler/poll_ms: expected
/// integer, got string (keyword 'type')".
[[nodiscard]] std::string errorInFile(const schemas::ValidationError& invalid,
                                      std::string_view where);

/// A service module's named factory (router, scheduler, delivery, reports): its name,
/// which is also its top-level config key, the JSON Schema of that section (kept beside
/// the module as settings.schema.json and compiled in), and create(). Made like a
/// connector's factory and registered the same way (ModuleRegistry).
class ModuleFactory {
 public:
  virtual ~ModuleFactory() = default;
  /// The module's name and config key ("scheduler").
  [[nodiscard]] virtual std::string_view type() const = 0;
  /// JSON Schema (draft-04) of the module's section.
  [[nodiscard]] virtual std::string_view configSchema() const = 0;
  /// Parses the module's section of `config` (which passed configSchema()) and checks
  /// it against the host's settings (sectors, data folder); nothing is started.
  /// Errors: throws ConfigError naming the key ("config <file>: /scheduler/...").
  virtual void check(const ServiceConfig& config) const = 0;
  /// The module's component from its section of `config` (which passed
  /// configSchema()), or nothing when its settings turn it off.
  /// Errors: as check().
  [[nodiscard]] virtual std::unique_ptr<Component> create(const ServiceConfig& config) const = 0;
};

/// The typed base of a module factory: parse the section into a plain `Settings`, then
/// construct. A module writes its settings struct, its schema, parse() and make().
template <class Settings>
class TypedModuleFactory : public ModuleFactory {
 public:
  void check(const ServiceConfig& config) const final {
    (void)parse(config.section(type()), config);
  }
  [[nodiscard]] std::unique_ptr<Component> create(const ServiceConfig& config) const final {
    return make(parse(config.section(type()), config), config);
  }
  /// The module's settings from its `section` of `config`, which passed configSchema().
  /// Errors: throws ConfigError naming the key (section.error()).
  [[nodiscard]] virtual Settings parse(const SettingsSection& section,
                                       const ServiceConfig& config) const = 0;

 protected:
  /// The component, or nothing when `settings` turn it off.
  [[nodiscard]] virtual std::unique_ptr<Component> make(Settings settings,
                                                        const ServiceConfig& config) const = 0;
};

/// A module's `section` (which passed the module's schema) as a document, for the
/// module's parse.
/// Errors: throws section.error("", why) when the text is not a JSON object.
[[nodiscard]] rapidjson::Document readSection(const SettingsSection& section);

/// Logs that the settings of module `type` turn its component off.
void logModuleDisabled(std::string_view type);

/// The factory of a module that is its four parts (router, scheduler, delivery,
/// reports): its name, its section's schema, its parse and the maker of its component.
/// Settings with an `enabled` flag that is false give no component (and say so) without
/// asking `make`; `make` itself may return nothing when the settings leave it no work.
/// `type` and `schema` are kept as views: text that lives as long as the program.
template <class Settings>
class ModuleOf final : public TypedModuleFactory<Settings> {
 public:
  using Parse = Settings (*)(const SettingsSection& section, const ServiceConfig& config);
  using Make = std::unique_ptr<Component> (*)(Settings settings);

  ModuleOf(std::string_view type, std::string_view schema, Parse parseSection, Make makeComponent)
      : type_(type), schema_(schema), parse_(parseSection), make_(makeComponent) {}

  [[nodiscard]] std::string_view type() const override { return type_; }
  [[nodiscard]] std::string_view configSchema() const override { return schema_; }
  [[nodiscard]] Settings parse(const SettingsSection& section,
                               const ServiceConfig& config) const override {
    return parse_(section, config);
  }

 protected:
  [[nodiscard]] std::unique_ptr<Component> make(Settings settings,
                                                const ServiceConfig& /*config*/) const override {
    if constexpr (requires { settings.enabled; }) {
      if (!settings.enabled) {
        logModuleDisabled(type_);
        return nullptr;
      }
    }
    return make_(std::move(settings));
  }

 private:
  std::string_view type_;
  std::string_view schema_;
  Parse parse_;
  Make make_;
};

/// The service modules this binary knows, by name. Register explicitly (the app's
/// registerBuiltinModules) from main and from tests; a duplicate name is a start-up
/// error.
class ModuleRegistry : public NamedFactories<ModuleFactory, ConfigError> {
 public:
  /// Checks every module's section of `config` against the module's schema, then has the
  /// module parse it; refuses a section no module owns. What `wayhome check-config`,
  /// `rules check --config` and serve do before anything starts.
  /// Errors: throws ConfigError naming the key, e.g. "config f.json:
  /// /scheduler/recurring/0/rrule: ...".
  void check(const ServiceConfig& config) const;

  /// The component of module `type` from `config`, or nothing when its settings turn it
  /// off.
  /// Errors: as check(), for this module's section.
  [[nodiscard]] std::unique_ptr<Component> create(std::string_view type,
                                                  const ServiceConfig& config) const;

  /// The typed settings of module `type` (a TypedModuleFactory<Settings>) from
  /// `config`: its section checked against its schema, then parsed. For commands that
  /// need one module's settings without its component (`wayhome report`) and tests.
  /// Errors: as check(), for this module's section; std::bad_cast for a wrong Settings.
  template <class Settings>
  [[nodiscard]] Settings settings(std::string_view type, const ServiceConfig& config) const {
    const auto& factory =
        dynamic_cast<const TypedModuleFactory<Settings>&>(validated(type, config));
    return factory.parse(config.section(type), config);
  }

 private:
  const ModuleFactory& validated(std::string_view type, const ServiceConfig& config) const;
};

}  // namespace wayhome::services
