// Small-count suppression (docs/REPORTS.md#privacy-aggregates-only-small-counts-hidden):
// over thousands of random tables no shown count is 1-4 and no hidden cell follows from
// its row or its column with the total.

#include <random>

#include <gtest/gtest.h>

#include <wayhome/reports/suppression.hpp>

namespace wayhome::reports {
namespace {

// Written apart from suppress(): walks every candidate value of a hidden cell and
// asks whether the other hidden cells of the line, each within what its mark says,
// can make up the rest. Counts the values that can.
int possibleValues(const CountGrid& g, const CountGrid::Line& line, std::size_t cell) {
  const std::size_t cols = g.columns();
  auto markOf = [&](std::size_t at) { return g.mark(at / cols, at % cols); };
  auto lowOf = [&](std::size_t) { return 1; };  // "<5" is 1-4, ":" at least 1
  // What the line's sum (interior minus total) must be made of: sum over hidden = -shown.
  std::int64_t shown = 0;
  for (std::size_t i = 0; i < line.cells.size(); ++i) {
    const std::size_t at = line.cells[i];
    if (markOf(at) != Mark::kShown) continue;
    shown += (i + 1 == line.cells.size() ? -1 : 1) * g.value(at / cols, at % cols);
  }
  const std::int64_t big = 1'000'000;
  int possible = 0;
  const int cellSign = line.cells.back() == cell ? -1 : 1;
  const std::int64_t high = markOf(cell) == Mark::kSmall ? 4 : 400;
  for (std::int64_t v = lowOf(cell); v <= high; ++v) {
    // The others must sum (with signs) to -shown - sign*v; each positive one in
    // [low, big], a negative (the total) in [-big, -low].
    std::int64_t need = -shown - cellSign * v, lo = 0, hi = 0;
    for (std::size_t i = 0; i < line.cells.size(); ++i) {
      const std::size_t at = line.cells[i];
      if (at == cell || markOf(at) == Mark::kShown) continue;
      const int sign = i + 1 == line.cells.size() ? -1 : 1;
      const std::int64_t l = lowOf(at), h = markOf(at) == Mark::kSmall ? 4 : big;
      lo += sign > 0 ? l : -h;
      hi += sign > 0 ? h : -l;
    }
    if (need >= lo && need <= hi) ++possible;
  }
  return possible;
}

void expectSafe(const CountGrid& g, const std::string& context) {
  for (std::size_t r = 0; r < g.rows(); ++r) {
    for (std::size_t c = 0; c < g.columns(); ++c) {
      const auto v = g.value(r, c);
      if (g.mark(r, c) == Mark::kShown) {
        EXPECT_FALSE(v >= 1 && v <= 4) << context << " shows " << v << " at " << r << "," << c;
      } else {
        EXPECT_NE(v, 0) << context << ": a 0 is never hidden";
        if (g.mark(r, c) == Mark::kSmall) {
          EXPECT_LE(v, 4) << context;
        }
      }
    }
  }
  const std::size_t cols = g.columns();
  for (const auto& line : g.lines()) {
    for (std::size_t at : line.cells) {
      if (g.mark(at / cols, at % cols) == Mark::kShown) continue;
      EXPECT_GE(possibleValues(g, line, at), 2) << context << ": hidden cell " << at / cols << ","
                                                << at % cols << " follows from its line";
    }
  }
}

std::string describe(const std::vector<std::vector<std::int64_t>>& t, bool row, bool col) {
  std::string s = std::string(row ? "R" : "-") + (col ? "C" : "-") + " [";
  for (const auto& r : t) {
    s += "[";
    for (auto v : r)
      s += std::to_string(v) + " ";
    s += "]";
  }
  return s + "]";
}

TEST(ReportsSuppression, SmallCountsAreHidden) {
  CountGrid g({{0}, {1}, {4}, {5}, {17}}, false, false);
  suppress(g);
  EXPECT_EQ(g.mark(0, 0), Mark::kShown);
  EXPECT_EQ(g.mark(1, 0), Mark::kSmall);
  EXPECT_EQ(g.mark(2, 0), Mark::kSmall);
  EXPECT_EQ(g.mark(3, 0), Mark::kShown);
  EXPECT_EQ(g.mark(4, 0), Mark::kShown);
  EXPECT_STREQ(markText(Mark::kSmall), "<5");
  EXPECT_STREQ(markText(Mark::kComplement), ":");
}

TEST(ReportsSuppression, OneHiddenCellInARowTakesAnotherWithIt) {
  // Row 0: 3 + 10 + 12 = 25; hiding only the 3 would give it away (25 - 22).
  CountGrid g({{3, 10, 12}, {20, 30, 40}}, false, true);
  suppress(g);
  EXPECT_EQ(g.mark(0, 0), Mark::kSmall);
  EXPECT_EQ(g.mark(0, 1), Mark::kComplement);  // the smallest other
  EXPECT_EQ(g.mark(0, 2), Mark::kShown);
  expectSafe(g, "row");
}

TEST(ReportsSuppression, TwoSmallCellsThatPinEachOtherTakeAThird) {
  // 1 + 1 = 2 with "<5" meaning 1-4: both would be 1. A third cell must go.
  CountGrid g({{1, 1, 9}}, false, true);
  suppress(g);
  EXPECT_EQ(g.mark(0, 2), Mark::kComplement);
  expectSafe(g, "pinned pair");
}

TEST(ReportsSuppression, ALoneSmallCellHidesTheTotal) {
  CountGrid g({{2, 0, 0}}, false, true);
  suppress(g);
  EXPECT_EQ(g.mark(0, 0), Mark::kSmall);
  EXPECT_EQ(g.mark(0, 3), Mark::kSmall);  // the total is 2 as well
  expectSafe(g, "alone");
}

TEST(ReportsSuppression, SmallCellsAddingUpToASmallTotalAreNotPinned) {
  // 1 + 1 + 1 + 1 = 4: four "<5" and a "<5" total would all be 1 (and the total 4).
  CountGrid g({{0}, {1}, {1}, {1}, {0}, {1}}, true, false);
  suppress(g);
  EXPECT_EQ(g.mark(6, 0), Mark::kComplement);  // the total says only "hidden"
  expectSafe(g, "small total");
}

TEST(ReportsSuppression, ManyRandomTablesNeverRevealASmallCount) {
  std::mt19937 rng(20270301);
  std::discrete_distribution<int> kind({30, 35, 35});  // 0, 1-4, 5-40
  int hiddenSeen = 0;
  for (int n = 0; n < 3000; ++n) {
    const auto rows = static_cast<std::size_t>(1 + rng() % 6);
    const auto cols = static_cast<std::size_t>(1 + rng() % 6);
    const bool totalsRow = rng() % 4 != 0, totalsCol = rng() % 4 != 0;
    std::vector<std::vector<std::int64_t>> t(rows, std::vector<std::int64_t>(cols));
    for (auto& r : t) {
      for (auto& v : r) {
        const int k = kind(rng);
        v = k == 0   ? 0
            : k == 1 ? 1 + static_cast<int>(rng() % 4)
                     : 5 + static_cast<int>(rng() % 36);
      }
    }
    CountGrid g(t, totalsRow, totalsCol);
    suppress(g);
    for (std::size_t r = 0; r < g.rows(); ++r) {
      for (std::size_t c = 0; c < g.columns(); ++c)
        hiddenSeen += g.mark(r, c) != Mark::kShown ? 1 : 0;
    }
    expectSafe(g, describe(t, totalsRow, totalsCol));
    if (HasFailure()) break;
  }
  EXPECT_GT(hiddenSeen, 1000);  // the tables did exercise suppression
}

}  // namespace
}  // namespace wayhome::reports
