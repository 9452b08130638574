#pragma once

// Calendar arithmetic for rules: ISO 8601 durations, working days, dates. All in UTC
// days; the Europe/Oslo offset never moves a date by a whole day at the hours we use.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <wayhome/core/clock.hpp>

namespace wayhome::services::router {

/// An ISO 8601 duration ("P1Y", "-P6M", "P2W", "PT48H") or a count of working days.
struct Duration {
  int sign = 1;
  int years = 0;
  int months = 0;
  int days = 0;
  long long seconds = 0;
  /// Monday to Friday; public holidays are not known here.
  int workingDays = 0;
  /// The text it was read from (stored with pending referrals).
  std::string text;
};

/// Parses "P..."/"-P..." (years, months, weeks, days, hours, minutes, seconds) or
/// "<n>WD" (working days, e.g. "2WD").
/// Errors: returns nothing for anything else.
[[nodiscard]] std::optional<Duration> parseDuration(std::string_view text);

/// Parses "YYYY-MM-DD" (a real calendar day).
[[nodiscard]] std::optional<std::chrono::sys_days> parseDate(std::string_view text);
using wayhome::formatDate;  // "YYYY-MM-DD" (bus/clock.hpp)

/// `day` moved by `d` (month ends clamp: 31 Jan + P1M = 28/29 Feb).
[[nodiscard]] std::chrono::sys_days addToDate(std::chrono::sys_days day, const Duration& d);
/// `t` moved by `d`.
[[nodiscard]] Clock::TimePoint addToTime(Clock::TimePoint t, const Duration& d);

/// The UTC day of `t` as "YYYY-MM-DD".
[[nodiscard]] std::string today(Clock::TimePoint t);

/// Lower-case hex of SHA-256 over `text`, first `chars` characters: stable output ids.
[[nodiscard]] std::string digest(std::string_view text, std::size_t chars = 32);

}  // namespace wayhome::services::router
