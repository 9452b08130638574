#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wayhome::bus {

/// True when `s` holds `length` or more decimal digits in a row.
[[nodiscard]] bool hasDigitRun(std::string_view s, std::size_t length);

/// A stable id derived from `material`: the first `hexChars` hex digits of its SHA-256,
/// re-derived (with a counter) while they hold an 11-digit run. Ids travel in logs,
/// audit texts and calendars, where an 11-digit run looks like a national identity
/// number to every privacy check (and to log::redact); about one digest in eight would.
[[nodiscard]] std::string stableHexId(std::string_view material, std::size_t hexChars = 32);

}  // namespace wayhome::bus
