#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/schemas/json_schema.hpp>

namespace wayhome::schemas {

/// A schema file that cannot be used; the message names the file.
class SchemaLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The catalogue of event schemas, keyed by CloudEvents `type`
/// (e.g. "tenancy.contract_signed.v1").
///
/// Loaded once at start-up from a folder of `<type>.schema.json` files; immutable and
/// thread-safe afterwards.
class SchemaRegistry {
 public:
  /// Loads every `*.schema.json` in `dir`. The event type is the file name without
  /// `.schema.json`; the schema's `title` must equal it.
  /// Errors: throws SchemaLoadError naming the file for unreadable, non-JSON or
  /// mistitled schemas, and when the folder holds no schema at all.
  static SchemaRegistry loadDirectory(const std::filesystem::path& dir);

  /// Validates an event's `data` (JSON text) against the schema of `type`.
  /// Returns nothing when valid; an unknown type is an error with keyword "type".
  [[nodiscard]] std::optional<ValidationError> validate(std::string_view type,
                                                        std::string_view data) const;

  /// True if `type` has a schema.
  [[nodiscard]] bool has(std::string_view type) const;
  /// The schema of `type`, or nullptr.
  [[nodiscard]] const JsonSchema* find(std::string_view type) const;
  /// Every known type, sorted.
  [[nodiscard]] std::vector<std::string> types() const;
  [[nodiscard]] std::size_t size() const { return schemas_.size(); }
  /// The folder the schemas were loaded from.
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::map<std::string, JsonSchema, std::less<>> schemas_;
};

}  // namespace wayhome::schemas
