#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/redact.hpp>

namespace wayhome::connectors {
namespace {

bool digitsAt(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// The years a source's date may name: anything outside is a typing error.
bool plausibleYear(std::string_view s) {
  return s.size() >= 4 && s.substr(0, 4) >= "1900" && s.substr(0, 4) <= "2200";
}

}  // namespace

bool isIsoDate(std::string_view s) {
  return plausibleYear(s) && scheduler::parseDate(s).has_value();
}

bool isRfc3339(std::string_view s) {
  return s.size() <= 35 && plausibleYear(s) && scheduler::parseRfc3339Ms(s).has_value();
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
