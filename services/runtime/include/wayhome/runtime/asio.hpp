#pragma once

// The one place Asio and Beast are included. <utility> first: Boost 1.74's coroutine
// support on g++ 12 needs it before any Asio header.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace wayhome::services::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
}  // namespace wayhome::services::net
