#pragma once

// Shapes every connector checks in its source's records, in one place.

#include <string_view>

namespace wayhome::connectors {

/// YYYY-MM-DD and a real calendar date (years 1900 to 2200).
[[nodiscard]] bool isIsoDate(std::string_view s);

/// An RFC 3339 date-time with seconds and a zone ("Z" or ±hh:mm; fractions up to 9
/// digits). Only this exact shape becomes a CloudEvent time.
[[nodiscard]] bool isRfc3339(std::string_view s);

/// Six digits, an optional space, five digits, or whatever else the one redactor
/// withholds (redact::containsIdentityNumber: "010190-12345", "01.01.90 12345" when
/// valid): what a national identity number looks like anywhere in `text` (free text,
/// ids, names), so that it is never echoed.
[[nodiscard]] bool hasIdentityNumberShape(std::string_view text);

}  // namespace wayhome::connectors
