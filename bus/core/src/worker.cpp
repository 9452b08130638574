#include <algorithm>
#include <exception>

#include <wayhome/core/log.hpp>
#include <wayhome/core/thread_name.hpp>
#include <wayhome/core/worker.hpp>

namespace wayhome {

void Worker::start(std::string name, std::function<void(std::stop_token)> body) {
  name_ = std::move(name);
  stop_ = std::stop_source();
  thread_ = std::jthread([this, body = std::move(body), token = stop_.get_token()] {
    nameThisThread(name_);
    auto backoff = std::chrono::milliseconds(1000);
    while (!token.stop_requested()) {
      try {
        body(token);
        return;
      } catch (const std::exception& e) {
        log::error(
            name_, "worker failed; trying again",
            {{"error", log::redact(e.what())}, {"retry_ms", std::to_string(backoff.count())}});
      } catch (...) {
        log::error(name_, "worker failed; trying again", {{"error", "unknown exception"}});
      }
      {
        std::lock_guard lock(mutex_);
        ++failures_;
      }
      if (!sleepFor(backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  });
}

void Worker::every(std::string name, std::chrono::milliseconds interval,
                   std::function<void()> tick) {
  start(std::move(name), [this, interval, tick = std::move(tick)](const std::stop_token& token) {
    while (sleepFor(interval) && !token.stop_requested()) {
      try {
        tick();
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        ++failures_;
        log::error(name_, "periodic work failed", {{"error", log::redact(e.what())}});
      }
    }
  });
}

void Worker::stop() {
  stop_.request_stop();
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Worker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool Worker::sleepFor(std::chrono::milliseconds duration) {
  auto token = stop_.get_token();
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, token, duration, [this] { return woken_; });
  woken_ = false;
  return !token.stop_requested();
}

unsigned Worker::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

}  // namespace wayhome
