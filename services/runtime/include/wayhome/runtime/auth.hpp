#pragma once

#include <optional>
#include <string>
#include <string_view>
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
  /// kReporter: a reporter's token or an admin's (aggregate reports, nothing else), or
  /// anyone when no tokens are configured; a reporter token opens nothing else.
  enum class Role { kViewer, kAdmin, kCaseworker, kReader, kReporter };
  explicit OpsAuth(std::vector<ServiceConfig::OpsToken> tokens) : tokens_(std::move(tokens)) {}

  /// Who called: the token's name, role and (case workers) sectors.
  struct Caller {
    std::string name;
    std::string role;
    std::vector<std::string> sectors;
    /// True when `sector` is one of the caller's.
    [[nodiscard]] bool speaksFor(std::string_view sector) const;
  };

  /// Empty when `request` may act as `needed`, with the caller's name in `actor`;
  /// else the refusal: 401 without a known token, 403 with too small a role. The
  /// scheme name is case-insensitive ("bearer" works); tokens are compared as SHA-256
  /// digests in constant time, so neither content nor length leaks.
  [[nodiscard]] std::optional<HttpResponse> check(const HttpRequest& request, Role needed,
                                                  std::string& actor) const;
  /// The same, with the whole caller (sectors included) in `caller`.
  [[nodiscard]] std::optional<HttpResponse> check(const HttpRequest& request, Role needed,
                                                  Caller& caller) const;
  /// True when the request carries an admin token (for what only admins may see, such
  /// as whole dead-letter bodies); never a refusal.
  [[nodiscard]] bool isAdmin(const HttpRequest& request) const;

 private:
  std::vector<ServiceConfig::OpsToken> tokens_;
};

}  // namespace wayhome::services
