#pragma once

// A real local HTTP receiver for webhook tests: listens on 127.0.0.1, records every
// request, and answers as told (a status, N failures first, a delay), or is stopped.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wayhome::testing {

class HttpReceiver {
 public:
  /// One request as received.
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
    int answered = 0;  ///< the status sent back (0: none, the delay outlived the client)
  };

  /// Listens on `port` (0: a free one).
  explicit HttpReceiver(int port = 0);
  /// Stops.
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/hook") const;

  /// The status of every answer from now on (default 200).
  void answer(int status);
  /// The next `n` requests get `status`, the ones after the usual answer.
  void failNext(int n, int status = 500);
  /// Waits this long before answering (0: at once).
  void delay(std::chrono::milliseconds d);
  /// Closes the listener and every connection; the port refuses connections after.
  void stop();

  [[nodiscard]] std::vector<Request> requests() const;
  [[nodiscard]] std::size_t count() const;
  /// The most requests it was answering at one time so far.
  [[nodiscard]] int maxConcurrent() const;

 private:
  void acceptLoop();
  void serve(int fd);

  int port_ = 0;
  int listenFd_ = -1;
  std::atomic<bool> running_{true};
  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  int status_ = 200;
  int failures_ = 0;
  int failureStatus_ = 500;
  std::chrono::milliseconds delay_{0};
  std::vector<Request> requests_;
  int inFlight_ = 0;
  int maxInFlight_ = 0;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace wayhome::testing
