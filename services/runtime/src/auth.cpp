#include <wayhome/runtime/auth.hpp>

#include <wayhome/core/crypto.hpp>

namespace wayhome::services {

std::optional<HttpResponse> OpsAuth::check(const HttpRequest& request, Role needed,
                                           std::string& actor) const {
  if (tokens_.empty()) {
    if (needed == Role::kViewer || needed == Role::kReader) {
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
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
    auto r = HttpResponse::error(401, "missing bearer token (Authorization: Bearer <token>)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"wayhome\"");
    return r;
  }
  const std::string_view presented = std::string_view(header).substr(kBearer.size());
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
