#include <charconv>
#include <cstdio>

#include <wayhome/core/calendar.hpp>

namespace wayhome::scheduler {
namespace {

using namespace std::chrono;

// The one place the EU daylight-saving rule lives: summer time from the last Sunday of
// March 01:00 UTC to the last Sunday of October 01:00 UTC.
Instant summerStart(int y) {
  return Instant{sys_days{year{y} / March / Sunday[last]}} + hours(1);
}
Instant summerEnd(int y) {
  return Instant{sys_days{year{y} / October / Sunday[last]}} + hours(1);
}

constexpr seconds kWinter = hours(1);
constexpr seconds kSummer = hours(2);

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string twoDigits(long v) {
  return std::string(1, static_cast<char>('0' + (v / 10) % 10)) + static_cast<char>('0' + v % 10);
}

struct Fields {
  int y;
  unsigned mo, d;
  long h, mi, s;
};

Fields split(local_seconds t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<long>(hms.hours().count()),
          static_cast<long>(hms.minutes().count()),
          static_cast<long>(hms.seconds().count())};
}

Fields split(sys_seconds t) {
  return split(local_seconds{t.time_since_epoch()});
}

std::optional<weekday> parseWeekday(std::string_view s) {
  static constexpr std::string_view kNames[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
  for (unsigned i = 0; i < 7; ++i) {
    if (s == kNames[i]) return weekday{i};
  }
  return std::nullopt;
}

bool parseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

seconds osloOffset(Instant t) {
  const int y = static_cast<int>(year_month_day{floor<days>(t)}.year());
  return t >= summerStart(y) && t < summerEnd(y) ? kSummer : kWinter;
}

LocalTime toOslo(Instant t) {
  return LocalTime{t.time_since_epoch() + osloOffset(t)};
}

Instant fromOslo(LocalTime local) {
  const Instant asSummer{local.time_since_epoch() - kSummer};
  if (osloOffset(asSummer) == kSummer) return asSummer;  // earlier of two in October
  // Winter time, and the hour skipped in March: read with the winter offset, which
  // lands the same distance past the gap.
  return Instant{local.time_since_epoch() - kWinter};
}

Days osloDay(Instant t) {
  return Days{floor<days>(toOslo(t)).time_since_epoch()};
}

std::string formatOsloRfc3339(Instant t) {
  const auto f = split(toOslo(t));
  const auto off = duration_cast<minutes>(osloOffset(t)).count();
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02u-%02uT%02ld:%02ld:%02ld+%s:%s", f.y, f.mo, f.d, f.h, f.mi,
                f.s, twoDigits(off / 60).c_str(), twoDigits(off % 60).c_str());
  return b;
}

std::string formatIcalLocal(Instant t) {
  const auto f = split(toOslo(t));
  char b[48];
  std::snprintf(b, sizeof b, "%04d%02u%02uT%02ld%02ld%02ld", f.y, f.mo, f.d, f.h, f.mi, f.s);
  return b;
}

std::string formatIcalUtc(Instant t) {
  const auto f = split(t);
  char b[48];
  std::snprintf(b, sizeof b, "%04d%02u%02uT%02ld%02ld%02ldZ", f.y, f.mo, f.d, f.h, f.mi, f.s);
  return b;
}

std::optional<Days> parseDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, m) ||
      !digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Days{ymd};
}

std::optional<std::int64_t> parseRfc3339Ms(std::string_view s) {
  int h = 0, mi = 0, sec = 0;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const auto day = parseDate(s.substr(0, 10));
  if (!day || !digits(s, 11, 2, h) || !digits(s, 14, 2, mi) || !digits(s, 17, 2, sec) || h > 23 ||
      mi > 59 || sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (s[pos] == '.') {  // 1 to 9 digits; what is finer than a millisecond is dropped
    const std::size_t start = ++pos;
    for (int scale = 100; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10)
      ms += (s[pos] - '0') * scale;
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  minutes offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = hours(oh) + minutes(om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const auto at = Instant{*day} + hours(h) + minutes(mi) + seconds(sec) - offset;
  return duration_cast<milliseconds>(at.time_since_epoch()).count() + ms;
}

std::optional<Instant> parseRfc3339(std::string_view s) {
  const auto ms = parseRfc3339Ms(s);
  if (!ms) return std::nullopt;
  return Instant{floor<seconds>(milliseconds(*ms))};
}

Days easterSunday(int y) {
  const int a = y % 19;
  const int b = y / 100;
  const int c = y % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = ((h + l - 7 * m + 114) % 31) + 1;
  return Days{year{y} / static_cast<unsigned>(month) / static_cast<unsigned>(day)};
}

std::vector<Holiday> norwegianHolidays(int y) {
  const Days easter = easterSunday(y);
  const year yr{y};
  return {
      {Days{yr / January / 1}, "New Year's Day"},  {easter - days(3), "Maundy Thursday"},
      {easter - days(2), "Good Friday"},           {easter, "Easter Sunday"},
      {easter + days(1), "Easter Monday"},         {Days{yr / May / 1}, "Labour Day"},
      {Days{yr / May / 17}, "Constitution Day"},   {easter + days(39), "Ascension Day"},
      {easter + days(49), "Whit Sunday"},          {easter + days(50), "Whit Monday"},
      {Days{yr / December / 25}, "Christmas Day"}, {Days{yr / December / 26}, "Boxing Day"},
  };
}

bool isPublicHoliday(Days d) {
  const int y = static_cast<int>(year_month_day{d}.year());
  for (const auto& h : norwegianHolidays(y)) {
    if (h.day == d) return true;
  }
  return false;
}

bool isWorkingDay(Days d) {
  const weekday wd{d};
  return wd != Saturday && wd != Sunday && !isPublicHoliday(d);
}

Days nextWorkingDay(Days d) {
  while (!isWorkingDay(d))
    d += days(1);
  return d;
}

std::optional<minutes> parseClock(std::string_view s) {
  int h = 0, m = 0;
  if (s.size() != 5 || s[2] != ':' || !digits(s, 0, 2, h) || !digits(s, 3, 2, m) || h > 24 ||
      m > 59 || (h == 24 && m != 0)) {
    return std::nullopt;
  }
  return minutes(h * 60 + m);
}

std::optional<Instant> placeMeeting(Days notBefore, Days notAfter, const WorkingHours& hours,
                                    minutes length, const SlotFree& free) {
  if (length <= minutes(0)) return std::nullopt;
  for (Days d = notBefore; d <= notAfter; d += days(1)) {
    if (!isWorkingDay(d)) continue;
    const LocalTime midnight{d.time_since_epoch()};
    for (minutes m = hours.start; m + length <= hours.end; m += length) {
      const Instant start = fromOslo(midnight + m);
      const Instant end = fromOslo(midnight + m + length);
      if (!free || free(start, end)) return start;
    }
  }
  return std::nullopt;
}

Result<RecurrenceRule> parseRecurrenceRule(std::string_view text) {
  RecurrenceRule rule;
  bool haveFreq = false;
  bool haveHour = false;
  std::string_view rest = text;
  if (rest.substr(0, 6) == "RRULE:") rest.remove_prefix(6);
  if (rest.empty()) return Error::permanent("RRULE is empty");
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Error::permanent("RRULE part '" + std::string(part) + "' is not NAME=VALUE");
    }
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    const std::string where = "RRULE " + std::string(name) + ": ";
    if (name == "FREQ") {
      if (value == "MONTHLY") {
        rule.frequency = RecurrenceRule::Frequency::kMonthly;
      } else if (value == "WEEKLY") {
        rule.frequency = RecurrenceRule::Frequency::kWeekly;
      } else {
        return Error::permanent(where + "only MONTHLY and WEEKLY are supported");
      }
      haveFreq = true;
    } else if (name == "INTERVAL") {
      if (!parseInt(value, rule.interval) || rule.interval < 1 || rule.interval > 12) {
        return Error::permanent(where + "must be 1 to 12");
      }
    } else if (name == "BYDAY") {
      std::string_view list = value;
      while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item.size() < 2)
          return Error::permanent(where + "'" + std::string(item) + "' is not a day");
        const auto wd = parseWeekday(item.substr(item.size() - 2));
        if (!wd) return Error::permanent(where + "'" + std::string(item) + "' is not a day");
        RecurrenceRule::ByDay by{0, *wd};
        const auto ordinal = item.substr(0, item.size() - 2);
        if (!ordinal.empty()) {
          const auto digitsOnly = ordinal[0] == '+' ? ordinal.substr(1) : ordinal;
          if (!parseInt(digitsOnly, by.ordinal) || by.ordinal == 0 || by.ordinal > 5 ||
              by.ordinal < -1) {
            return Error::permanent(where + "ordinal in '" + std::string(item) +
                                    "' must be 1 to 5 or -1");
          }
        }
        rule.byDay.push_back(by);
      }
    } else if (name == "BYMONTHDAY") {
      if (!parseInt(value, rule.byMonthDay) || rule.byMonthDay < 1 || rule.byMonthDay > 28) {
        return Error::permanent(where + "must be 1 to 28");
      }
    } else if (name == "BYHOUR") {
      if (!parseInt(value, rule.hour) || rule.hour < 0 || rule.hour > 23) {
        return Error::permanent(where + "must be 0 to 23");
      }
      haveHour = true;
    } else if (name == "BYMINUTE") {
      if (!parseInt(value, rule.minute) || rule.minute < 0 || rule.minute > 59) {
        return Error::permanent(where + "must be 0 to 59");
      }
    } else {
      return Error::permanent("RRULE part " + std::string(name) + " is not supported");
    }
  }
  (void)haveHour;
  if (!haveFreq) return Error::permanent("RRULE FREQ: is required");
  if (rule.frequency == RecurrenceRule::Frequency::kWeekly) {
    if (rule.byDay.empty()) return Error::permanent("RRULE BYDAY: WEEKLY needs at least one day");
    for (const auto& by : rule.byDay) {
      if (by.ordinal != 0) return Error::permanent("RRULE BYDAY: WEEKLY days take no ordinal");
    }
    if (rule.byMonthDay != 0) return Error::permanent("RRULE BYMONTHDAY: not with WEEKLY");
  } else {
    if ((rule.byDay.empty()) == (rule.byMonthDay == 0)) {
      return Error::permanent("RRULE BYDAY: MONTHLY needs one of BYDAY=<n><day> or BYMONTHDAY");
    }
    if (rule.byDay.size() > 1) return Error::permanent("RRULE BYDAY: MONTHLY takes one day");
    if (!rule.byDay.empty() && rule.byDay[0].ordinal == 0) {
      return Error::permanent("RRULE BYDAY: MONTHLY needs an ordinal (1TU, -1FR)");
    }
  }
  return rule;
}

Instant nextOccurrence(const RecurrenceRule& rule, Instant after) {
  const minutes timeOfDay = hours(rule.hour) + minutes(rule.minute);
  auto at = [&](Days d) { return fromOslo(LocalTime{d.time_since_epoch()} + timeOfDay); };
  const Days from = osloDay(after);
  if (rule.frequency == RecurrenceRule::Frequency::kWeekly) {
    constexpr Days kEpochMonday = Days{year{1970} / January / 5};
    for (Days d = from;; d += days(1)) {
      const auto week = floor<weeks>(d - kEpochMonday).count();
      if (week % rule.interval != 0) continue;
      const weekday wd{d};
      for (const auto& by : rule.byDay) {
        if (by.weekday == wd && at(d) > after) return at(d);
      }
    }
  }
  year_month ym = year_month_day{from}.year() / year_month_day{from}.month();
  for (;; ym += months(1)) {
    const int monthIndex = (static_cast<int>(ym.year()) - 1970) * 12 +
                           static_cast<int>(static_cast<unsigned>(ym.month())) - 1;
    if (monthIndex % rule.interval != 0) continue;
    std::optional<Days> d;
    if (rule.byMonthDay != 0) {
      d = Days{ym / static_cast<unsigned>(rule.byMonthDay)};
    } else {
      const auto& by = rule.byDay[0];
      if (by.ordinal == -1) {
        d = Days{ym / by.weekday[last]};
      } else {
        const year_month_weekday ymw{ym.year(), ym.month(),
                                     by.weekday[static_cast<unsigned>(by.ordinal)]};
        if (ymw.ok()) d = Days{ymw};  // a month without a 5th such day is skipped
      }
    }
    if (d && at(*d) > after) return at(*d);
  }
}

}  // namespace wayhome::scheduler
