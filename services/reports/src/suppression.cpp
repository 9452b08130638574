#include <algorithm>
#include <optional>
#include <stdexcept>

#include <wayhome/reports/suppression.hpp>

namespace wayhome::reports {
namespace {

// "No upper bound"; far above any count, far below overflow when summed.
constexpr std::int64_t kUnbounded = std::int64_t{1} << 50;

// What a reader knows of a hidden cell from its mark. A ":" may be a small count whose
// "<5" would have given it away (below), so it says only "at least 1" (0 is never
// hidden).
Range bounds(Mark mark) {
  if (mark == Mark::kSmall) return {1, 4};
  return {1, kUnbounded};
}

// True when `line` leaves one of its hidden cells a single possible value.
bool determines(const CountGrid& grid, const CountGrid::Line& line) {
  const std::size_t cols = grid.columns();
  for (std::size_t at : line.cells) {
    if (grid.mark(at / cols, at % cols) == Mark::kShown) continue;
    const Range range = hiddenRange(grid, line, at);
    if (range.low >= range.high) return true;
  }
  return false;
}

// One more cell of a determined line to hide: the smallest shown non-zero cell, else
// the total, else (everything hidden already, and "<5"s that add up to a "<5" total)
// the "<5" total, then the largest "<5" cell, becomes a plain ":". False: nothing left.
bool hideOneMore(CountGrid& grid, const CountGrid::Line& line) {
  const std::size_t cols = grid.columns();
  auto markOf = [&](std::size_t at) { return grid.mark(at / cols, at % cols); };
  auto valueOf = [&](std::size_t at) { return grid.value(at / cols, at % cols); };
  std::optional<std::size_t> pick;
  for (std::size_t i = 0; i + 1 < line.cells.size(); ++i) {
    const std::size_t at = line.cells[i];
    if (markOf(at) != Mark::kShown || valueOf(at) == 0) continue;
    if (!pick || valueOf(at) < valueOf(*pick)) pick = at;
  }
  const std::size_t total = line.cells.back();
  if (!pick && markOf(total) == Mark::kShown) pick = total;
  if (!pick && markOf(total) == Mark::kSmall) pick = total;
  for (std::size_t i = 0; !pick && i + 1 < line.cells.size(); ++i) {
    const std::size_t at = line.cells[i];
    if (markOf(at) == Mark::kSmall) pick = at;
  }
  if (!pick) return false;
  grid.setMark(*pick / cols, *pick % cols, Mark::kComplement);
  return true;
}

}  // namespace

const char* markText(Mark mark) {
  switch (mark) {
    case Mark::kShown:
      return "";
    case Mark::kSmall:
      return "<5";
    case Mark::kComplement:
      return ":";
  }
  return "";
}

CountGrid::CountGrid(std::vector<std::vector<std::int64_t>> interior, bool totalsRow,
                     bool totalsColumn)
    : interiorRows_(interior.size()),
      interiorColumns_(interior.empty() ? 0 : interior.front().size()),
      rows_(interiorRows_ + (totalsRow ? 1 : 0)),
      columns_(interiorColumns_ + (totalsColumn ? 1 : 0)),
      totalsRow_(totalsRow),
      totalsColumn_(totalsColumn),
      values_(rows_ * columns_, 0),
      marks_(rows_ * columns_, Mark::kShown) {
  for (std::size_t r = 0; r < interiorRows_; ++r) {
    if (interior[r].size() != interiorColumns_) {
      throw std::invalid_argument("CountGrid: rows of different lengths");
    }
    for (std::size_t c = 0; c < interiorColumns_; ++c) {
      const auto v = interior[r][c];
      values_[r * columns_ + c] = v;
      if (totalsColumn_) values_[r * columns_ + interiorColumns_] += v;
      if (totalsRow_) values_[interiorRows_ * columns_ + c] += v;
      if (totalsRow_ && totalsColumn_) values_[rows_ * columns_ - 1] += v;
    }
  }
}

std::vector<CountGrid::Line> CountGrid::lines() const {
  std::vector<Line> out;
  if (totalsColumn_) {
    for (std::size_t r = 0; r < rows_; ++r) {
      Line line;
      for (std::size_t c = 0; c <= interiorColumns_; ++c)
        line.cells.push_back(r * columns_ + c);
      out.push_back(std::move(line));
    }
  }
  if (totalsRow_) {
    for (std::size_t c = 0; c < columns_; ++c) {
      Line line;
      for (std::size_t r = 0; r <= interiorRows_; ++r)
        line.cells.push_back(r * columns_ + c);
      out.push_back(std::move(line));
    }
  }
  return out;
}

Range hiddenRange(const CountGrid& grid, const CountGrid::Line& line, std::size_t cell) {
  // sum(interior) - total = 0; move what is shown to the constant side.
  const std::size_t cols = grid.columns();
  auto coefficient = [&](std::size_t i) { return i + 1 == line.cells.size() ? -1 : 1; };
  std::int64_t constant = 0;  // sum of a*x over the hidden cells
  std::int64_t othersMin = 0, othersMax = 0;
  int own = 1;
  for (std::size_t i = 0; i < line.cells.size(); ++i) {
    const std::size_t at = line.cells[i];
    const Mark m = grid.mark(at / cols, at % cols);
    const int a = coefficient(i);
    if (m == Mark::kShown) {
      constant -= a * grid.value(at / cols, at % cols);
      continue;
    }
    if (at == cell) {
      own = a;
      continue;
    }
    const Range b = bounds(m);
    othersMin += a > 0 ? b.low : -b.high;
    othersMax += a > 0 ? b.high : -b.low;
  }
  // own * x = constant - others
  Range r = own > 0 ? Range{constant - othersMax, constant - othersMin}
                    : Range{othersMin - constant, othersMax - constant};
  const Range b = bounds(grid.mark(cell / cols, cell % cols));
  r.low = std::max(r.low, b.low);
  r.high = std::min(r.high, b.high);
  return r;
}

void suppress(CountGrid& grid) {
  const std::size_t cols = grid.columns();
  for (std::size_t r = 0; r < grid.rows(); ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const auto v = grid.value(r, c);
      if (v >= 1 && v <= 4) grid.setMark(r, c, Mark::kSmall);
    }
  }
  const auto lines = grid.lines();
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& line : lines) {
      if (determines(grid, line) && hideOneMore(grid, line)) changed = true;
    }
  }
}

}  // namespace wayhome::reports
