// The sd_notify protocol against a real AF_UNIX datagram socket, as systemd listens.

#include <cstdlib>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <wayhome/runtime/notify.hpp>
#include <wayhome/testing/notify_socket.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;

using t::NotifySocket;

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
