// The sd_notify protocol against a real AF_UNIX datagram socket, as systemd listens.

#include <cstddef>
#include <cstdlib>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <wayhome/runtime/notify.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;

// A bound datagram socket (path or abstract name) standing in for systemd's.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    name.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), length) == 0;
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  [[nodiscard]] bool bound() const { return bound_; }
  /// The next datagram, or "" after a second.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return {};
    char buf[512];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(Notify, SendsTheStateToThePathSocket) {
  t::TempDir dir;
  NotifySocket socket((dir / "notify").string());
  ASSERT_TRUE(socket.bound());
  EXPECT_TRUE(notifyServiceManager("READY=1\nSTATUS=ready"));
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=ready");
  EXPECT_TRUE(notifyServiceManager("STOPPING=1"));
  EXPECT_EQ(socket.receive(), "STOPPING=1");
}

TEST(Notify, SendsToAnAbstractSocket) {
  NotifySocket socket("@wayhome-notify-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(socket.bound());
  EXPECT_TRUE(notifyServiceManager("READY=1"));
  EXPECT_EQ(socket.receive(), "READY=1");
}

TEST(Notify, DoesNothingOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notifyServiceManager("READY=1"));
}

TEST(Notify, ReportsASocketNobodyListensOn) {
  t::TempDir dir;
  ::setenv("NOTIFY_SOCKET", (dir / "nobody").c_str(), 1);
  EXPECT_FALSE(notifyServiceManager("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace wayhome::services
