#include <array>
#include <charconv>
#include <regex>

#include <wayhome/core/calendar.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/router/time_math.hpp>

namespace wayhome::services::router {
namespace {

int toInt(const std::ssub_match& m) {
  if (!m.matched) return 0;
  int v = 0;
  const std::string s = m.str();
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::optional<Duration> parseDuration(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  static const std::regex kIso(
      R"(^(-)?P(?:([0-9]{1,4})Y)?(?:([0-9]{1,5})M)?(?:([0-9]{1,5})W)?(?:([0-9]{1,6})D)?(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,7})M)?(?:([0-9]{1,9})S)?)?$)");
  static const std::regex kWorking(R"(^([0-9]{1,4})WD$)");
  const std::string s(text);
  std::smatch m;
  Duration d;
  d.text = s;
  if (std::regex_match(s, m, kWorking)) {
    d.workingDays = toInt(m[1]);
    return d;
  }
  if (!std::regex_match(s, m, kIso)) return std::nullopt;
  // "P" and "PT" alone say nothing.
  bool any = false;
  for (int i = 2; i <= 8; ++i)
    any = any || m[i].matched;
  if (!any || s.back() == 'T') return std::nullopt;
  d.sign = m[1].matched ? -1 : 1;
  d.years = toInt(m[2]);
  d.months = toInt(m[3]);
  d.days = toInt(m[4]) * 7 + toInt(m[5]);
  d.seconds = toInt(m[6]) * 3600LL + toInt(m[7]) * 60LL + toInt(m[8]);
  return d;
}

std::optional<std::chrono::sys_days> parseDate(std::string_view text) {
  using namespace std::chrono;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  auto num = [&](std::size_t at, std::size_t n, auto& out) {
    const auto r = std::from_chars(text.data() + at, text.data() + at + n, out);
    return r.ec == std::errc() && r.ptr == text.data() + at + n;
  };
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d)) return std::nullopt;
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd);
}

std::chrono::sys_days addToDate(std::chrono::sys_days day, const Duration& d) {
  using namespace std::chrono;
  if (d.workingDays > 0) {
    int left = d.workingDays;
    while (left > 0) {
      day += days(1);
      // Norwegian working days: no weekends, no public holidays (Easter computed).
      if (scheduler::isWorkingDay(day)) --left;
    }
    return day;
  }
  year_month_day ymd(day);
  auto ym = year_month(ymd.year(), ymd.month()) + months(d.sign * (d.years * 12 + d.months));
  const auto last = year_month_day_last(ym.year(), month_day_last(ym.month())).day();
  const year_month_day moved{ym.year(), ym.month(), std::min(ymd.day(), last)};
  return sys_days(moved) + days(d.sign * d.days);
}

Clock::TimePoint addToTime(Clock::TimePoint t, const Duration& d) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const auto timeOfDay = t - day;
  auto out = Clock::TimePoint(addToDate(day, d)) + timeOfDay;
  return out + seconds(d.sign * d.seconds);
}

std::string today(Clock::TimePoint t) {
  return formatDate(std::chrono::floor<std::chrono::days>(t));
}

std::string digest(std::string_view text, std::size_t chars) {
  return bus::stableHexId(text, chars);
}

}  // namespace wayhome::services::router
