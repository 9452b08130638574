#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wayhome/core/result.hpp>

namespace wayhome::services {

/// An outgoing HTTP/1.1 request, over http:// or https:// (TLS 1.2+, the server's
/// certificate checked against the system's CAs or `caFile`, and its host name).
struct ClientRequest {
  std::string method = "GET";
  std::string url{};  ///< "http://host:port/path?query" or "https://..."
  /// PEM file of the CA (or self-signed certificate) to trust for https; empty: the
  /// system's CAs.
  std::string caFile{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  /// The whole exchange: connect, send, receive.
  std::chrono::milliseconds timeout{10000};
  /// Larger responses are refused (a source answering garbage must not eat memory).
  std::size_t maxResponseBytes = 16 * 1024 * 1024;
  /// Asked every few milliseconds; returning true abandons the exchange (the owner is
  /// stopping) with a retryable error that says so. Optional.
  std::function<bool()> cancelled{};
};

/// The parts of an http(s) URL (host without IPv6 brackets; port defaulted).
struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/";
  /// The Host header: the host, with the port unless it is the scheme's default.
  [[nodiscard]] std::string hostHeader() const;
};

/// Splits "http(s)://host[:port][/path]", "[v6]:port" included.
/// Errors: false for another scheme, an empty host or port, or an unclosed '['.
[[nodiscard]] bool parseUrl(std::string_view url, ParsedUrl& out);

/// An HTTP response.
struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
  std::string body{};
  /// The first header called `name` (lower case), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

/// Whether data may be sent to `url`: nothing when it is https://, or http:// to a
/// loopback host (localhost, 127.0.0.0/8, ::1); else the reason, to put in a
/// configuration error ("http:// is cleartext; use https:// (only loopback may use
/// http://)"). Health data never crosses a network in clear text.
[[nodiscard]] std::optional<std::string> cleartextProblem(std::string_view url);

/// Sends `request` and waits for the response (blocking, bounded by its timeout).
/// Errors: permanent for a malformed URL or an unreadable `caFile`; retryable for
/// everything on the wire (refused, reset, timed out, TLS refused, oversized or
/// malformed response, cancelled), the message naming the stage that failed
/// ("connect: Connection refused", "response: timed out after 500 ms").
[[nodiscard]] Result<ClientResponse> httpRequest(const ClientRequest& request);

}  // namespace wayhome::services
