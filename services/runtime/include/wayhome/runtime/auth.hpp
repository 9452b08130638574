#pragma once

#include <optional>
#include <string>
#include <vector>

#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/http.hpp>

namespace wayhome::services {

/// Who may use the operations API. Tokens come from the config (ops.tokens); they are
/// compared in constant time and never logged.
class OpsAuth {
 public:
  /// Viewer < admin for operators; a case worker (the systems that record consents
  /// and acknowledge referrals) is a role of its own: it may use the case-work API
  /// only, and no operator token may use that.
  /// kReader: any known token (viewer, admin or case worker), or anyone when no tokens
  /// are configured; for what both operators and case workers read (meetings).
  enum class Role { kViewer, kAdmin, kCaseworker, kReader };
  explicit OpsAuth(std::vector<ServiceConfig::OpsToken> tokens) : tokens_(std::move(tokens)) {}

  /// Empty when `request` may act as `needed`, with the caller's name in `actor`;
  /// else the refusal: 401 without a known token, 403 with too small a role.
  [[nodiscard]] std::optional<HttpResponse> check(const HttpRequest& request, Role needed,
                                                  std::string& actor) const;

 private:
  std::vector<ServiceConfig::OpsToken> tokens_;
};

}  // namespace wayhome::services
