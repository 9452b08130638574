#pragma once

#include <string>
#include <string_view>

/// The one redactor of national identity numbers (fødselsnummer, D-number): every
/// output that may carry text from outside — log lines, connector `last_error`,
/// dead-letter reason headers, HTTP error bodies — passes through it.
namespace wayhome::redact {

/// `text` with every identity number replaced by "[redacted]":
/// - every run of exactly 11 digits (whatever its check digits: the shape alone is
///   withheld), and
/// - every 11 digits written in groups joined by single separators (space, '-', '.',
///   '/'), e.g. "010190-12345", "010190 12345", "01.01.90 12345", when the 11 digits
///   pass both mod-11 checks. Only whole groups count, so dates, times, addresses and
///   longer numbers stay as they are unless they add up to a valid number.
[[nodiscard]] std::string identityNumbers(std::string_view text);

/// True when identityNumbers() would change `text`.
[[nodiscard]] bool containsIdentityNumber(std::string_view text);

/// Both mod-11 check digits of 11 digits hold (`digits` must be 11 ASCII digits).
[[nodiscard]] bool mod11Valid(std::string_view digits);

}  // namespace wayhome::redact
