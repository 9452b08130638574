#pragma once

// A report: the figures of one period (docs/REPORTS.md#the-figures), suppressed, and
// its renderings. Pure functions over facts; no store, no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/bus/topics.hpp>
#include <wayhome/reports/facts.hpp>
#include <wayhome/reports/period.hpp>
#include <wayhome/reports/suppression.hpp>

namespace wayhome::reports {

/// One table of counts with its labels, suppressed.
struct ReportTable {
  std::string id;     ///< "referrals"
  std::string title;  ///< for people
  std::vector<std::string> rows, columns;
  CountGrid grid{{}, false, false};
};

/// A figure that is not a count (median, percentile, sum); withheld from fewer than 5.
struct Statistic {
  std::string id;  ///< "acknowledgement_hours.housing.median"
  std::string title;
  std::optional<double> value;  ///< nothing: withheld
  std::int64_t basis = 0;       ///< how many events it is made of (not shown)
};

/// Every figure of one period.
struct Report {
  Period period;
  std::vector<ReportTable> tables;
  std::vector<Statistic> statistics;

  /// A cell of a table: its raw value and whether the report shows it.
  struct Cell {
    std::int64_t value = 0;
    bool shown = false;
  };

  /// The cell `table`.`row`.`column`; nothing when there is no such cell.
  [[nodiscard]] std::optional<Cell> cell(const std::string& table, const std::string& row,
                                         const std::string& column) const;

  /// The shown value of `table`.`row`.`column`; nothing when hidden or absent.
  [[nodiscard]] std::optional<std::int64_t> count(const std::string& table, const std::string& row,
                                                  const std::string& column) const;
};

/// Every figure of `period` from the facts before its end, suppressed
/// (docs/REPORTS.md#privacy-aggregates-only-small-counts-hidden): the raw counts stay in
/// the grids, the marks say what is shown. A tertial is suppressed together with its
/// months, whose marks it keeps. The per-sector tables have a row (or column) for each
/// of `sectors`, the configured ones.
[[nodiscard]] Report computeReport(
    const std::vector<Fact>& facts, const Period& period,
    const std::vector<std::string>& sectors = bus::defaultSectorNames());

/// Suppresses the counts of `report` as one linked set: every table's rows and columns
/// with their totals, a figure that two tables show (one count, one mark), and, for a
/// tertial, each additive count as the sum of the same count in `months` (their marks
/// frozen). Counts 1-4 become "<5", then further counts ":" until no relation leaves a
/// hidden count a single possible value.
void suppressLinked(Report& report, const std::vector<Report>& months);

/// False for the figures that are a level at the period's end (the waiting list), which
/// a tertial does not sum from its months.
[[nodiscard]] bool additiveFigure(const std::string& table, const std::string& row);

/// Statistics from fewer events than this are withheld.
inline constexpr std::int64_t kMinimumBasis = 5;

}  // namespace wayhome::reports
