#include <algorithm>
#include <mutex>

#include <wayhome/schemas/json_text.hpp>
#include <wayhome/runtime/http.hpp>

#include <wayhome/core/log.hpp>
#include <wayhome/runtime/blocking_pool.hpp>

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
  return json(status, std::move(body));
}

void HttpRouter::add(std::string method, std::string pattern, Handler handler) {
  addAsync(std::move(method), std::move(pattern),
           [h = std::move(handler)](HttpRequest req, Responder respond) { respond(h(req)); });
}

void HttpRouter::addBlocking(std::string method, std::string pattern, Handler handler,
                             BlockingPool& pool) {
  addAsync(std::move(method), std::move(pattern),
           [h = std::make_shared<const Handler>(std::move(handler)), &pool](HttpRequest req,
                                                                             Responder respond) {
             auto shared = std::make_shared<std::pair<HttpRequest, Responder>>(std::move(req),
                                                                                respond);
             const bool queued = pool.submit([h, shared] {
               HttpResponse response;
               try {
                 response = (*h)(shared->first);
               } catch (const std::exception& e) {
                 log::error("http", "handler failed",
                            {{"path", shared->first.path}, {"error", log::redact(e.what())}});
                 response = HttpResponse::error(500, "internal error");
               }
               shared->second(std::move(response));
             });
             if (!queued) {
               auto busy = HttpResponse::error(503, "busy: too many slow requests; try again");
               busy.headers.emplace_back("Retry-After", "1");
               respond(std::move(busy));
             }
           });
}

void HttpRouter::addAsync(std::string method, std::string pattern, AsyncHandler handler) {
  auto segments = splitPath(pattern);
  auto shared = std::make_shared<const AsyncHandler>(std::move(handler));
  std::unique_lock lock(mutex_);
  for (auto& route : routes_) {
    if (route.method == method && route.segments == segments) {
      route.handler = std::move(shared);
      return;
    }
  }
  routes_.push_back({std::move(method), std::move(segments), std::move(shared)});
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

void HttpRouter::handle(HttpRequest request, Responder respond) const {
  const auto segments = splitPath(request.path);
  std::vector<std::string> allowed;
  std::shared_lock lock(mutex_);
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& s = route.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        params[s.substr(1, s.size() - 2)] = segments[i];
      } else {
        match = s == segments[i];
      }
    }
    if (!match) continue;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    request.params = std::move(params);
    // Called outside the lock: a handler may take its time, or add routes itself.
    const auto handler = route.handler;
    lock.unlock();
    (*handler)(std::move(request), std::move(respond));
    return;
  }
  lock.unlock();
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    std::string allow;
    for (const auto& m : allowed)
      allow += (allow.empty() ? "" : ", ") + m;
    auto r = HttpResponse::error(
        405, "method " + request.method + " is not allowed on " + request.path + "; use " + allow);
    r.headers.emplace_back("Allow", allow);
    respond(std::move(r));
    return;
  }
  respond(HttpResponse::error(404, "no such resource: " + request.path));
}

}  // namespace wayhome::services
