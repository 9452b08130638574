#pragma once

#include <chrono>
#include <csignal>
#include <initializer_list>
#include <optional>

namespace wayhome::services {

/// Signals taken by one thread. The constructor blocks them for the whole process, so
/// make it before any other thread exists (threads inherit the mask); wait() then
/// takes them one at a time.
class SignalWaiter {
 public:
  explicit SignalWaiter(std::initializer_list<int> signals);
  /// The next of the signals; with a timeout, 0 when none came in time.
  int wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

 private:
  sigset_t set_{};
};

/// Ends the process with `exitCode` if it still runs `limit` from now: the promise of
/// a bounded shutdown kept even when something hangs. Logged before it exits.
void startShutdownWatchdog(std::chrono::milliseconds limit, int exitCode);

}  // namespace wayhome::services
