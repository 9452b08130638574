#pragma once

// systemd's end of the sd_notify protocol, for tests of readiness notification.

#include <chrono>
#include <string>

namespace wayhome::testing {

/// A bound AF_UNIX datagram socket standing in for systemd's: at a path, or at an
/// abstract name written with a leading '@'. NOTIFY_SOCKET names it while it lives
/// (so children the test starts inherit it), and is unset on destruction.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  [[nodiscard]] bool bound() const { return bound_; }
  /// The next datagram, or "" after a second.
  std::string receive();
  /// Receives until a datagram holds `what` or `timeout` (scaled) passes; everything
  /// received so far, each datagram followed by '|'.
  std::string waitFor(const std::string& what, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string received_;
};

}  // namespace wayhome::testing
