#include <algorithm>
#include <atomic>
#include <mutex>

#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/runtime/blocking_pool.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services {
namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t j = path.find('/', i);
    out.emplace_back(path.substr(i, j == std::string_view::npos ? path.size() - i : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hexValue(s[i + 1]);
      const int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view message, std::string_view extra) {
  std::string body = "{\"error\":";
  schemas::appendJsonString(body, message);
  if (!extra.empty()) {
    body += ',';
    body += extra;
  }
  body += '}';
  // Error texts quote what came in; an identity number in it never goes back out.
  return json(status, redact::identityNumbers(body));
}

void HttpRouter::add(std::string method, std::string pattern, Handler handler, Guard guard) {
  addAsync(
      std::move(method), std::move(pattern),
      [h = std::move(handler)](HttpRequest req, Responder respond) { respond(h(req)); },
      std::move(guard));
}

void HttpRouter::addBlocking(std::string method, std::string pattern, Handler handler,
                             BlockingPool& pool, Guard guard) {
  addAsync(
      std::move(method), std::move(pattern),
      [h = std::make_shared<const Handler>(std::move(handler)), &pool](HttpRequest req,
                                                                       Responder respond) {
        auto shared = std::make_shared<std::pair<HttpRequest, Responder>>(std::move(req), respond);
        const bool queued = pool.submit([h, shared] {
          HttpResponse response;
          try {
            response = (*h)(shared->first);
          } catch (const std::exception& e) {
            log::error("http", "handler failed",
                       {{"path", shared->first.path}, {"error", log::redact(e.what())}});
            response = HttpResponse::error(500, "internal error");
          } catch (...) {
            log::error("http", "handler failed", {{"path", shared->first.path}});
            response = HttpResponse::error(500, "internal error");
          }
          shared->second(std::move(response));
        });
        if (!queued) {
          auto busy = HttpResponse::error(503, "busy: too many slow requests; try again");
          busy.headers.emplace_back("Retry-After", "1");
          respond(std::move(busy));
        }
      },
      std::move(guard));
}

void HttpRouter::addAsync(std::string method, std::string pattern, AsyncHandler handler,
                          Guard guard) {
  auto segments = splitPath(pattern);
  auto shared = std::make_shared<const AsyncHandler>(std::move(handler));
  auto sharedGuard = guard ? std::make_shared<const Guard>(std::move(guard)) : nullptr;
  std::unique_lock lock(mutex_);
  for (auto& route : routes_) {
    if (route.method == method && route.segments == segments) {
      route.handler = std::move(shared);
      route.guard = std::move(sharedGuard);
      return;
    }
  }
  routes_.push_back(
      {std::move(method), std::move(segments), std::move(shared), std::move(sharedGuard)});
}

std::vector<HttpRouter::RouteInfo> HttpRouter::routes() const {
  std::shared_lock lock(mutex_);
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) {
    std::string pattern;
    for (const auto& s : route.segments)
      pattern += "/" + s;
    out.push_back({route.method, pattern.empty() ? "/" : pattern});
  }
  return out;
}

HttpRouter::Match HttpRouter::match(const HttpRequest& request) const {
  const auto segments = splitPath(request.path);
  std::vector<std::string> allowed;
  Match out;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool same = true;
    for (std::size_t i = 0; i < segments.size() && same; ++i) {
      const auto& s = route.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        params[s.substr(1, s.size() - 2)] = segments[i];
      } else {
        same = s == segments[i];
      }
    }
    if (!same) continue;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    out.route = &route;
    out.params = std::move(params);
    return out;
  }
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    std::string allow;
    for (const auto& m : allowed)
      allow += (allow.empty() ? "" : ", ") + m;
    auto r = HttpResponse::error(
        405, "method " + request.method + " is not allowed on " + request.path + "; use " + allow);
    r.headers.emplace_back("Allow", allow);
    out.refusal = std::move(r);
    return out;
  }
  out.refusal = HttpResponse::error(404, "no such resource: " + request.path);
  return out;
}

std::optional<HttpResponse> HttpRouter::admit(const HttpRequest& headersOnly) const {
  // Reads take no body: one announced on a GET or HEAD would only be read to be thrown
  // away (before any route's guard could refuse it).
  if (headersOnly.method == "GET" || headersOnly.method == "HEAD") {
    const std::string length = headersOnly.header("content-length");
    if ((!length.empty() && length != "0") || !headersOnly.header("transfer-encoding").empty()) {
      return HttpResponse::error(400, headersOnly.method + " requests take no body");
    }
  }
  std::shared_ptr<const Guard> guard;
  std::map<std::string, std::string> params;
  {
    std::shared_lock lock(mutex_);
    auto m = match(headersOnly);
    if (m.refusal) return std::move(m.refusal);
    guard = m.route->guard;
    params = std::move(m.params);
  }
  if (!guard) return std::nullopt;
  HttpRequest request = headersOnly;
  request.params = std::move(params);
  try {
    return (*guard)(request);
  } catch (const std::exception& e) {
    log::error("http", "guard failed",
               {{"path", headersOnly.path}, {"error", log::redact(e.what())}});
  } catch (...) {
    log::error("http", "guard failed", {{"path", headersOnly.path}});
  }
  return HttpResponse::error(500, "internal error");
}

void HttpRouter::handle(HttpRequest request, Responder respond) const {
  std::shared_ptr<const AsyncHandler> handler;
  {
    std::shared_lock lock(mutex_);
    auto m = match(request);
    if (m.refusal) {
      respond(std::move(*m.refusal));
      return;
    }
    request.params = std::move(m.params);
    // Called outside the lock: a handler may take its time, or add routes itself.
    handler = m.route->handler;
  }
  // Whatever the handler does, one answer: a throw before it answered is a 500, a throw
  // after it is only logged.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  Responder once = [answered, respond = std::move(respond)](HttpResponse r) {
    if (!answered->exchange(true)) respond(std::move(r));
  };
  const std::string path = request.path;
  try {
    (*handler)(std::move(request), once);
    return;
  } catch (const std::exception& e) {
    log::error("http", "handler failed", {{"path", path}, {"error", log::redact(e.what())}});
  } catch (...) {
    log::error("http", "handler failed", {{"path", path}});
  }
  once(HttpResponse::error(500, "internal error"));
}

}  // namespace wayhome::services
