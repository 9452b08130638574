#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wayhome::text {

/// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. Free
/// text from outside must pass before it goes into JSON.
[[nodiscard]] bool validUtf8(std::string_view s);

/// `s` fit for XML and HTML text and attribute values: & < > " as entities.
[[nodiscard]] std::string escapeMarkup(std::string_view s);

/// The name of `value` from `names`, given in the enumeration's order (enumerators
/// numbered 0, 1, 2, ...); `fallback` for a value outside the table.
template <typename Enum, std::size_t N>
[[nodiscard]] constexpr const char* enumName(Enum value, const char* const (&names)[N],
                                             const char* fallback) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : fallback;
}

}  // namespace wayhome::text
