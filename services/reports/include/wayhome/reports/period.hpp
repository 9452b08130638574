#pragma once

// Report periods: months ("2027-03") and tertials ("2027-T1", January to April), in
// Europe/Oslo wall-clock time (docs/REPORTS.md#periods). Pure; no clock.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/result.hpp>

namespace wayhome::reports {

/// A month or a tertial of one year.
struct Period {
  enum class Kind { kMonth, kTertial };
  Kind kind = Kind::kMonth;
  int year = 2027;
  int index = 1;  ///< month 1-12, or tertial 1-3

  /// Parses "YYYY-MM" or "YYYY-Tn" (years 2000-2099).
  /// Errors: permanent, a sentence that names the period and what is wrong.
  [[nodiscard]] static Result<Period> parse(std::string_view text);
  /// The month that holds the Oslo wall-clock time of `t`.
  [[nodiscard]] static Period monthOf(std::chrono::sys_seconds t);
  /// The tertial that holds the Oslo wall-clock time of `t`.
  [[nodiscard]] static Period tertialOf(std::chrono::sys_seconds t);
  /// Every period of `year`: its twelve months, then its three tertials.
  [[nodiscard]] static std::vector<Period> ofYear(int year);

  /// "2027-03" or "2027-T1".
  [[nodiscard]] std::string label() const;
  /// 00:00 Oslo on the first day (inclusive).
  [[nodiscard]] std::chrono::sys_seconds start() const;
  /// 00:00 Oslo on the day after the last day (exclusive).
  [[nodiscard]] std::chrono::sys_seconds end() const;
  /// The same, in milliseconds since the epoch.
  [[nodiscard]] std::int64_t startMs() const;
  [[nodiscard]] std::int64_t endMs() const;
  [[nodiscard]] bool contains(std::int64_t ms) const { return ms >= startMs() && ms < endMs(); }
  /// The period of the same kind just before this one.
  [[nodiscard]] Period previous() const;
  /// The same period one year earlier.
  [[nodiscard]] Period yearBefore() const;
  /// The months it spans (one for a month).
  [[nodiscard]] std::vector<Period> months() const;

  friend bool operator==(const Period&, const Period&) = default;
};

/// The Oslo calendar day `day` at 00:00 Oslo, in milliseconds since the epoch.
[[nodiscard]] std::int64_t osloMidnightMs(std::chrono::sys_days day);

}  // namespace wayhome::reports
