#include <wayhome/services/http_client.hpp>

#include "asio.hpp"

namespace wayhome::services {
namespace {

using namespace net;  // NOLINT(google-build-using-namespace): asio/beast aliases only.

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

bool parseUrl(std::string_view url, Url& out) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  url.remove_prefix(kScheme.size());
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

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

Result<ClientResponse> httpRequest(const ClientRequest& request) {
  Url url;
  if (!parseUrl(request.url, url)) {
    return Error::permanent("not an http:// URL: '" + request.url + "'");
  }
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::string_to_verb(request.method), url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "wayhome");
  for (const auto& [n, v] : request.headers) req.set(n, v);
  req.body() = request.body;
  req.prepare_payload();

  beast::error_code ec;
  ClientResponse out;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.maxResponseBytes);
  parser.header_limit(64 * 1024);

  // One deadline for the whole exchange, enforced by the stream's timer.
  stream.expires_after(request.timeout);
  resolver.async_resolve(url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
    if (e) {
      ec = e;
      return;
    }
    stream.async_connect(r, [&](beast::error_code e2, const tcp::endpoint&) {
      if (e2) {
        ec = e2;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code e3, std::size_t) {
        if (e3) {
          ec = e3;
          return;
        }
        http::async_read(stream, buffer, parser, [&](beast::error_code e4, std::size_t) { ec = e4; });
      });
    });
  });
  ioc.run_for(request.timeout + std::chrono::milliseconds(500));
  if (!ioc.stopped()) {
    return Error::retry(request.method + " " + request.url + ": timed out");
  }
  if (ec) return Error::retry(request.method + " " + request.url + ": " + ec.message());
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace wayhome::services
