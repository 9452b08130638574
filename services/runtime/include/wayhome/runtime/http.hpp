#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wayhome::services {

class BlockingPool;

/// An HTTP request as handlers see it: no sockets, no Beast.
struct HttpRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< as sent, e.g. "/api/v1/dlq?limit=10"
  std::string path;    ///< target without the query, percent-decoded
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body;
  std::string remoteAddress;
  /// Values of `{name}` segments of the matched route.
  std::map<std::string, std::string> params;

  /// The first header called `name` (lower case), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

/// An HTTP response.
struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// A JSON response with `body` as is.
  static HttpResponse json(int status, std::string body);
  /// `{"error": message}` with `status`; extra fields are raw JSON members.
  static HttpResponse error(int status, std::string_view message, std::string_view extra = {});
};

/// Calls `respond` exactly once, from any thread, now or later.
using Responder = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(HttpRequest, Responder)>;
using Handler = std::function<HttpResponse(const HttpRequest&)>;

/// Maps method and path to handlers. Paths are literal segments or `{name}`
/// placeholders ("/api/v1/dlq/{id}"). Unknown path → 404; known path, other method
/// → 405 with Allow. Immutable once serving starts.
class HttpRouter {
 public:
  /// Adds a route; the same method and pattern again replaces the earlier handler (a
  /// restarted connector takes its endpoint over). Thread-safe, also while serving.
  void add(std::string method, std::string pattern, Handler handler);
  void addAsync(std::string method, std::string pattern, AsyncHandler handler);
  /// Like add(), for a handler that may block (bus scans, replays): it runs on `pool`,
  /// never on an I/O thread, and the caller gets 503 while the pool is full.
  void addBlocking(std::string method, std::string pattern, Handler handler, BlockingPool& pool);
  /// Dispatches; always responds exactly once.
  void handle(HttpRequest request, Responder respond) const;

  /// A registered route: its method and pattern ("/api/v1/dlq/{id}").
  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  /// Every registered route, in registration order (the route-table test checks that
  /// each one refuses callers without the right role).
  [[nodiscard]] std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::shared_ptr<const AsyncHandler> handler;
  };
  mutable std::shared_mutex mutex_;
  std::vector<Route> routes_;
};

/// Listener settings.
struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: the OS picks one (see HttpServer::port())
  std::size_t maxBodyBytes = 1024 * 1024;
  std::size_t maxHeaderBytes = 16 * 1024;
  std::chrono::milliseconds requestTimeout{30000};
  int threads = 2;
  /// TLS (HTTPS) when both are set: a PEM certificate chain and its PEM private key.
  std::string tlsCertFile;
  std::string tlsKeyFile;
};

/// An HTTP/1.1 server (Beast), optionally over TLS 1.2+ (OpenSSL), with keep-alive, a
/// strand per connection, deadlines and limits. Oversized bodies get 413, oversized headers 431,
/// both with a JSON reason.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, AsyncHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the worker threads.
  /// Errors: throws std::runtime_error naming the address when it cannot listen, or
  /// the file when the TLS certificate or key cannot be used.
  void start();
  /// The port actually listened on.
  [[nodiscard]] std::uint16_t port() const;
  /// Stops accepting, lets requests in flight finish up to `grace`, then stops.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Percent-decodes a URL component ('+' stays '+'). Invalid escapes stay as they are.
[[nodiscard]] std::string percentDecode(std::string_view s);

}  // namespace wayhome::services
