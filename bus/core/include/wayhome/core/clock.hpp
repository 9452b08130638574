#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace wayhome {

/// Wall-clock time, injected wherever logic depends on it so tests can move time.
class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
  /// A process-wide instance.
  static const SystemClock& instance();
};

/// A clock that only moves when told to (tests, offline simulation). Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  [[nodiscard]] TimePoint now() const override {
    return TimePoint(TimePoint::duration(now_.load()));
  }
  void set(TimePoint t) { now_ = t.time_since_epoch().count(); }
  void advance(std::chrono::system_clock::duration d) { now_ += d.count(); }

 private:
  std::atomic<TimePoint::rep> now_;
};

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T14:03:00.123Z".
[[nodiscard]] std::string formatRfc3339(Clock::TimePoint t);
/// The same for `ms` milliseconds since the epoch, any year from 0000 to 9999 (a
/// TimePoint holds only ±292 years around 1970).
[[nodiscard]] std::string formatRfc3339Ms(std::int64_t ms);
/// A calendar day as "YYYY-MM-DD".
[[nodiscard]] std::string formatDate(std::chrono::sys_days day);

}  // namespace wayhome
