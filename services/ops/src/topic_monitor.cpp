#include "topic_monitor.hpp"

#include <map>

#include <wayhome/core/log.hpp>

namespace wayhome::services {

TopicMonitor::TopicMonitor(bus::Producer& producer, const bus::ClientProperties& busClient,
                           std::vector<std::string> topics, std::chrono::milliseconds interval)
    : producer_(producer),
      consumer_(std::make_unique<bus::Consumer>(
          busClient,
          bus::ConsumerOptions{.groupId = "wayhome-ops-monitor", .name = "wayhome-ops"})),
      topics_(std::move(topics)),
      interval_(interval) {
  worker_.start("topic-monitor", [this](const std::stop_token& token) {
    while (!token.stop_requested()) {
      try {
        look(token);
      } catch (const std::exception& e) {
        // The next look may succeed; an error here must not end the process.
        log::warn("ops", "topic look failed", {{"error", log::redact(e.what())}});
      }
      worker_.sleepFor(interval_);
    }
  });
}

TopicMonitor::~TopicMonitor() {
  stop();
}

void TopicMonitor::stop() {
  worker_.stop();
}

std::vector<TopicInfo> TopicMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void TopicMonitor::look(const std::stop_token& token) {
  constexpr auto kTimeout = std::chrono::milliseconds(1000);
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, std::int64_t> before;
  {
    std::lock_guard lock(mutex_);
    for (const auto& t : snapshot_)
      before[t.name] = t.written;
  }
  const double seconds = lastLook_.time_since_epoch().count() == 0
                             ? 0
                             : std::chrono::duration<double>(now - lastLook_).count();
  std::vector<TopicInfo> next;
  for (const auto& name : topics_) {
    if (token.stop_requested()) return;
    TopicInfo info;
    info.name = name;
    auto count = producer_.partitionCount(name, kTimeout);
    if (!count.ok()) {
      info.error = count.error().message;
      next.push_back(std::move(info));
      continue;
    }
    for (int p = 0; p < count.value(); ++p) {
      auto marks = consumer_->watermarks(name, p, kTimeout);
      if (!marks.ok()) {
        info.error = marks.error().message;
        break;
      }
      info.partitions.push_back({p, marks.value().first, marks.value().second});
      info.messages += marks.value().second - marks.value().first;
      info.written += marks.value().second;
    }
    const auto it = before.find(name);
    if (seconds > 0 && it != before.end() && info.error.empty()) {
      info.ratePerSecond = static_cast<double>(info.written - it->second) / seconds;
    }
    next.push_back(std::move(info));
  }
  lastLook_ = now;
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(next);
}

}  // namespace wayhome::services
