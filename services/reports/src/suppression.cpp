#include <algorithm>
#include <optional>
#include <stdexcept>

#include <wayhome/core/text.hpp>
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

// True when `relation` leaves one of its hidden counts a single possible value.
bool determines(const LinkedCounts& counts, const LinkedCounts::Relation& relation) {
  auto check = [&](std::size_t at) {
    if (counts.marks[at] == Mark::kShown) return false;
    const Range range = hiddenRange(counts, relation, at);
    return range.low >= range.high;
  };
  return check(relation.total) || std::any_of(relation.parts.begin(), relation.parts.end(), check);
}

// One more count of a determined relation to hide (never a frozen one): the smallest
// shown non-zero part, else the total, else (everything hidden already, and "<5"s that
// add up to a "<5" total) the "<5" total, then a "<5" part, becomes a plain ":".
// False: nothing left.
bool hideOneMore(LinkedCounts& counts, const LinkedCounts::Relation& relation) {
  auto open = [&](std::size_t at, Mark m) { return !counts.frozen[at] && counts.marks[at] == m; };
  std::optional<std::size_t> pick;
  for (std::size_t at : relation.parts) {
    if (!open(at, Mark::kShown) || counts.values[at] == 0) continue;
    if (!pick || counts.values[at] < counts.values[*pick]) pick = at;
  }
  if (!pick && open(relation.total, Mark::kShown)) pick = relation.total;
  if (!pick && open(relation.total, Mark::kSmall)) pick = relation.total;
  for (std::size_t at : relation.parts) {
    if (!pick && open(at, Mark::kSmall)) pick = at;
  }
  if (!pick) return false;
  counts.marks[*pick] = Mark::kComplement;
  return true;
}

LinkedCounts linkedOf(const CountGrid& grid) {
  LinkedCounts counts;
  for (std::size_t r = 0; r < grid.rows(); ++r) {
    for (std::size_t c = 0; c < grid.columns(); ++c)
      counts.add(grid.value(r, c), grid.mark(r, c));
  }
  for (const auto& line : grid.lines()) {
    LinkedCounts::Relation rel;
    rel.parts.assign(line.cells.begin(), line.cells.end() - 1);
    rel.total = line.cells.back();
    counts.relations.push_back(std::move(rel));
  }
  return counts;
}

}  // namespace

const char* markText(Mark mark) {
  static constexpr const char* kNames[] = {"", "<5", ":"};
  return text::enumName(mark, kNames, "");
}

CountGrid::CountGrid(std::vector<std::vector<std::int64_t>> interior, bool totalsRow,
                     bool totalsColumn, std::size_t width)
    : interiorRows_(interior.size()),
      interiorColumns_(interior.empty() ? width : interior.front().size()),
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
  // `length` cells from `first`, `step` apart: a row is step 1, a column step columns_.
  auto line = [](std::size_t first, std::size_t length, std::size_t step) {
    Line out;
    for (std::size_t i = 0; i < length; ++i)
      out.cells.push_back(first + i * step);
    return out;
  };
  std::vector<Line> out;
  if (totalsColumn_) {
    for (std::size_t r = 0; r < rows_; ++r)
      out.push_back(line(r * columns_, interiorColumns_ + 1, 1));
  }
  if (totalsRow_) {
    for (std::size_t c = 0; c < columns_; ++c)
      out.push_back(line(c, interiorRows_ + 1, columns_));
  }
  return out;
}

std::size_t LinkedCounts::add(std::int64_t value, Mark mark, bool isFrozen) {
  values.push_back(value);
  marks.push_back(mark);
  frozen.push_back(isFrozen);
  return values.size() - 1;
}

Range hiddenRange(const LinkedCounts& counts, const LinkedCounts::Relation& relation,
                  std::size_t cell) {
  // sum(parts) - total = 0; move what is shown to the constant side.
  std::int64_t constant = 0;  // sum of a*x over the hidden counts
  std::int64_t othersMin = 0, othersMax = 0;
  int own = 0;
  auto visit = [&](std::size_t at, int a) {
    const Mark m = counts.marks[at];
    if (m == Mark::kShown) {
      constant -= a * counts.values[at];
    } else if (at == cell && own == 0) {
      own = a;
    } else {
      const Range b = bounds(m);
      othersMin += a > 0 ? b.low : -b.high;
      othersMax += a > 0 ? b.high : -b.low;
    }
  };
  for (std::size_t at : relation.parts)
    visit(at, 1);
  visit(relation.total, -1);
  // own * x = constant - others
  Range r = own > 0 ? Range{constant - othersMax, constant - othersMin}
                    : Range{othersMin - constant, othersMax - constant};
  const Range b = bounds(counts.marks[cell]);
  r.low = std::max(r.low, b.low);
  r.high = std::min(r.high, b.high);
  return r;
}

void suppress(LinkedCounts& counts) {
  for (std::size_t at = 0; at < counts.values.size(); ++at) {
    const auto v = counts.values[at];
    if (!counts.frozen[at] && v >= 1 && v <= 4) counts.marks[at] = Mark::kSmall;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& relation : counts.relations) {
      if (determines(counts, relation) && hideOneMore(counts, relation)) changed = true;
    }
  }
}

Range hiddenRange(const CountGrid& grid, const CountGrid::Line& line, std::size_t cell) {
  const LinkedCounts counts = linkedOf(grid);
  LinkedCounts::Relation rel;
  rel.parts.assign(line.cells.begin(), line.cells.end() - 1);
  rel.total = line.cells.back();
  return hiddenRange(counts, rel, cell);
}

void suppress(CountGrid& grid) {
  LinkedCounts counts = linkedOf(grid);
  suppress(counts);
  for (std::size_t at = 0; at < counts.marks.size(); ++at)
    grid.setMark(at / grid.columns(), at % grid.columns(), counts.marks[at]);
}

}  // namespace wayhome::reports
