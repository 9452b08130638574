#pragma once

#include <string>
#include <string_view>

#include <rapidjson/fwd.h>

namespace wayhome::schemas {

/// Appends `s` to `out` as a quoted JSON string with every control character escaped.
void appendJsonString(std::string& out, std::string_view s);

/// `s` as a quoted JSON string.
[[nodiscard]] std::string jsonString(std::string_view s);

/// `v` as compact JSON text.
[[nodiscard]] std::string jsonText(const rapidjson::Value& v);

/// Turns a byte offset in `text` into "line L, column C" (1-based) for error messages.
[[nodiscard]] std::string describeOffset(std::string_view text, std::size_t offset);

}  // namespace wayhome::schemas
