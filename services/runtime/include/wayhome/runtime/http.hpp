#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
/// Decides on a request's method, target and headers alone (its body is empty and not
/// read yet): a response refuses it (and the body is never read), nothing lets it on.
using Guard = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

/// Maps method and path to handlers. Paths are literal segments or `{name}`
/// placeholders ("/api/v1/dlq/{id}"). Unknown path → 404; known path, other method
/// → 405 with Allow. A handler that throws gets a generic 500 (logged, redacted); the
/// process goes on.
class HttpRouter {
 public:
  /// Adds a route; the same method and pattern again replaces the earlier handler (a
  /// restarted connector takes its endpoint over). Thread-safe, also while serving.
  /// `guard`, when set, runs on the headers before the body is read (see admit()).
  void add(std::string method, std::string pattern, Handler handler, Guard guard = {});
  void addAsync(std::string method, std::string pattern, AsyncHandler handler, Guard guard = {});
  /// Like add(), for a handler that may block (bus scans, replays): it runs on `pool`,
  /// never on an I/O thread, and the caller gets 503 while the pool is full.
  void addBlocking(std::string method, std::string pattern, Handler handler, BlockingPool& pool,
                   Guard guard = {});
  /// Dispatches; always responds exactly once, also when the handler throws (500).
  void handle(HttpRequest request, Responder respond) const;
  /// The answer to a request known by its headers only, before its body is read: 400
  /// for a GET or HEAD that announces a body, 404 or 405 as handle() would give, or the
  /// refusal of the route's guard; nothing when the body may be read. Never throws (a
  /// throwing guard refuses with 500).
  [[nodiscard]] std::optional<HttpResponse> admit(const HttpRequest& headersOnly) const;

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
    std::shared_ptr<const Guard> guard;  ///< null: none
  };
  /// The route for `request` with its parameters, or the 404/405 answer.
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::optional<HttpResponse> refusal;
  };
  Match match(const HttpRequest& request) const;  // caller holds mutex_
  mutable std::shared_mutex mutex_;
  std::vector<Route> routes_;
};

/// The listener's settings that the configuration sets (config "http").
struct HttpSettings {
  std::string address = "127.0.0.1";
  int port = 8080;  ///< 0..65535; 0: the OS picks one (see HttpServer::port())
  std::size_t maxBodyBytes = 1024 * 1024;
  /// Reading the body once the headers are in, and again writing the response.
  std::chrono::milliseconds requestTimeout{30000};
  /// From a new connection (or the first byte of the next request on a kept-alive one)
  /// until the request's headers are complete, TLS handshake included: a slowloris
  /// client is cut off here.
  std::chrono::milliseconds headerTimeout{10000};
  /// How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idleTimeout{15000};
  /// Open connections at most, and from one remote address at most; a connection over
  /// either gets a short 503 and is closed at once.
  std::size_t maxConnections = 1024;
  std::size_t maxConnectionsPerAddress = 128;
  int threads = 2;
  /// TLS (HTTPS) when both are set: a PEM certificate chain and its PEM private key
  /// (config http.tls.cert_file / key_file).
  std::string tlsCertFile;
  std::string tlsKeyFile;
};

/// Listener settings: the configurable ones and what only code sets. Made from
/// nothing, the port is 0 (the OS picks one).
struct HttpServerOptions : HttpSettings {
  HttpServerOptions() { port = 0; }
  explicit HttpServerOptions(const HttpSettings& settings) : HttpSettings(settings) {}

  std::size_t maxHeaderBytes = 16 * 1024;
  /// Runs on every request's headers before its body is read (HttpRouter::admit): a
  /// response is sent instead (Connection: close) and the body is never read.
  Guard admit;
};

/// An HTTP/1.1 server (Beast), optionally over TLS 1.2+ (OpenSSL), with keep-alive, a
/// strand per connection, deadlines and limits. Oversized bodies get 413, oversized headers 431,
/// both with a JSON reason. Connections are capped in number (in all and per remote
/// address); headers, bodies and idle keep-alive each have their deadline; errors of
/// accept() are backed off; an exception in a handler is answered with 500 and the I/O
/// threads go on. Refused connections and requests are logged at most once a second
/// with a count.
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
