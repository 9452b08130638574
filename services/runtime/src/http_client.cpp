#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <wayhome/runtime/http_client.hpp>

#include <wayhome/runtime/asio.hpp>

namespace wayhome::services {
namespace {

using namespace net;  // NOLINT(google-build-using-namespace): asio/beast aliases only.

namespace ssl = asio::ssl;

struct Url {
  bool tls = false;
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

bool parseUrl(std::string_view url, Url& out) {
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = "443";
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return false;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  out.host = std::string(authority);
  return !out.host.empty() && !out.port.empty();
}

}  // namespace

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

// Connect (and for TLS shake hands), send, receive: one deadline for all of it, kept by
// the lowest layer's timer.
template <class Stream>
beast::error_code exchange(asio::io_context& ioc, Stream& stream, const Url& url,
                           http::request<http::string_body>& req,
                           http::response_parser<http::string_body>& parser,
                           std::chrono::milliseconds timeout) {
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  beast::flat_buffer buffer;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(timeout);
  auto send = [&] {
    http::async_write(stream, req, [&](beast::error_code e3, std::size_t) {
      if (e3) {
        ec = e3;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code e4, std::size_t) { ec = e4; });
    });
  };
  resolver.async_resolve(
      url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
        if (e) {
          ec = e;
          return;
        }
        lowest.async_connect(r, [&](beast::error_code e2, const tcp::endpoint&) {
          if (e2) {
            ec = e2;
            return;
          }
          if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            send();
          } else {
            stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e5) {
              if (e5) {
                ec = e5;
                return;
              }
              send();
            });
          }
        });
      });
  ioc.run_for(timeout + std::chrono::milliseconds(500));
  if (!ioc.stopped()) return asio::error::timed_out;
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return ec;
}

}  // namespace

Result<ClientResponse> httpRequest(const ClientRequest& request) {
  Url url;
  if (!parseUrl(request.url, url)) {
    return Error::permanent("not an http:// or https:// URL: '" + request.url + "'");
  }
  http::request<http::string_body> req{http::string_to_verb(request.method), url.target, 11};
  req.set(http::field::host, url.host);
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
    ec = exchange(ioc, stream, url, req, parser, request.timeout);
  } else {
    beast::tcp_stream stream(ioc);
    ec = exchange(ioc, stream, url, req, parser, request.timeout);
  }
  if (ec == asio::error::timed_out) {
    return Error::retry(request.method + " " + request.url + ": timed out");
  }
  if (ec) return Error::retry(request.method + " " + request.url + ": " + ec.message());
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
