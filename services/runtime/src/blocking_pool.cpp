#include <algorithm>
#include <memory>

#include <wayhome/core/log.hpp>
#include <wayhome/runtime/blocking_pool.hpp>

namespace wayhome::services {

BlockingPool::BlockingPool(std::size_t threads, std::size_t maxQueued)
    : maxQueued_(std::max<std::size_t>(1, maxQueued)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    auto worker = std::make_unique<Worker>();
    Worker& self = *worker;
    workers_.push_back(std::move(worker));
    self.start("http-blocking", [this, &self](const std::stop_token&) { run(self); });
  }
}

BlockingPool::~BlockingPool() {
  stop();
}

bool BlockingPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= maxQueued_) return false;
    queue_.push_back(std::move(job));
  }
  for (auto& w : workers_)
    w->wake();
  return true;
}

void BlockingPool::run(Worker& self) {
  for (;;) {
    std::function<void()> job;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        job = std::move(queue_.front());
        queue_.pop_front();
      } else if (stopping_) {
        return;
      }
    }
    if (!job) {
      self.sleepFor(std::chrono::milliseconds(200));
      continue;
    }
    try {
      job();
    } catch (const std::exception& e) {
      log::error("http", "blocking handler failed", {{"error", log::redact(e.what())}});
    } catch (...) {
      log::error("http", "blocking handler failed", {{"error", "unknown exception"}});
    }
  }
}

void BlockingPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  for (auto& w : workers_)
    w->wake();
  for (auto& w : workers_)
    w->stop();
}

}  // namespace wayhome::services
