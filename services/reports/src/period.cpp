#include <wayhome/core/calendar.hpp>
#include <wayhome/reports/period.hpp>

namespace wayhome::reports {
namespace {

using namespace std::chrono;

bool digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s)
    n = n * 10 + (c - '0');
  return n;
}

sys_days firstDay(int year, int month) {
  return sys_days{std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(month)} / 1};
}

}  // namespace

Result<Period> Period::parse(std::string_view text) {
  const std::string shown(text.substr(0, 40));
  const std::string why = "period '" + shown + "': ";
  if (text.size() != 7 || text[4] != '-' || !digits(text.substr(0, 4))) {
    return Error::permanent(why + "must be a month YYYY-MM or a tertial YYYY-T1, -T2 or -T3");
  }
  Period p;
  p.year = number(text.substr(0, 4));
  if (p.year < 2000 || p.year > 2099) {
    return Error::permanent(why + "the year must be from 2000 to 2099");
  }
  if (text[5] == 'T') {
    if (text[6] < '1' || text[6] > '3') {
      return Error::permanent(why + "a tertial is T1 (Jan-Apr), T2 (May-Aug) or T3 (Sep-Dec)");
    }
    p.kind = Kind::kTertial;
    p.index = text[6] - '0';
    return p;
  }
  if (!digits(text.substr(5, 2))) {
    return Error::permanent(why + "must be a month YYYY-MM or a tertial YYYY-T1, -T2 or -T3");
  }
  p.index = number(text.substr(5, 2));
  if (p.index < 1 || p.index > 12) return Error::permanent(why + "the month must be 01 to 12");
  return p;
}

Period Period::monthOf(sys_seconds t) {
  const year_month_day ymd{scheduler::osloDay(t)};
  return {Kind::kMonth, static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month()))};
}

Period Period::tertialOf(sys_seconds t) {
  const Period m = monthOf(t);
  return {Kind::kTertial, m.year, (m.index - 1) / 4 + 1};
}

std::vector<Period> Period::ofYear(int year) {
  std::vector<Period> out;
  for (int m = 1; m <= 12; ++m)
    out.push_back({Kind::kMonth, year, m});
  for (int t = 1; t <= 3; ++t)
    out.push_back({Kind::kTertial, year, t});
  return out;
}

std::string Period::label() const {
  std::string out = std::to_string(year) + "-";
  if (kind == Kind::kTertial) return out + "T" + std::to_string(index);
  if (index < 10) out += '0';
  return out + std::to_string(index);
}

sys_seconds Period::start() const {
  const int month = kind == Kind::kMonth ? index : (index - 1) * 4 + 1;
  return sys_seconds{seconds{osloMidnightMs(firstDay(year, month)) / 1000}};
}

sys_seconds Period::end() const {
  const int lastMonth = kind == Kind::kMonth ? index : index * 4;
  const sys_days next = lastMonth == 12 ? firstDay(year + 1, 1) : firstDay(year, lastMonth + 1);
  return sys_seconds{seconds{osloMidnightMs(next) / 1000}};
}

std::int64_t Period::startMs() const {
  return duration_cast<milliseconds>(start().time_since_epoch()).count();
}

std::int64_t Period::endMs() const {
  return duration_cast<milliseconds>(end().time_since_epoch()).count();
}

Period Period::previous() const {
  if (index > 1) return {kind, year, index - 1};
  return {kind, year - 1, kind == Kind::kMonth ? 12 : 3};
}

Period Period::yearBefore() const {
  return {kind, year - 1, index};
}

std::vector<Period> Period::months() const {
  if (kind == Kind::kMonth) return {*this};
  std::vector<Period> out;
  for (int m = (index - 1) * 4 + 1; m <= index * 4; ++m)
    out.push_back({Kind::kMonth, year, m});
  return out;
}

std::int64_t osloMidnightMs(sys_days day) {
  const auto local = scheduler::LocalTime{day.time_since_epoch()};
  return duration_cast<milliseconds>(scheduler::fromOslo(local).time_since_epoch()).count();
}

}  // namespace wayhome::reports
