#include <vector>

#include <wayhome/core/redact.hpp>

namespace wayhome::redact {
namespace {

constexpr std::string_view kMark = "[redacted]";
constexpr std::size_t kDigits = 11;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isSeparator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '/';
}

int checkDigit(std::string_view digits, const int* weights, std::size_t count) {
  int sum = 0;
  for (std::size_t i = 0; i < count; ++i)
    sum += (digits[i] - '0') * weights[i];
  const int k = 11 - (sum % 11);
  return k == 11 ? 0 : k;  // 10: no valid check digit
}

// Marks in `hide` (same length as `text`) what identityNumbers() replaces.
bool mark(std::string_view text, std::vector<bool>& hide) {
  bool any = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!isDigit(text[i])) {
      ++i;
      continue;
    }
    // A chain: digit groups joined by one separator each.
    struct Group {
      std::size_t begin;
      std::size_t end;
    };
    std::vector<Group> groups;
    std::size_t j = i;
    for (;;) {
      const std::size_t begin = j;
      while (j < text.size() && isDigit(text[j]))
        ++j;
      groups.push_back({begin, j});
      if (j + 1 < text.size() && isSeparator(text[j]) && isDigit(text[j + 1])) {
        ++j;
        continue;
      }
      break;
    }
    for (std::size_t a = 0; a < groups.size(); ++a) {
      if (groups[a].end - groups[a].begin == kDigits) {
        for (std::size_t k = groups[a].begin; k < groups[a].end; ++k)
          hide[k] = true;
        any = true;
        continue;
      }
      std::string digits;
      for (std::size_t b = a; b < groups.size(); ++b) {
        digits.append(text.substr(groups[b].begin, groups[b].end - groups[b].begin));
        if (digits.size() > kDigits) break;
        if (digits.size() == kDigits && b > a && mod11Valid(digits)) {
          for (std::size_t k = groups[a].begin; k < groups[b].end; ++k)
            hide[k] = true;
          any = true;
          break;
        }
      }
    }
    i = j;
  }
  return any;
}

}  // namespace

bool mod11Valid(std::string_view d) {
  if (d.size() != kDigits) return false;
  for (char c : d) {
    if (!isDigit(c)) return false;
  }
  static constexpr int kW1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
  static constexpr int kW2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  const int k1 = checkDigit(d, kW1, 9);
  if (k1 == 10 || k1 != d[9] - '0') return false;
  const int k2 = checkDigit(d, kW2, 10);
  return k2 != 10 && k2 == d[10] - '0';
}

std::string identityNumbers(std::string_view text) {
  std::vector<bool> hide(text.size(), false);
  if (!mark(text, hide)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (!hide[i]) {
      out += text[i++];
      continue;
    }
    while (i < text.size() && hide[i])
      ++i;
    out += kMark;
  }
  return out;
}

bool containsIdentityNumber(std::string_view text) {
  std::vector<bool> hide(text.size(), false);
  return mark(text, hide);
}

}  // namespace wayhome::redact
