#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wayhome::schemas {

/// Why a JSON document did not pass: where, which keyword, and a sentence for people.
struct ValidationError {
  /// JSON Pointer into the document ("" is the root). For an unknown or missing
  /// property it names that property, e.g. "/bus/bogus".
  std::string pointer;
  /// The JSON Schema keyword that failed ("required", "type", ...), or "parse" when
  /// the text is not JSON at all or nests deeper than kMaxJsonDepth (json_parse.hpp).
  std::string keyword;
  /// Human-readable message that includes the pointer and the keyword.
  std::string message;
};

/// Options for parsing JSON text.
struct ParseOptions {
  /// Accept `//` and `/* */` comments (config files do, events do not).
  bool allowComments = false;
};

/// One compiled JSON Schema (draft-04, as RapidJSON implements it).
///
/// Thread-safe for concurrent validate() calls once constructed.
class JsonSchema {
 public:
  /// Compiles a schema from its JSON text.
  /// Errors: throws std::invalid_argument naming `origin` if the text is not JSON or
  /// not an object.
  JsonSchema(std::string_view schemaText, std::string origin);
  ~JsonSchema();
  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;

  /// Validates JSON text without recursion (text nested deeper than kMaxJsonDepth is
  /// refused with keyword "parse"). Returns nothing when valid.
  [[nodiscard]] std::optional<ValidationError> validate(std::string_view json,
                                                        ParseOptions options = {}) const;

  /// The schema's `title` (empty if none).
  [[nodiscard]] const std::string& title() const;
  /// The schema text as loaded.
  [[nodiscard]] const std::string& text() const;
  /// Where the schema came from (file name or a label).
  [[nodiscard]] const std::string& origin() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wayhome::schemas
