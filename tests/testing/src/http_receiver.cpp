#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include <wayhome/testing/http_receiver.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

HttpReceiver::HttpReceiver(int port) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    ::close(listenFd_);
    throw std::runtime_error("HttpReceiver: cannot listen on port " + std::to_string(port));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

HttpReceiver::~HttpReceiver() {
  stop();
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpReceiver::answer(int status) {
  std::lock_guard lock(mutex_);
  status_ = status;
}

void HttpReceiver::failNext(int n, int status) {
  std::lock_guard lock(mutex_);
  failures_ = n;
  failureStatus_ = status;
}

void HttpReceiver::delay(std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  delay_ = d;
}

void HttpReceiver::stop() {
  if (!running_.exchange(false)) return;
  stopped_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listenFd_);
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& t : connections)
    t.join();
}

std::vector<HttpReceiver::Request> HttpReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

int HttpReceiver::maxConcurrent() const {
  std::lock_guard lock(mutex_);
  return maxInFlight_;
}

std::size_t HttpReceiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void HttpReceiver::acceptLoop() {
  while (running_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept(listenFd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void HttpReceiver::serve(int fd) {
  // Read the head, then Content-Length bytes of body.
  std::string raw;
  char buf[8192];
  std::size_t headEnd = std::string::npos;
  std::size_t want = 0;
  Request req;
  while (running_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
    if (headEnd == std::string::npos) {
      headEnd = raw.find("\r\n\r\n");
      if (headEnd == std::string::npos) continue;
      std::istringstream hs(raw.substr(0, headEnd));
      std::string line;
      std::getline(hs, line);
      std::istringstream first(line);
      first >> req.method >> req.target;
      readHeaderLines(hs, req.headers);
      const auto it = req.headers.find("content-length");
      want = it == req.headers.end() ? 0 : std::strtoul(it->second.c_str(), nullptr, 10);
    }
    if (raw.size() >= headEnd + 4 + want) break;
  }
  if (headEnd == std::string::npos || raw.size() < headEnd + 4 + want) {
    ::close(fd);
    return;
  }
  req.body = raw.substr(headEnd + 4, want);
  int status = 0;
  std::chrono::milliseconds delay{0};
  std::size_t index = 0;
  {
    std::lock_guard lock(mutex_);
    if (failures_ > 0) {
      --failures_;
      status = failureStatus_;
    } else {
      status = status_;
    }
    delay = delay_;
    index = requests_.size();
    requests_.push_back(req);
    maxInFlight_ = std::max(maxInFlight_, ++inFlight_);
  }
  if (delay.count() > 0) {
    std::unique_lock lock(mutex_);
    stopped_.wait_for(lock, delay, [&] { return !running_.load(); });
  }
  const std::string body = "{}";
  const std::string response = "HTTP/1.1 " + std::to_string(status) +
                               " X\r\nContent-Type: " + "application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  const ssize_t sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  {
    std::lock_guard lock(mutex_);
    --inFlight_;
    if (sent == static_cast<ssize_t>(response.size())) requests_[index].answered = status;
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace wayhome::testing
