#pragma once

// Small-count suppression of report tables (docs/REPORTS.md#privacy-aggregates-only-
// small-counts-hidden): counts 1-4 hidden as "<5", and further cells hidden (":") until
// no hidden cell follows from its row or its column with the total. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wayhome::reports {

/// How a cell is shown.
enum class Mark {
  kShown,       ///< the number
  kSmall,       ///< "<5": a count from 1 to 4
  kComplement,  ///< ":": hidden so that a "<5" cannot be worked out
};

/// The text of a hidden cell ("<5", ":"); empty for a shown one.
[[nodiscard]] const char* markText(Mark mark);

/// A table of counts with, optionally, a totals column (each row's sum) and a totals
/// row (each column's sum). The grid includes the totals: `rows()` x `columns()` with
/// the totals row last and the totals column last.
class CountGrid {
 public:
  /// `interior[r][c]` are the counts (all rows of equal length, counts >= 0);
  /// `width`: the number of interior columns when there are no rows.
  CountGrid(std::vector<std::vector<std::int64_t>> interior, bool totalsRow, bool totalsColumn,
            std::size_t width = 0);

  [[nodiscard]] std::size_t rows() const { return rows_; }
  [[nodiscard]] std::size_t columns() const { return columns_; }
  [[nodiscard]] std::size_t interiorRows() const { return interiorRows_; }
  [[nodiscard]] std::size_t interiorColumns() const { return interiorColumns_; }
  [[nodiscard]] bool totalsRow() const { return totalsRow_; }
  [[nodiscard]] bool totalsColumn() const { return totalsColumn_; }
  [[nodiscard]] std::int64_t value(std::size_t r, std::size_t c) const {
    return values_[r * columns_ + c];
  }
  [[nodiscard]] Mark mark(std::size_t r, std::size_t c) const { return marks_[r * columns_ + c]; }
  void setMark(std::size_t r, std::size_t c, Mark m) { marks_[r * columns_ + c] = m; }

  /// One equation of the table: the cells of a row or column (coefficient +1) and its
  /// total (coefficient -1) sum to 0.
  struct Line {
    std::vector<std::size_t> cells;  ///< r * columns() + c; the total last
  };
  /// Every row and column that has a total, the totals row and column included.
  [[nodiscard]] std::vector<Line> lines() const;

 private:
  std::size_t interiorRows_, interiorColumns_, rows_, columns_;
  bool totalsRow_, totalsColumn_;
  std::vector<std::int64_t> values_;
  std::vector<Mark> marks_;
};

/// What a reader can tell of a hidden count: it lies in [low, high].
struct Range {
  std::int64_t low, high;
};

/// Counts linked by linear relations, within one report and across reports (a tertial
/// is the sum of its months; the same figure in two tables): each relation says the sum
/// of its parts equals its total. A frozen count keeps the mark it was given elsewhere
/// (a month's report, made before the tertial that sums it).
struct LinkedCounts {
  struct Relation {
    std::vector<std::size_t> parts;
    std::size_t total = 0;
  };
  std::vector<std::int64_t> values;
  std::vector<Mark> marks;
  std::vector<bool> frozen;
  std::vector<Relation> relations;

  /// Adds a count (shown until suppressed); returns its index.
  std::size_t add(std::int64_t value, Mark mark = Mark::kShown, bool isFrozen = false);
};

/// Hides every count from 1 to 4 that is not frozen (kSmall), then, relation by
/// relation until nothing changes, while a relation leaves one of its hidden counts a
/// single possible value, hides one more of its counts that is not frozen: the smallest
/// shown non-zero part, else the total, else a "<5" total or part becomes ":".
void suppress(LinkedCounts& counts);

/// The possible values of the hidden count `at` of `relation` as a reader who knows the
/// shown counts and the marks sees them.
[[nodiscard]] Range hiddenRange(const LinkedCounts& counts, const LinkedCounts::Relation& relation,
                                std::size_t at);

/// Hides every count from 1 to 4 (kSmall), then, line by line until nothing changes,
/// hides the smallest shown non-zero cell of a line (else its total) while the line
/// determines one of its hidden cells (kComplement); where everything is hidden and
/// "<5"s still add up to a "<5" total, the total (then a cell) becomes a plain ":".
void suppress(CountGrid& grid);

/// The possible values of the hidden cell `cell` of `line`, as an attacker knowing the
/// line's shown cells and that "<5" is 1-4 and ":" at least 1 sees them: {low, high}.
/// For tests and for suppress().
[[nodiscard]] Range hiddenRange(const CountGrid& grid, const CountGrid::Line& line,
                                std::size_t cell);

}  // namespace wayhome::reports
