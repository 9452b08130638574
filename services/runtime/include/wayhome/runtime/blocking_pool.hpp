#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <wayhome/core/worker.hpp>

namespace wayhome::services {

/// A small, bounded pool of threads for request handlers that block (scans of the
/// bus, replays, restarts), so that the HTTP I/O threads, and with them intake and
/// /healthz, never wait behind them.
///
/// Threading: submit() from any thread. Jobs run in submission order on `threads`
/// workers; a job that throws is logged and the pool goes on.
class BlockingPool {
 public:
  /// Errors: none; `threads` and `maxQueued` of 0 are taken as 1.
  BlockingPool(std::size_t threads, std::size_t maxQueued);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  /// Queues `job`; false (and `job` not run) when `maxQueued` jobs wait already or the
  /// pool is stopping: the caller answers 503.
  [[nodiscard]] bool submit(std::function<void()> job);

  /// Runs what is queued, then joins the workers. Idempotent.
  void stop();

 private:
  void run(Worker& self);

  std::size_t maxQueued_;
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace wayhome::services
