#include <cstddef>
#include <cstdlib>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <wayhome/testing/notify_socket.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

NotifySocket::NotifySocket(const std::string& name) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  name.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), length) == 0;
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
}

NotifySocket::~NotifySocket() {
  ::unsetenv("NOTIFY_SOCKET");
  ::close(fd_);
}

std::string NotifySocket::receive() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 1000) != 1) return {};
  char buf[512];
  const auto n = ::recv(fd_, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string NotifySocket::waitFor(const std::string& what, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
  while (received_.find(what) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) continue;
    char buf[512];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) received_ += std::string(buf, static_cast<std::size_t>(n)) + "|";
  }
  return received_;
}

}  // namespace wayhome::testing
