#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wayhome::store {
class StateStore;
}  // namespace wayhome::store

namespace wayhome::services {

/// Label names and values of one time series, in the order given.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// A value that only goes up (events in, deliveries failed). Lock-free.
class Counter {
 public:
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down (backlog, lag). Lock-free.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Observations counted into fixed buckets (latencies in seconds). Lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> upperBounds;
    std::vector<std::uint64_t> cumulative;  ///< per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, then +Inf
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

/// Buckets for latencies from 0.5 ms to 30 s.
[[nodiscard]] std::vector<double> latencyBuckets();

/// The process's metrics, rendered in the Prometheus text format (version 0.0.4).
///
/// Parts of the service ask for their series once (counter(), gauge(), histogram()
/// return references that stay valid for the registry's lifetime) and update them on
/// the hot path without locks. Values that are cheaper to read at scrape time than to
/// keep up to date (connector status, outbox backlog) come from collectors.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// The series of `name` with `labels`, created on first use.
  /// Errors: throws std::logic_error if `name` is registered with another type or is
  /// not a valid metric name.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> upperBounds = latencyBuckets());

  /// One sample a collector reports at scrape time.
  struct Sample {
    Labels labels;
    double value = 0;
  };
  /// Adds a gauge or counter family whose samples `collect` computes at each scrape.
  /// `type` is "gauge" or "counter".
  void addCollector(std::string name, std::string help, std::string type,
                    std::function<std::vector<Sample>()> collect);

  /// Every family, sorted by name, in the Prometheus text exposition format.
  [[nodiscard]] std::string render() const;

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

/// The samples of a collector that counts rows of the state store, read at scrape time
/// in one transaction: `sql` selects the values of `labels` and then a count; each row
/// is one sample (e.g. labels {"sector", "state"} for "SELECT sector, state,
/// COUNT(*) ... GROUP BY sector, state").
/// Errors: throws as the store does.
[[nodiscard]] std::vector<Metrics::Sample> countsInStore(store::StateStore& state,
                                                         std::string_view sql,
                                                         const std::vector<std::string>& labels);

}  // namespace wayhome::services
