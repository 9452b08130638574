// Suppression across the whole report set (docs/REPORTS.md#privacy-aggregates-only-
// small-counts-hidden): for every report of a year (twelve months, three tertials) in
// every format, read as a reader reads it (the rendered text only), no count from 1 to
// 4 is shown and no hidden count follows from a relation between shown figures: a
// table's rows and columns with their totals, the same figure in two tables, a
// tertial and its months, a year-to-date target and its months.

#include <map>
#include <random>
#include <regex>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/topics.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/reports/targets.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;

// "table|row|column" -> the text shown ("7", "<5", ":"); targets as
// "targets|<figure>|actual".
using Cells = std::map<std::string, std::string>;

std::string key(const std::string& table, const std::string& row, const std::string& col) {
  return table + "|" + row + "|" + col;
}

Cells fromCsv(const std::string& csv) {
  Cells out;
  std::size_t at = csv.find("\r\n") + 2;  // past the header
  while (at < csv.size()) {
    const std::size_t end = csv.find("\r\n", at);
    std::vector<std::string> f;
    std::size_t from = at;
    for (std::size_t comma; (comma = csv.find(',', from)) < end; from = comma + 1)
      f.push_back(csv.substr(from, comma - from));
    f.push_back(csv.substr(from, end - from));
    at = end + 2;
    if (f.size() != 5 || f[1] == "statistics") continue;
    if (f[1] == "targets" && f[3] != "actual") continue;
    out[key(f[1], f[2], f[3])] = f[4];
  }
  return out;
}

std::string text(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString()) : std::to_string(v.GetInt64());
}

Cells fromJson(const std::string& json) {
  Cells out;
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError());
  for (const auto& table : doc["tables"].GetArray()) {
    const auto& rows = table["rows"];
    const auto& cols = table["columns"];
    const auto& cells = table["cells"];
    EXPECT_EQ(cells.Size(), rows.Size()) << table["id"].GetString();
    if (cells.Size() != rows.Size()) continue;
    for (rapidjson::SizeType r = 0; r < rows.Size(); ++r) {
      EXPECT_EQ(cells[r].Size(), cols.Size()) << table["id"].GetString();
      for (rapidjson::SizeType c = 0; c < cols.Size() && c < cells[r].Size(); ++c)
        out[key(table["id"].GetString(), rows[r].GetString(), cols[c].GetString())] =
            text(cells[r][c]);
    }
  }
  for (const auto& target : doc["targets"].GetArray()) {
    const auto& a = target["actual"];
    out[key("targets", target["figure"].GetString(), "actual")] =
        a.IsString() ? a.GetString() : std::to_string(static_cast<std::int64_t>(a.GetDouble()));
  }
  return out;
}

std::string unescape(std::string s) {
  for (auto [from, to] :
       {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
    for (std::size_t at; (at = s.find(from)) != std::string::npos;)
      s.replace(at, std::string(from).size(), to);
  }
  return s;
}

// The tables of the HTML page (each section's first table), and the numbers its charts
// print.
Cells fromHtml(const std::string& page, std::vector<std::string>& chartTexts) {
  Cells out;
  static const std::regex section(
      R"re(<section id="([a-z_]+)"><h2>[^<]*</h2><table>(.*?)</table>)re");
  static const std::regex row(R"re(<tr[^>]*>(.*?)</tr>)re");
  static const std::regex cell(R"re(<t[dh]>(.*?)</t[dh]>)re");
  for (std::sregex_iterator s(page.begin(), page.end(), section), end; s != end; ++s) {
    const std::string id = (*s)[1], body = (*s)[2];
    std::vector<std::vector<std::string>> grid;
    for (std::sregex_iterator r(body.begin(), body.end(), row); r != end; ++r) {
      const std::string tr = (*r)[1];
      auto& line = grid.emplace_back();
      for (std::sregex_iterator c(tr.begin(), tr.end(), cell); c != end; ++c)
        line.push_back(unescape((*c)[1]));
    }
    if (id == "statistics" || grid.empty()) continue;
    if (id == "targets") {  // title (the figure here), budget line, target, actual, status
      for (std::size_t r = 1; r < grid.size(); ++r)
        out[key("targets", grid[r][0], "actual")] = grid[r][3];
      continue;
    }
    for (std::size_t r = 1; r < grid.size(); ++r) {
      for (std::size_t c = 1; c < grid[r].size(); ++c)
        out[key(id, grid[r][0], grid[0][c])] = grid[r][c];
    }
  }
  static const std::regex bar(R"re(font-size="10">([^<]*)</text>)re");
  for (std::sregex_iterator b(page.begin(), page.end(), bar), end; b != end; ++b)
    chartTexts.push_back((*b)[1]);
  return out;
}

// ---- the checker: works on shown text only ----

struct Shown {
  bool hidden = false;
  std::int64_t value = 0;  // when shown
  std::int64_t low = 0, high = 0;
};

constexpr std::int64_t kBig = 1'000'000;

Shown read(const Cells& cells, const std::string& k) {
  auto it = cells.find(k);
  if (it == cells.end()) return {false, 0, 0, 0};  // not in the report: no such event
  if (it->second == "<5") return {true, 0, 1, 4};
  if (it->second == ":") return {true, 0, 1, kBig};
  return {false, std::stoll(it->second), 0, 0};
}

// A relation "parts sum to total" between shown texts; names one hidden figure that it
// leaves a single possible value, or "".
std::string leak(const std::vector<std::pair<std::string, Shown>>& parts,
                 const std::pair<std::string, Shown>& total) {
  std::vector<std::pair<std::string, std::pair<int, Shown>>> all;
  for (const auto& p : parts)
    all.push_back({p.first, {1, p.second}});
  all.push_back({total.first, {-1, total.second}});
  std::int64_t constant = 0;  // sum over hidden a*x = constant
  for (const auto& [name, v] : all) {
    if (!v.second.hidden) constant -= v.first * v.second.value;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& [a, me] = all[i].second;
    if (!me.hidden) continue;
    std::int64_t lo = 0, hi = 0;
    for (std::size_t j = 0; j < all.size(); ++j) {
      const auto& [b, other] = all[j].second;
      if (j == i || !other.hidden) continue;
      lo += b > 0 ? other.low : -other.high;
      hi += b > 0 ? other.high : -other.low;
    }
    // a*x = constant - others
    std::int64_t low = a > 0 ? constant - hi : lo - constant;
    std::int64_t high = a > 0 ? constant - lo : hi - constant;
    low = std::max(low, me.low);
    high = std::min(high, me.high);
    if (low >= high) return all[i].first + " (" + std::to_string(low) + ")";
  }
  return "";
}

struct ReportSet {
  std::map<std::string, Cells> byPeriod;  // "2027-03" -> cells
};

bool additiveRow(const std::string& table, const std::string& row) {
  return !(table == "waiting_list" &&
           (row == "waiting_at_end" || row == "highest" || row == "without_plan_at_end"));
}

// Every leak in a year's set, as sentences.
std::vector<std::string> leaks(const ReportSet& set, int year,
                               const std::vector<std::string>& ytdFigures) {
  std::vector<std::string> out;
  auto label = [&](int m) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d-%02d", year, m);
    return std::string(buf);
  };
  auto check = [&](const std::string& where,
                   const std::vector<std::pair<std::string, Shown>>& parts,
                   const std::pair<std::string, Shown>& total) {
    auto l = leak(parts, total);
    if (!l.empty()) out.push_back(where + ": " + l + " follows from " + total.first);
  };
  for (const auto& [period, cells] : set.byPeriod) {
    for (const auto& [k, v] : cells) {
      if (v.size() == 1 && v[0] >= '1' && v[0] <= '4')
        out.push_back(period + " shows " + k + "=" + v);
    }
    // Rows and columns with totals.
    std::map<std::string, std::set<std::string>> rows, cols;
    for (const auto& [k, v] : cells) {
      const auto a = k.find('|'), b = k.rfind('|');
      rows[k.substr(0, a)].insert(k.substr(a + 1, b - a - 1));
      cols[k.substr(0, a)].insert(k.substr(b + 1));
    }
    for (const auto& [table, rs] : rows) {
      if (table == "targets") continue;
      const auto& cs = cols[table];
      if (rs.contains("total")) {
        for (const auto& c : cs) {
          std::vector<std::pair<std::string, Shown>> parts;
          for (const auto& r : rs)
            if (r != "total") parts.push_back({key(table, r, c), read(cells, key(table, r, c))});
          check(period, parts, {key(table, "total", c), read(cells, key(table, "total", c))});
        }
      }
      if (cs.contains("total")) {
        for (const auto& r : rs) {
          std::vector<std::pair<std::string, Shown>> parts;
          for (const auto& c : cs)
            if (c != "total") parts.push_back({key(table, r, c), read(cells, key(table, r, c))});
          check(period, parts, {key(table, r, "total"), read(cells, key(table, r, "total"))});
        }
      }
    }
    // The same figure in two tables.
    auto sectors = bus::defaultSectorNames();
    sectors.push_back("total");
    for (const auto& s : sectors) {
      const auto a = key("referrals", s, "created"), b = key("referral_reasons", "total", s);
      check(period, {{a, read(cells, a)}}, {b, read(cells, b)});
      check(period, {{b, read(cells, b)}}, {a, read(cells, a)});
    }
  }
  // A tertial and its months.
  for (int tertial = 1; tertial <= 3; ++tertial) {
    const std::string tl = std::to_string(year) + "-T" + std::to_string(tertial);
    const auto& tc = set.byPeriod.at(tl);
    for (const auto& [k, v] : tc) {
      const auto a = k.find('|'), b = k.rfind('|');
      if (k.starts_with("targets|") || !additiveRow(k.substr(0, a), k.substr(a + 1, b - a - 1)))
        continue;
      std::vector<std::pair<std::string, Shown>> parts;
      for (int m = tertial * 4 - 3; m <= tertial * 4; ++m)
        parts.push_back({label(m) + " " + k, read(set.byPeriod.at(label(m)), k)});
      check(tl, parts, {tl + " " + k, read(tc, k)});
    }
  }
  // Year to date: each month's, the one before it, and the month itself; a tertial's.
  for (const auto& figure : ytdFigures) {
    std::string table = figure.substr(0, figure.find('.'));
    std::string rest = figure.substr(figure.find('.') + 1);
    const std::string cell =
        key(table, rest.substr(0, rest.find('.')), rest.substr(rest.find('.') + 1));
    const std::string ytd = key("targets", figure, "actual");
    std::vector<std::pair<std::string, Shown>> months;
    for (int m = 1; m <= 12; ++m) {
      months.push_back({label(m) + " " + cell, read(set.byPeriod.at(label(m)), cell)});
      const auto here = std::pair{label(m) + " year to date", read(set.byPeriod.at(label(m)), ytd)};
      check(label(m), months, here);
      if (m > 1) {
        const auto before =
            std::pair{label(m - 1) + " year to date", read(set.byPeriod.at(label(m - 1)), ytd)};
        check(label(m), {before, months.back()}, here);
      }
      if (m % 4 == 0) {
        const std::string tl = std::to_string(year) + "-T" + std::to_string(m / 4);
        check(tl, months, {tl + " year to date", read(set.byPeriod.at(tl), ytd)});
      }
    }
  }
  return out;
}

// ---- the facts ----

struct Facts {
  std::vector<Fact> all;
  int next = 0;
  std::int64_t at(int year, int month, int day) {
    using namespace std::chrono;
    return osloMidnightMs(sys_days{std::chrono::year{year} / month / day}) + 10 * 3600 * 1000;
  }
  void referral(std::int64_t ms, const std::string& sector, const std::string& reason) {
    Fact f;
    f.eventId = "rc-" + std::to_string(++next);
    f.type = "referral.created.v1";
    f.atMs = ms;
    f.key = "ref-" + std::to_string(next);
    f.person = "pr-" + std::to_string(next);
    f.fields = {{"to_sector", sector}, {"reason", reason}, {"rule_id", "R1"}};
    all.push_back(std::move(f));
  }
  void consent(std::int64_t ms) {
    Fact f;
    f.eventId = "cg-" + std::to_string(++next);
    f.type = "consent.granted.v1";
    f.atMs = ms;
    f.key = "c-" + std::to_string(next);
    all.push_back(std::move(f));
  }
};

const std::vector<std::string> kYtd = {"referrals.housing.created", "referrals.total.created",
                                       "consents.given.count"};

std::vector<Target> yearTargets() {
  std::string text = R"({"targets":[)";
  for (std::size_t i = 0; i < kYtd.size(); ++i) {
    text += (i ? "," : "") + std::string(R"({"figure":")") + kYtd[i] + R"(","title":")" + kYtd[i] +
            R"(","per":"year","value":100,"direction":"at_least"})";
  }
  auto parsed = parseTargets(text + "]}", "test");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
  return parsed ? parsed.value() : std::vector<Target>{};
}

// Renders every report of `year` in every format through the service's own path (a
// real SQLite store) and checks each.
std::vector<std::string> checkYear(const std::vector<Fact>& facts, int year) {
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  state.migrate(reportsSchema());
  state.transaction([&](store::Connection& db) { storeFacts(db, facts, 1); });
  const auto targets = yearTargets();
  std::vector<std::string> problems;
  std::map<Format, ReportSet> sets;
  std::vector<std::string> periods;
  for (const auto& p : Period::ofYear(year))
    periods.push_back(p.label());
  for (const auto& label : periods) {
    const auto p = Period::parse(label).value();
    std::vector<std::string> chart;
    sets[Format::kJson].byPeriod[label] = fromJson(renderReport(state, p, Format::kJson, targets));
    sets[Format::kCsv].byPeriod[label] = fromCsv(renderReport(state, p, Format::kCsv, targets));
    sets[Format::kHtml].byPeriod[label] =
        fromHtml(renderReport(state, p, Format::kHtml, targets), chart);
    for (const auto& c : chart) {
      if (c.size() == 1 && c[0] >= '1' && c[0] <= '4')
        problems.push_back(label + " html chart shows " + c);
    }
    EXPECT_EQ(sets[Format::kJson].byPeriod[label], sets[Format::kCsv].byPeriod[label]) << label;
    EXPECT_EQ(sets[Format::kHtml].byPeriod[label], sets[Format::kCsv].byPeriod[label]) << label;
  }
  for (const auto& [format, set] : sets) {
    for (auto& l : leaks(set, year, kYtd))
      problems.push_back(std::string(format == Format::kJson  ? "json "
                                     : format == Format::kCsv ? "csv "
                                                              : "html ") +
                         l);
  }
  return problems;
}

std::string first(const std::vector<std::string>& problems) {
  std::string s;
  for (std::size_t i = 0; i < problems.size() && i < 5; ++i)
    s += problems[i] + "\n";
  return s + "(" + std::to_string(problems.size()) + " in all)";
}

// Attack (a): January's 2 is "<5" in its own report; with February-April shown, the
// tertial's total would give it away.
TEST(ReportsReportSet, ATertialDoesNotGiveAwayAHiddenMonth) {
  Facts f;
  const int perMonth[] = {2, 7, 8, 9};
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < perMonth[m]; ++i)
      f.referral(f.at(2027, m + 1, 1 + i), "housing", "housing_need");
  }
  const auto problems = checkYear(f.all, 2027);
  EXPECT_TRUE(problems.empty()) << first(problems);
}

// Attack (c): the year to date of February (12) minus February (10) is January's 2.
TEST(ReportsReportSet, YearToDateDoesNotGiveAwayAHiddenMonth) {
  Facts f;
  for (int i = 0; i < 2; ++i)
    f.consent(f.at(2027, 1, 3 + i));
  for (int i = 0; i < 10; ++i)
    f.consent(f.at(2027, 2, 3 + i));
  const auto problems = checkYear(f.all, 2027);
  EXPECT_TRUE(problems.empty()) << first(problems);
}

// Attack (b) and everything else of the shape, over random years: small counts in
// every sector and reason, so that cells are hidden in one table and not another.
TEST(ReportsReportSet, NoReportOfARandomYearGivesAHiddenCountAway) {
  const auto sectors = bus::defaultSectorNames();
  const char* reasons[] = {"housing_need", "financial_advice", "health_follow_up"};
  for (unsigned seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    Facts f;
    for (int m = 1; m <= 12; ++m) {
      for (std::size_t s = 0; s < sectors.size(); ++s) {
        for (const char* reason : reasons) {
          const int n = std::uniform_int_distribution<int>(0, 5)(rng) == 0
                            ? std::uniform_int_distribution<int>(5, 12)(rng)
                            : std::uniform_int_distribution<int>(0, 3)(rng);
          for (int i = 0; i < n; ++i)
            f.referral(f.at(2027, m, 1 + (i % 28)), sectors[s], reason);
        }
      }
      const int consents = std::uniform_int_distribution<int>(0, 9)(rng);
      for (int i = 0; i < consents; ++i)
        f.consent(f.at(2027, m, 1 + i));
    }
    const auto problems = checkYear(f.all, 2027);
    EXPECT_TRUE(problems.empty()) << "seed " << seed << ": " << first(problems);
  }
}

}  // namespace
}  // namespace wayhome::reports
