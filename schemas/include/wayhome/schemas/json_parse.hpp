#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/fwd.h>

namespace wayhome::schemas {

/// The deepest nesting of arrays and objects read from outside input. Deep enough for
/// every event, config and rule file; shallow enough that code walking a document
/// recursively (copying, writing, validating) cannot run out of stack.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// How to read JSON text.
struct JsonParseOptions {
  /// Accept `//` and `/* */` comments (config and rule files do, events do not).
  bool allowComments = false;
  /// Stop after the first complete value; text after it is not read.
  bool stopWhenDone = false;
  /// Arrays and objects nested deeper than this are refused.
  std::size_t maxDepth = kMaxJsonDepth;
};

/// Why JSON text could not be read.
struct JsonParseError {
  /// Byte offset into the text where reading stopped.
  std::size_t offset = 0;
  /// True when the text nests deeper than JsonParseOptions::maxDepth.
  bool tooDeep = false;
  /// A sentence naming the place, e.g. "not valid JSON at line 1, column 9: Missing a
  /// comma or '}' after an object member." or "nesting deeper than 64 at byte 64
  /// (line 1, column 65)".
  std::string message;
};

/// Reads JSON text (UTF-8, checked) into `doc` without recursion, so no input can
/// exhaust the stack: RapidJSON's iterative parser with a depth cap. Use it for every
/// text that comes from outside the process (HTTP bodies, bus records, files).
/// Errors: returns the error and leaves `doc` null when the text is not JSON, is not
/// valid UTF-8 or nests deeper than `options.maxDepth`.
[[nodiscard]] std::optional<JsonParseError> parseJson(rapidjson::Document& doc,
                                                      std::string_view text,
                                                      JsonParseOptions options = {});

/// Readers of an object's members once a schema has checked it (settings, config): the
/// member `key`, or `fallback` where it is absent or of another type. `obj` may be any
/// value; a non-object has no members.
[[nodiscard]] const rapidjson::Value* member(const rapidjson::Value& obj, const char* key);
[[nodiscard]] std::string memberText(const rapidjson::Value& obj, const char* key,
                                     std::string fallback);
[[nodiscard]] std::int64_t memberInt(const rapidjson::Value& obj, const char* key,
                                     std::int64_t fallback);
[[nodiscard]] bool memberFlag(const rapidjson::Value& obj, const char* key, bool fallback);

}  // namespace wayhome::schemas
