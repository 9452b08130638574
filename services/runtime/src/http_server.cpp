#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <wayhome/core/log.hpp>
#include <wayhome/core/thread_name.hpp>
#include <wayhome/runtime/asio.hpp>
#include <wayhome/runtime/http.hpp>

namespace wayhome::services {
namespace {

using namespace net;  // NOLINT(google-build-using-namespace): asio/beast aliases only.

namespace ssl = asio::ssl;

/// Logs a kind of refusal at most once a second, with how many were not logged.
class Throttle {
 public:
  explicit Throttle(std::string message) : message_(std::move(message)) {}
  void note(std::string_view detail) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto due = next_.load();
    ++count_;
    if (now < due || !next_.compare_exchange_strong(due, now + kPeriod)) return;
    log::warn("http", message_,
              {{"detail", std::string(detail)},
               {"count_since_last", std::to_string(count_.exchange(0))}});
  }

 private:
  static constexpr std::int64_t kPeriod =
      std::chrono::steady_clock::duration(std::chrono::seconds(1)).count();
  std::string message_;
  std::atomic<std::int64_t> next_{0};
  std::atomic<std::uint64_t> count_{0};
};

struct Shared {
  HttpServerOptions options;
  std::optional<ssl::context> tls;  ///< set: every connection speaks TLS
  AsyncHandler handler;
  std::atomic<int> sessions{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  // Open connections, in all and per remote address (under `mutex`).
  std::size_t open = 0;
  std::unordered_map<std::string, std::size_t> perAddress;
  Throttle refusedConnections{"connections refused (connection limits)"};
  Throttle refusedRequests{"requests refused before their body was read"};
  Throttle badRequests{"malformed or oversized requests"};
  Throttle timeouts{"connections timed out (headers, body or idle)"};

  /// Takes a connection slot for `address`; false when a cap is reached.
  bool claim(const std::string& address, std::string& why) {
    std::lock_guard lock(mutex);
    if (open >= options.maxConnections) {
      why = "max_connections (" + std::to_string(options.maxConnections) + ") reached";
      return false;
    }
    auto& mine = perAddress[address];
    if (mine >= options.maxConnectionsPerAddress) {
      why = "max_connections_per_address (" + std::to_string(options.maxConnectionsPerAddress) +
            ") reached by " + address;
      return false;
    }
    ++mine;
    ++open;
    return true;
  }
  void release(const std::string& address) {
    std::lock_guard lock(mutex);
    --open;
    if (auto it = perAddress.find(address); it != perAddress.end() && --it->second == 0) {
      perAddress.erase(it);
    }
  }
};

void parseTarget(std::string_view target, HttpRequest& req) {
  const auto q = target.find('?');
  req.path = percentDecode(target.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    std::string key = percentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1));
    if (!key.empty()) req.query.emplace(std::move(key), std::move(value));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

/// One connection: plain (beast::tcp_stream) or TLS (ssl_stream over it). Phases, each
/// with its deadline: wait for the first byte of a request (header timeout on a new
/// connection, idle timeout on a kept-alive one), the headers (header timeout), the
/// guard on the headers, the body (request timeout), the answer, the response
/// (request timeout).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared, std::string address)
      : stream_(make(std::move(socket), *shared)),
        shared_(std::move(shared)),
        address_(std::move(address)) {
    ++shared_->sessions;
  }
  ~Session() {
    shared_->release(address_);
    if (--shared_->sessions == 0) {
      std::lock_guard lock(shared_->mutex);
      shared_->idle.notify_all();
    }
  }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::start, this->shared_from_this()));
  }

 private:
  static Stream make(tcp::socket&& socket, Shared& shared) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *shared.tls);
    } else {
      (void)shared;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& options() const { return shared_->options; }

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(options().headerTimeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_wait(true);
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // Not TLS, or a client that does not trust us: nothing to answer.
      log::debug("http", "TLS handshake failed", {{"error", ec.message()}});
      return;
    }
    do_wait(true);
  }

  // Waits for the first byte of the next request.
  void do_wait(bool fresh) {
    if (buffer_.size() > 0) return do_read_header();
    lowest().expires_after(fresh ? options().headerTimeout : options().idleTimeout);
    stream_.async_read_some(
        buffer_.prepare(4096),
        beast::bind_front_handler(&Session::on_first_bytes, this->shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      if (ec == beast::error::timeout) shared_->timeouts.note("no request (idle) from " + address_);
      return do_close();
    }
    buffer_.commit(bytes);
    do_read_header();
  }

  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(options().maxBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(options().maxHeaderBytes));
    lowest().expires_after(options().headerTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
  }

  // True when `ec` was answered or the connection closed.
  bool failed(beast::error_code ec, std::string_view phase) {
    if (!ec) return false;
    if (ec == beast::error::timeout) {
      shared_->timeouts.note(std::string(phase) + " too slow from " + address_);
      do_close();
      return true;
    }
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == http::error::partial_message) {
      do_close();
      return true;
    }
    shared_->badRequests.note(ec.message() + " from " + address_);
    if (ec == http::error::body_limit) {
      do_write(HttpResponse::error(413, "request body exceeds the limit of " +
                                            std::to_string(options().maxBodyBytes) + " bytes"),
               false);
    } else if (ec == http::error::header_limit) {
      do_write(HttpResponse::error(431, "request headers are too large"), false);
    } else {
      // Not HTTP at all: say so once, then hang up.
      do_write(HttpResponse::error(400, "malformed HTTP request: " + ec.message()), false);
    }
    return true;
  }

  void on_header(beast::error_code ec, std::size_t /*bytes*/) {
    if (failed(ec, "headers")) return;
    auto& msg = parser_->get();
    request_ = HttpRequest{};
    request_.method = std::string(msg.method_string());
    request_.target = std::string(msg.target());
    parseTarget(request_.target, request_);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request_.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    beast::error_code ignored;
    const auto remote = lowest().socket().remote_endpoint(ignored);
    if (!ignored) request_.remoteAddress = remote.address().to_string();
    version_ = msg.version();
    keepAlive_ = msg.keep_alive();
    if (options().admit) {
      std::optional<HttpResponse> refusal;
      try {
        refusal = options().admit(request_);
      } catch (const std::exception& e) {
        log::error("http", "request check failed", {{"error", log::redact(e.what())}});
        refusal = HttpResponse::error(500, "internal error");
      }
      if (refusal) {
        // The body (if any) is never read: answer, and close the connection.
        shared_->refusedRequests.note(std::to_string(refusal->status) + " " + request_.method +
                                      " " + request_.path + " from " + address_);
        return do_write(std::move(*refusal), false);
      }
    }
    if (parser_->is_done()) return dispatch();
    lowest().expires_after(options().requestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, this->shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t /*bytes*/) {
    if (failed(ec, "body")) return;
    dispatch();
  }

  void dispatch() {
    request_.body = std::move(parser_->get().body());
    const bool keepAlive = keepAlive_ && !shared_->stopping.load();
    // No deadline while the handler works (it answers in its own time, e.g. 503 when
    // its pool is full); the response gets one.
    lowest().expires_never();
    auto self = this->shared_from_this();
    Responder respond = [self, keepAlive](HttpResponse res) {
      asio::post(self->stream_.get_executor(), [self, keepAlive, r = std::move(res)]() mutable {
        self->do_write(std::move(r), keepAlive);
      });
    };
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder once = [answered, respond](HttpResponse r) {
      if (!answered->exchange(true)) respond(std::move(r));
    };
    try {
      shared_->handler(std::move(request_), once);
    } catch (const std::exception& e) {
      log::error("http", "handler failed", {{"error", log::redact(e.what())}});
      once(HttpResponse::error(500, "internal error"));
    } catch (...) {
      log::error("http", "handler failed", {{"error", "unknown exception"}});
      once(HttpResponse::error(500, "internal error"));
    }
  }

  void do_write(HttpResponse res, bool keepAlive) {
    auto msg = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), version_);
    msg->set(http::field::server, "wayhome");
    msg->set(http::field::content_type, res.contentType);
    for (const auto& [n, v] : res.headers)
      msg->set(n, v);
    msg->body() = std::move(res.body);
    msg->keep_alive(keepAlive);
    msg->prepare_payload();
    response_ = msg;
    lowest().expires_after(options().requestTimeout);
    http::async_write(
        stream_, *msg,
        beast::bind_front_handler(&Session::on_write, this->shared_from_this(), msg->need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    response_.reset();
    if (ec || close) return do_close();
    do_wait(false);
  }

  void do_close() {
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return;
      // Read (and drop) what the client still sends for a moment, so that closing with
      // unread bytes does not reset the connection before it read our answer.
      lowest().expires_after(std::chrono::milliseconds(500));
      do_drain(0);
    }
  }

  void do_drain(std::size_t drained) {
    if (drained > options().maxBodyBytes) return;
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = this->shared_from_this(), drained](
                                                            beast::error_code ec, std::size_t n) {
      if (ec) return;
      self->do_drain(drained + n);
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;
  std::shared_ptr<void> response_;
  unsigned version_ = 11;
  bool keepAlive_ = false;
  std::shared_ptr<Shared> shared_;
  std::string address_;
};

/// Tells a connection over a cap so, in one non-blocking write, and closes it.
void refuse(tcp::socket& socket) {
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nServer: wayhome\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 41\r\n\r\n"
      "{\"error\":\"too many connections; retry\"}\n";
  beast::error_code ec;
  socket.non_blocking(true, ec);
  if (!ec) socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> acceptPause;
  std::chrono::milliseconds acceptBackoff{0};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  Throttle acceptErrors{"accept failed; backing off"};

  void do_accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        // Out of descriptors (or memory): accepting again at once would spin. Wait,
        // longer each time, until one succeeds.
        acceptBackoff = std::clamp(acceptBackoff * 2, std::chrono::milliseconds(10),
                                   std::chrono::milliseconds(1000));
        acceptErrors.note(ec.message() + "; next try in " + std::to_string(acceptBackoff.count()) +
                          " ms");
        acceptPause->expires_after(acceptBackoff);
        acceptPause->async_wait([this](beast::error_code waitEc) {
          if (!waitEc && acceptor->is_open()) do_accept();
        });
        return;
      }
      acceptBackoff = std::chrono::milliseconds(0);
      beast::error_code remoteEc;
      const auto remote = s.remote_endpoint(remoteEc);
      const std::string address = remoteEc ? std::string("?") : remote.address().to_string();
      std::string why;
      if (!shared->claim(address, why)) {
        shared->refusedConnections.note(why);
        refuse(s);
      } else if (shared->tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(s), shared,
                                                                        address)
            ->run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(s), shared, address)->run();
      }
      do_accept();
    });
  }

  // An exception out of a handler must not end the process: log it and run on.
  void runThread() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error("http", "I/O thread: handler failed; going on",
                   {{"error", log::redact(e.what())}});
      } catch (...) {
        log::error("http", "I/O thread: handler failed; going on",
                   {{"error", "unknown exception"}});
      }
    }
  }
};

HttpServer::HttpServer(HttpServerOptions options, AsyncHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  const auto& o = impl_->shared->options;
  beast::error_code ec;
  if (!o.tlsCertFile.empty() || !o.tlsKeyFile.empty()) {
    auto& tls = impl_->shared->tls.emplace(ssl::context::tls_server);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use);
    tls.use_certificate_chain_file(o.tlsCertFile, ec);
    if (ec) {
      throw std::runtime_error("http: TLS certificate " + o.tlsCertFile + ": " + ec.message());
    }
    tls.use_private_key_file(o.tlsKeyFile, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(tls.native_handle()) != 1) {
      throw std::runtime_error("http: TLS key " + o.tlsKeyFile + " (for " + o.tlsCertFile +
                               "): " + (ec ? ec.message() : std::string("key values mismatch")));
    }
  }
  const auto address = asio::ip::make_address(o.address, ec);
  if (ec) throw std::runtime_error("http: '" + o.address + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(o.port));
  tcp::acceptor acceptor(impl_->ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("http: cannot listen on " + o.address + ":" + std::to_string(o.port) +
                             ": " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
  impl_->acceptor.emplace(std::move(acceptor));
  impl_->acceptPause.emplace(impl_->ioc);
  impl_->do_accept();
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([this] {
      nameThisThread("http-io");
      impl_->runThread();
    });
  }
}

std::uint16_t HttpServer::port() const {
  return impl_->port;
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (impl_->threads.empty()) return;
  impl_->shared->stopping = true;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
    if (impl_->acceptPause) impl_->acceptPause->cancel();
  });
  {
    std::unique_lock lock(impl_->shared->mutex);
    impl_->shared->idle.wait_for(lock, grace, [&] { return impl_->shared->sessions.load() == 0; });
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

}  // namespace wayhome::services
