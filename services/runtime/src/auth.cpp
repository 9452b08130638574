#include <cctype>

#include <wayhome/core/crypto.hpp>
#include <wayhome/runtime/auth.hpp>

namespace wayhome::services {

bool OpsAuth::Caller::speaksFor(std::string_view sector) const {
  for (const auto& s : sectors) {
    if (s == sector) return true;
  }
  return false;
}

std::optional<HttpResponse> OpsAuth::check(const HttpRequest& request, Role needed,
                                           std::string& actor) const {
  Caller caller;
  auto refusal = check(request, needed, caller);
  actor = caller.name;
  return refusal;
}

bool OpsAuth::isAdmin(const HttpRequest& request) const {
  Caller caller;
  return !tokens_.empty() && !check(request, Role::kAdmin, caller).has_value();
}

std::optional<HttpResponse> OpsAuth::check(const HttpRequest& request, Role needed,
                                           Caller& caller) const {
  std::string& actor = caller.name;
  if (tokens_.empty()) {
    if (needed == Role::kViewer || needed == Role::kReader || needed == Role::kReporter) {
      actor = "anonymous";
      return std::nullopt;
    }
    if (needed == Role::kCaseworker) {
      return HttpResponse::error(
          403, "the case-work API needs a token with role caseworker; configure ops.tokens");
    }
    return HttpResponse::error(403, "admin actions need an operator token; configure ops.tokens");
  }
  const std::string header = request.header("authorization");
  // RFC 9110: the scheme is case-insensitive; one or more spaces follow it.
  constexpr std::string_view kBearer = "bearer ";
  bool bearer = header.size() > kBearer.size();
  for (std::size_t i = 0; bearer && i < kBearer.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(header[i])) == kBearer[i];
  }
  std::size_t start = kBearer.size();
  while (bearer && start < header.size() && header[start] == ' ')
    ++start;
  if (!bearer || start == header.size()) {
    auto r = HttpResponse::error(401, "missing bearer token (Authorization: Bearer <token>)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"wayhome\"");
    return r;
  }
  const std::string_view presented = std::string_view(header).substr(start);
  const ServiceConfig::OpsToken* match = nullptr;
  for (const auto& t : tokens_) {  // no early exit: every token is compared
    if (crypto::constantTimeEquals(presented, t.token)) match = &t;
  }
  if (match == nullptr) {
    auto r = HttpResponse::error(401, "unknown token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"wayhome\", error=\"invalid_token\"");
    return r;
  }
  actor = match->name;
  caller.role = match->role;
  caller.sectors = match->sectors;
  // A reporter reads aggregate reports only: no meeting, no operator endpoint.
  if (match->role == "reporter" && needed != Role::kReporter) {
    return HttpResponse::error(
        403, "token '" + match->name + "' is a reporter's; it reads /api/v1/reports only");
  }
  if (needed == Role::kReporter) {
    if (match->role == "reporter" || match->role == "admin") return std::nullopt;
    return HttpResponse::error(403, "token '" + match->name + "' is a " + match->role +
                                        "'s; reports need role reporter or admin");
  }
  if (needed == Role::kReader) return std::nullopt;
  const bool caseworker = match->role == "caseworker";
  if (needed == Role::kCaseworker && !caseworker) {
    return HttpResponse::error(403, "token '" + match->name + "' is an operator's (" + match->role +
                                        "); this needs role caseworker");
  }
  if (needed != Role::kCaseworker && caseworker) {
    return HttpResponse::error(
        403, "token '" + match->name + "' is a case worker's; the ops API needs viewer or admin");
  }
  if (needed == Role::kAdmin && match->role != "admin") {
    return HttpResponse::error(403, "token '" + match->name + "' is a viewer; this needs admin");
  }
  actor = match->name;
  return std::nullopt;
}

}  // namespace wayhome::services
