#pragma once

#include <string_view>

namespace wayhome::text {

/// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. Free
/// text from outside must pass before it goes into JSON.
[[nodiscard]] bool validUtf8(std::string_view s);

}  // namespace wayhome::text
