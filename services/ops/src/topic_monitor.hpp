#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/worker.hpp>

namespace wayhome::services {

/// One topic as the broker sees it.
struct TopicInfo {
  std::string name;
  struct Partition {
    std::int32_t id = 0;
    std::int64_t low = 0;   ///< oldest offset still held
    std::int64_t high = 0;  ///< next offset to be written
  };
  std::vector<Partition> partitions;
  std::int64_t messages = 0;  ///< held now: sum of high - low
  std::int64_t written = 0;   ///< ever written: sum of high
  double ratePerSecond = 0;   ///< written per second since the previous look
  std::string error;          ///< why the topic could not be read, if so
};

/// Looks at every topic's partitions and watermarks in the background, so that the
/// ops API and /metrics answer without waiting on the bus.
class TopicMonitor {
 public:
  TopicMonitor(bus::Producer& producer, const bus::ClientProperties& busClient,
               std::vector<std::string> topics,
               std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~TopicMonitor();
  TopicMonitor(const TopicMonitor&) = delete;
  TopicMonitor& operator=(const TopicMonitor&) = delete;

  [[nodiscard]] std::vector<TopicInfo> snapshot() const;
  void stop();

 private:
  void look(const std::stop_token& token);

  bus::Producer& producer_;
  std::unique_ptr<bus::Consumer> consumer_;
  std::vector<std::string> topics_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point lastLook_;
  mutable std::mutex mutex_;
  std::vector<TopicInfo> snapshot_;
  Worker worker_;  // last: stopped before the rest goes
};

}  // namespace wayhome::services
