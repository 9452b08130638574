#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/schemas/json_schema.hpp>

namespace wayhome::services {

/// Factories registered by name, each with the JSON Schema of its settings: the one
/// mechanism behind connectors, simulators and the service modules (router, scheduler,
/// delivery, reports). Register explicitly from main and from tests; a duplicate name is
/// a start-up error. `Factory` has `type()` (its name) and `configSchema()` (draft-04
/// JSON Schema text); `Error` is what checked() throws.
template <class Factory, class Error>
class NamedFactories {
 public:
  /// Errors: throws std::logic_error when the type is registered already, or its
  /// schema is not JSON.
  void add(std::unique_ptr<Factory> factory) {
    const std::string type(factory->type());
    if (entries_.contains(type)) {
      throw std::logic_error("'" + type + "' is registered twice");
    }
    auto schema = std::make_unique<schemas::JsonSchema>(factory->configSchema(),
                                                        "settings schema of " + type);
    entries_.emplace(type, Entry{std::move(factory), std::move(schema)});
  }

  /// The factory of `type`, or nullptr.
  [[nodiscard]] const Factory* find(std::string_view type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : it->second.factory.get();
  }

  /// The registered names, sorted.
  [[nodiscard]] std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, entry] : entries_)
      out.push_back(type);
    return out;
  }

  /// The registered names for messages: "a, b, c".
  [[nodiscard]] std::string typeList() const {
    std::string out;
    for (const auto& [type, entry] : entries_)
      out += (out.empty() ? "" : ", ") + type;
    return out;
  }

  /// Why `settingsJson` does not pass the schema of `type` (its pointer relative to
  /// the settings), or nothing. Errors: throws Error for an unknown type.
  [[nodiscard]] std::optional<schemas::ValidationError> validate(
      std::string_view type, std::string_view settingsJson) const {
    return entry(type, std::string(type)).schema->validate(settingsJson);
  }

  /// The factory of `type` once `settingsJson` passed its schema.
  /// Errors: throws Error naming the instance, the key and the problem, or an unknown
  /// type with the known ones.
  [[nodiscard]] const Factory& checked(std::string_view type, const std::string& instanceName,
                                       std::string_view settingsJson) const {
    const auto& e = entry(type, instanceName);
    if (auto invalid = e.schema->validate(settingsJson)) {
      throw Error("'" + instanceName + "' settings: " + invalid->message);
    }
    return *e.factory;
  }

 private:
  struct Entry {
    std::unique_ptr<Factory> factory;
    std::unique_ptr<schemas::JsonSchema> schema;
  };

  const Entry& entry(std::string_view type, const std::string& instanceName) const {
    auto it = entries_.find(type);
    if (it == entries_.end()) {
      throw Error("'" + instanceName + "': unknown type '" + std::string(type) +
                  "' (known: " + typeList() + ")");
    }
    return it->second;
  }

  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace wayhome::services
