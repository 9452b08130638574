#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace wayhome {

/// The one background-thread type: a std::jthread with a stop token, an interruptible
/// sleep, and a catch-all so that an exception in a loop is logged and backed off
/// instead of ending the process. It lives in the bus core so that every layer (the
/// outbox writer and relay, the producer's poller, the runtime, the modules) uses it.
///
/// Threading: start()/every() once, stop() from any thread but the worker's own; the
/// destructor stops and joins. Declare a Worker after everything its body uses, so it
/// is destroyed (and joined) first.
class Worker {
 public:
  Worker() = default;
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Runs `body` on a new thread until it returns or stop() is asked for. If `body`
  /// throws, the error is logged under `name` and `body` runs again after a back-off
  /// (1 s doubling to 30 s) unless stopping; failures() counts them.
  void start(std::string name, std::function<void(std::stop_token)> body);

  /// Runs `tick` every `interval` (the first after one interval) until stopped; a
  /// throwing tick is logged and the next one runs as planned.
  void every(std::string name, std::chrono::milliseconds interval, std::function<void()> tick);

  /// Asks the body to stop, wakes any sleepFor(), and joins. Idempotent.
  void stop();

  /// Wakes a sleepFor() early without stopping (new work arrived).
  void wake();

  /// Sleeps up to `duration`, less if woken or stopping. False when stopping.
  bool sleepFor(std::chrono::milliseconds duration);

  [[nodiscard]] bool running() const { return thread_.joinable(); }
  /// True once stop() was asked for.
  [[nodiscard]] bool stopping() const { return stop_.stop_requested(); }
  /// How often the body threw since start.
  [[nodiscard]] unsigned failures() const;

 private:
  std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  bool woken_ = false;
  unsigned failures_ = 0;
  std::stop_source stop_;
  std::jthread thread_;
};

}  // namespace wayhome
