#include <array>

#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/redact.hpp>

namespace wayhome::connectors {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool digitsAt(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!isDigit(s[i])) return false;
  }
  return true;
}

int number(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i)
    v = v * 10 + (s[i] - '0');
  return v;
}

bool realDate(int y, int m, int d) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int last = m == 2 && leap ? 29 : kDays[static_cast<std::size_t>(m - 1)];
  return d <= last;
}

}  // namespace

bool isIsoDate(std::string_view s) {
  return s.size() == 10 && digitsAt(s, 0, 4) && s[4] == '-' && digitsAt(s, 5, 2) && s[7] == '-' &&
         digitsAt(s, 8, 2) && realDate(number(s, 0, 4), number(s, 5, 2), number(s, 8, 2));
}

bool isRfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 35 || !isIsoDate(s.substr(0, 10))) return false;
  if (s[10] != 'T' && s[10] != 't') return false;
  if (!digitsAt(s, 11, 2) || s[13] != ':' || !digitsAt(s, 14, 2) || s[16] != ':' ||
      !digitsAt(s, 17, 2)) {
    return false;
  }
  // Second 60: a leap second, as RFC 3339 allows.
  if (number(s, 11, 2) > 23 || number(s, 14, 2) > 59 || number(s, 17, 2) > 60) return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && isDigit(s[i]))
      ++i;
    if (i == start || i - start > 9) return false;
  }
  const std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digitsAt(zone, 1, 2) &&
         zone[3] == ':' && digitsAt(zone, 4, 2) && number(zone, 1, 2) <= 23 &&
         number(zone, 4, 2) <= 59;
}

bool hasIdentityNumberShape(std::string_view t) {
  for (std::size_t i = 0; i + 11 <= t.size(); ++i) {
    if (!digitsAt(t, i, 6)) continue;
    if (digitsAt(t, i + 6, 5)) return true;
    if (t[i + 6] == ' ' && digitsAt(t, i + 7, 5)) return true;
  }
  // Valid numbers written with other separators ("010190-12345", "01.01.90 12345").
  return redact::containsIdentityNumber(t);
}

}  // namespace wayhome::connectors
