#pragma once

// The scheduler's calendar: Europe/Oslo time, Norwegian public holidays, working
// days and hours, and a small RRULE subset. Pure functions; no clock, no I/O.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>

namespace wayhome::scheduler {

using Days = std::chrono::sys_days;
using Instant = std::chrono::sys_seconds;
using LocalTime = std::chrono::local_seconds;

// ---- Europe/Oslo ---------------------------------------------------------------

/// The zone every meeting is in.
inline constexpr std::string_view kTimeZone = "Europe/Oslo";

/// Europe/Oslo's UTC offset at `t`: +2 h from the last Sunday of March 01:00 UTC to the
/// last Sunday of October 01:00 UTC (the EU rule, in force since 1996), else +1 h.
[[nodiscard]] std::chrono::seconds osloOffset(Instant t);
/// The wall-clock time in Oslo at `t`.
[[nodiscard]] LocalTime toOslo(Instant t);
/// The instant of Oslo wall-clock time `local`. A time that does not exist (the hour
/// skipped in March) moves forward by the gap; a time that exists twice (the hour
/// repeated in October) is the first of the two.
[[nodiscard]] Instant fromOslo(LocalTime local);
/// The Oslo calendar day of `t`.
[[nodiscard]] Days osloDay(Instant t);

/// "2027-01-05T09:00:00+01:00".
[[nodiscard]] std::string formatOsloRfc3339(Instant t);
/// iCalendar local DATE-TIME in Oslo: "20270105T090000".
[[nodiscard]] std::string formatIcalLocal(Instant t);
/// iCalendar UTC DATE-TIME: "20261122T100000Z".
[[nodiscard]] std::string formatIcalUtc(Instant t);
/// "2027-01-05" (bus/clock.hpp).
using wayhome::formatDate;
/// Parses "YYYY-MM-DD"; nothing for a malformed or impossible date (2027-02-30).
[[nodiscard]] std::optional<Days> parseDate(std::string_view text);
/// Parses RFC 3339 with Z or an offset ("2027-01-05T09:00:00.250+01:00") to ms since
/// the epoch; nothing for anything else (a space for the T, no zone, an impossible
/// date, an offset past 23:59, a fraction of no or more than nine digits). The one
/// RFC 3339 parser: every other reads through it.
[[nodiscard]] std::optional<std::int64_t> parseRfc3339Ms(std::string_view text);
/// parseRfc3339Ms() to the second (the fraction dropped).
[[nodiscard]] std::optional<Instant> parseRfc3339(std::string_view text);

// ---- holidays and working days ------------------------------------------------

/// Easter Sunday of `year` (Gregorian; the anonymous "Meeus/Jones/Butcher" algorithm).
[[nodiscard]] Days easterSunday(int year);

/// A Norwegian public holiday (helligdag or 1 and 17 May).
struct Holiday {
  Days day;
  std::string name;
};
/// Every public holiday of `year`, in date order: 1 Jan, Maundy Thursday, Good Friday,
/// Easter Sunday and Monday, 1 May, 17 May, Ascension Day, Whit Sunday and Monday,
/// 25 and 26 Dec.
[[nodiscard]] std::vector<Holiday> norwegianHolidays(int year);
[[nodiscard]] bool isPublicHoliday(Days d);
/// Monday to Friday and not a public holiday.
[[nodiscard]] bool isWorkingDay(Days d);
/// `d` if it is a working day, else the next one.
[[nodiscard]] Days nextWorkingDay(Days d);

/// Working hours in Oslo wall-clock minutes after midnight, end exclusive.
struct WorkingHours {
  std::chrono::minutes start{8 * 60};
  std::chrono::minutes end{15 * 60 + 30};
};
/// Parses "HH:MM".
[[nodiscard]] std::optional<std::chrono::minutes> parseClock(std::string_view text);

/// Whether a candidate slot [start, end) may be used (no clash with other meetings).
using SlotFree = std::function<bool(Instant start, Instant end)>;

/// The first slot of `length` on a working day in [notBefore, notAfter], inside
/// `hours`, on a grid of `length` from the start of the working day, that `free`
/// accepts. Nothing if the window has no such slot.
[[nodiscard]] std::optional<Instant> placeMeeting(Days notBefore, Days notAfter,
                                                  const WorkingHours& hours,
                                                  std::chrono::minutes length,
                                                  const SlotFree& free);

// ---- recurrence ----------------------------------------------------------------

/// The RRULE subset the scheduler understands:
///   FREQ=MONTHLY with BYDAY=<n><DD> (n = 1..5 or -1, e.g. 1TU, -1FR) or BYMONTHDAY=<d>;
///   FREQ=WEEKLY with BYDAY=<DD>[,<DD>...];
///   INTERVAL=<n> (weeks or months, counted from 1970), BYHOUR, BYMINUTE (Oslo time).
struct RecurrenceRule {
  enum class Frequency { kWeekly, kMonthly };
  struct ByDay {
    int ordinal = 0;  ///< 0: every such weekday (weekly)
    std::chrono::weekday weekday;
  };
  Frequency frequency = Frequency::kMonthly;
  int interval = 1;
  std::vector<ByDay> byDay;
  int byMonthDay = 0;  ///< 0: not set
  int hour = 9;
  int minute = 0;
};

/// Parses an RRULE value ("FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9").
/// Errors: permanent, naming the part that is wrong or unsupported.
[[nodiscard]] Result<RecurrenceRule> parseRecurrenceRule(std::string_view text);

/// The first occurrence strictly after `after` (Oslo wall-clock time).
[[nodiscard]] Instant nextOccurrence(const RecurrenceRule& rule, Instant after);

}  // namespace wayhome::scheduler
