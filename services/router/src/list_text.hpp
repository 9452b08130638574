#pragma once

// Lists stored as comma-separated text in the router's tables (sectors, fields).

#include <string>
#include <vector>

namespace wayhome::services::router {

/// The non-empty items of a comma-separated list (",a,b," and "a,b" alike).
inline std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto next = text.find(',', at);
    if (next == std::string::npos) next = text.size();
    if (next > at) out.push_back(text.substr(at, next - at));
    at = next + 1;
  }
  return out;
}

}  // namespace wayhome::services::router
