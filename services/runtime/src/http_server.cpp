#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <wayhome/core/log.hpp>
#include <wayhome/runtime/http.hpp>

#include <wayhome/runtime/asio.hpp>

namespace wayhome::services {
namespace {

using namespace net;  // NOLINT(google-build-using-namespace): asio/beast aliases only.

namespace ssl = asio::ssl;

struct Shared {
  HttpServerOptions options;
  std::optional<ssl::context> tls;  ///< set: every connection speaks TLS
  AsyncHandler handler;
  std::atomic<int> sessions{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
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

/// One connection: plain (beast::tcp_stream) or TLS (ssl_stream over it).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(make(std::move(socket), *shared)), shared_(std::move(shared)) {
    ++shared_->sessions;
  }
  ~Session() {
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

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(shared_->options.requestTimeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // Not TLS, or a client that does not trust us: nothing to answer.
      log::debug("http", "TLS handshake failed", {{"error", ec.message()}});
      return;
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.maxBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.maxHeaderBytes));
    lowest().expires_after(shared_->options.requestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == ssl::error::stream_truncated) {
      return do_close();
    }
    if (ec == http::error::body_limit) {
      return do_write(
          HttpResponse::error(413, "request body exceeds the limit of " +
                                       std::to_string(shared_->options.maxBodyBytes) + " bytes"),
          false);
    }
    if (ec == http::error::header_limit) {
      return do_write(HttpResponse::error(431, "request headers are too large"), false);
    }
    if (ec) {
      // Not HTTP at all: say so once, then hang up.
      return do_write(HttpResponse::error(400, "malformed HTTP request: " + ec.message()), false);
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    parseTarget(req.target, req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    beast::error_code ignored;
    const auto remote = lowest().socket().remote_endpoint(ignored);
    if (!ignored) req.remoteAddress = remote.address().to_string();
    const bool keepAlive = msg.keep_alive() && !shared_->stopping.load();
    version_ = msg.version();

    auto self = this->shared_from_this();
    shared_->handler(std::move(req), [self, keepAlive](HttpResponse res) {
      asio::post(self->stream_.get_executor(), [self, keepAlive, r = std::move(res)]() mutable {
        self->do_write(std::move(r), keepAlive);
      });
    });
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
    lowest().expires_after(shared_->options.requestTimeout);
    http::async_write(
        stream_, *msg,
        beast::bind_front_handler(&Session::on_write, this->shared_from_this(), msg->need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    response_.reset();
    if (ec || close) return do_close();
    do_read();
  }

  void do_close() {
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;
  unsigned version_ = 11;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  void do_accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        log::warn("http", "accept failed", {{"error", ec.message()}});
      } else {
        if (shared->tls) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(s), shared)
              ->run();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(std::move(s), shared)->run();
        }
      }
      do_accept();
    });
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
  const tcp::endpoint endpoint(address, o.port);
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
  impl_->do_accept();
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
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
