#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <wayhome/runtime/asio.hpp>
#include <wayhome/runtime/http_client.hpp>

namespace wayhome::services {
namespace {

using namespace net;  // NOLINT(google-build-using-namespace): asio/beast aliases only.

namespace ssl = asio::ssl;

}  // namespace

bool parseUrl(std::string_view url, ParsedUrl& out) {
  out = ParsedUrl{};
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = "443";
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    out.port = "80";
    url.remove_prefix(7);
  } else {
    return false;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (authority.starts_with('[')) {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':'))
      out.port = std::string(authority.substr(1));
    else if (!authority.empty())
      return false;
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      out.port = std::string(authority.substr(colon + 1));
      authority = authority.substr(0, colon);
    }
    out.host = std::string(authority);
  }
  return !out.host.empty() && !out.port.empty();
}

std::string ParsedUrl::hostHeader() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == (tls ? "443" : "80") ? name : name + ":" + port;
}

std::optional<std::string> cleartextProblem(std::string_view url) {
  if (url.starts_with("https://")) return std::nullopt;
  if (!url.starts_with("http://")) return "not an http:// or https:// URL";
  std::string_view authority = url.substr(7);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string host;
  if (authority.starts_with('[')) {
    host = std::string(authority.substr(1, authority.find(']') - 1));
  } else {
    host = std::string(authority.substr(0, authority.rfind(':')));
  }
  for (auto& c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "localhost") return std::nullopt;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec && address.is_loopback()) return std::nullopt;
  return "http:// sends in clear text; use https:// (only a loopback host may use http://)";
}

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

namespace {

struct Outcome {
  beast::error_code ec;
  const char* stage = "resolve";
  bool done = false;
  bool cancelled = false;
};

// Connect (and for TLS shake hands), send, receive: one deadline for all of it, kept by
// the lowest layer's timer; run in slices so that a cancelling owner is not kept waiting.
template <class Stream>
Outcome exchange(asio::io_context& ioc, Stream& stream, const ParsedUrl& url,
                 http::request<http::string_body>& req,
                 http::response_parser<http::string_body>& parser, const ClientRequest& request) {
  Outcome out;
  tcp::resolver resolver(ioc);
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(request.timeout);
  auto finish = [&out](beast::error_code e) {
    out.ec = e;
    out.done = true;
  };
  auto send = [&] {
    out.stage = "request";
    http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
      if (e) return finish(e);
      out.stage = "response";
      http::async_read(stream, buffer, parser,
                       [&](beast::error_code e2, std::size_t) { finish(e2); });
    });
  };
  resolver.async_resolve(
      url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
        if (e) return finish(e);
        out.stage = "connect";
        lowest.async_connect(r, [&](beast::error_code e2, const tcp::endpoint&) {
          if (e2) return finish(e2);
          if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            send();
          } else {
            out.stage = "TLS handshake";
            stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e3) {
              if (e3) return finish(e3);
              send();
            });
          }
        });
      });
  const auto deadline =
      std::chrono::steady_clock::now() + request.timeout + std::chrono::milliseconds(500);
  while (!out.done && std::chrono::steady_clock::now() < deadline) {
    if (request.cancelled && request.cancelled()) {
      out.cancelled = true;
      break;
    }
    ioc.run_for(std::chrono::milliseconds(20));
    if (ioc.stopped()) break;
  }
  if (!out.done && !out.cancelled) out.ec = beast::error::timeout;
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace

Result<ClientResponse> httpRequest(const ClientRequest& request) {
  ParsedUrl url;
  if (!parseUrl(request.url, url)) {
    return Error::permanent("not an http:// or https:// URL: '" + request.url + "'");
  }
  http::request<http::string_body> req{http::string_to_verb(request.method), url.target, 11};
  req.set(http::field::host, url.hostHeader());
  req.set(http::field::user_agent, "wayhome");
  for (const auto& [n, v] : request.headers)
    req.set(n, v);
  req.body() = request.body;
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.maxResponseBytes);
  parser.header_limit(64 * 1024);

  asio::io_context ioc;
  beast::error_code ec;
  Outcome outcome;
  if (url.tls) {
    ssl::context tls(ssl::context::tls_client);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls.set_verify_mode(ssl::verify_peer);
    if (request.caFile.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(request.caFile, ec);
    }
    if (ec) {
      return Error::permanent("CA file " + request.caFile + ": " + ec.message());
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    // SNI, and the certificate must name the host we asked for.
    // SSL_set_tlsext_host_name without its C cast.
    if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url.host.c_str())) != 1) {
      return Error::permanent("https: cannot set the server name " + url.host);
    }
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    outcome = exchange(ioc, stream, url, req, parser, request);
  } else {
    beast::tcp_stream stream(ioc);
    outcome = exchange(ioc, stream, url, req, parser, request);
  }
  const std::string stage = request.method + " " + request.url + ": " + outcome.stage + ": ";
  if (outcome.cancelled) return Error::retry(stage + "cancelled: the client is stopping");
  if (outcome.ec == beast::error::timeout || outcome.ec == asio::error::timed_out) {
    return Error::retry(stage + "timed out after " + std::to_string(request.timeout.count()) +
                        " ms");
  }
  if (outcome.ec) return Error::retry(stage + outcome.ec.message());
  ClientResponse out;
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace wayhome::services
