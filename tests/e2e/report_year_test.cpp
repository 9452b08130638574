// A simulated year through the running binary (issue 16): the real `wayhome` on the
// embedded bus with the loan and GERICA simulators (fixed seeds) posting their journeys
// to its own connectors; the events flow over the bus through the router into the
// reporting component. The binary has no simulated clock, so the figures compared are
// those placed by the events' own business times (the journeys' simulated days in
// 2026-2027): start-up loans applied for, granted, rejected and disbursed, consents
// given and withdrawn; and, in the month the test runs in, the missed instalments
// (placed by the time they were sent). The expected figures come from the journeys
// made again here with the same seeds (gericaJourney(), loanJourney()), not from the
// service. Every month and tertial of the two years is read through
// GET /api/v1/reports/{period}, the busiest through `wayhome report --format json` too
// (the same text); a shown count must be the figure, a "<5" a figure from 1 to 4, a ":"
// one that is not 0, and no count from 1 to 4 is shown anywhere.

#include <map>
#include <random>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/core/clock.hpp>
#include <wayhome/simulators/gerica_journeys.hpp>
#include <wayhome/simulators/loan_journeys.hpp>
#include <wayhome/testing/testing.hpp>

#include "loan_support.hpp"

namespace wayhome::reports {
namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;
using loantest::kSecret;

constexpr const char* kReporter = "reporter-token-year-0123456789";
constexpr int kLoanJourneys = 40;
constexpr std::uint64_t kLoanSeed = 1601;
constexpr int kGericaJourneys = 40;
constexpr std::uint64_t kGericaSeed = 1602;

// "2026-03-..." -> the month's and the tertial's labels.
std::vector<std::string> periodsOf(const std::string& date) {
  const int month = std::stoi(date.substr(5, 2));
  return {date.substr(0, 7), date.substr(0, 4) + "-T" + std::to_string((month - 1) / 4 + 1)};
}

// The Oslo month now (CET/CEST by the EU rule).
std::string osloMonthNow() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const year y = year_month_day{floor<days>(now)}.year();
  const bool summer = now >= sys_days{y / March / Sunday[last]} + hours(1) &&
                      now < sys_days{y / October / Sunday[last]} + hours(1);
  return formatDate(floor<days>(now + hours(summer ? 2 : 1))).substr(0, 7);
}

std::string runOf(std::mt19937_64& rng) {
  char run[9];
  std::snprintf(run, sizeof run, "%08x", static_cast<unsigned>(rng() & 0xffffffffU));
  return run;
}

// (period, "table.row") -> the figure.
using Figures = std::map<std::pair<std::string, std::string>, std::int64_t>;

// What the simulators send, made again with their seeds, counted by business time.
Figures expectedFigures(std::int64_t& missed) {
  Figures out;
  {
    std::mt19937_64 rng(kLoanSeed);
    const std::string run = runOf(rng);
    for (int n = 1; n <= kLoanJourneys; ++n) {
      for (const auto& w :
           connectors::loan::loanJourney(rng, run, n, [](auto) { return std::string(); })) {
        rapidjson::Document d;
        d.Parse(w.body.c_str());
        const std::string type = d["type"].GetString();
        const auto& data = d["data"];
        auto add = [&](const char* field, const std::string& figure) {
          for (const auto& p : periodsOf(data[field].GetString()))
            ++out[{p, figure}];
        };
        if (type == "application_submitted") {
          add("submitted_date", "loans.applied");
        } else if (type == "application_decided") {
          add("decided_date", std::string(data["outcome"].GetString()) == "granted"
                                  ? "loans.granted"
                                  : "loans.rejected");
        } else if (type == "disbursed") {
          add("disbursed_date", "loans.disbursed");
        } else if (type == "instalment_missed") {
          ++missed;
        }
      }
    }
  }
  {
    std::mt19937_64 rng(kGericaSeed);
    const std::string run = runOf(rng);
    const connectors::gerica::JourneyOptions options;
    for (int n = 1; n <= kGericaJourneys; ++n) {
      for (const auto& m : connectors::gerica::gericaJourney(rng, options, run, n)) {
        // The simulator draws whether to send it again (resend_rate 0: never) after
        // each receipt, from the same generator.
        (void)std::bernoulli_distribution(0.0)(rng);
        auto between = [&](const std::string& open, const std::string& close) {
          const auto from = m.xml.find(open);
          return from == std::string::npos
                     ? std::string()
                     : m.xml.substr(from + open.size(),
                                    m.xml.find(close, from + open.size()) - from - open.size());
        };
        const std::string code = between("<TemaKodet V=\"", "\"");
        std::string when = between("<DatoNotat>", "<");
        if (when.empty()) when = between("<DatoForesp>", "<");
        // 09:MM or 13:MM +01:00: the same day in Oslo all year.
        if (code == "CONSENT_GRANTED" || code == "CONSENT_WITHDRAWN") {
          for (const auto& p : periodsOf(when.substr(0, 10)))
            ++out[{p, code == "CONSENT_GRANTED" ? "consents.given" : "consents.withdrawn"}];
        }
      }
    }
  }
  return out;
}

// A cell of a rendered JSON report, as a reader finds it.
const rapidjson::Value* cellOf(const rapidjson::Document& report, const std::string& table,
                               const std::string& row, const std::string& column) {
  for (const auto& tab : report["tables"].GetArray()) {
    if (table != tab["id"].GetString()) continue;
    int r = -1, c = -1;
    for (rapidjson::SizeType i = 0; i < tab["rows"].Size(); ++i)
      if (row == tab["rows"][i].GetString()) r = static_cast<int>(i);
    for (rapidjson::SizeType i = 0; i < tab["columns"].Size(); ++i)
      if (column == tab["columns"][i].GetString()) c = static_cast<int>(i);
    if (r < 0 || c < 0) return nullptr;
    return &tab["cells"][static_cast<rapidjson::SizeType>(r)][static_cast<rapidjson::SizeType>(c)];
  }
  return nullptr;
}

// Why the shown cell does not fit `want`, or "" when it does: the figure itself, "<5"
// for 1-4, ":" for a figure that is not 0.
std::string misfit(const rapidjson::Value* cell, std::int64_t want) {
  if (cell == nullptr) return "no such cell";
  if (cell->IsInt64()) {
    return cell->GetInt64() == want ? "" : "shows " + std::to_string(cell->GetInt64());
  }
  const std::string text = cell->IsString() ? cell->GetString() : "?";
  if (text == "<5") return want >= 1 && want <= 4 ? "" : "shows <5";
  if (text == ":") return want != 0 ? "" : "hides a 0";
  return "shows " + text;
}

// Every shown count of the report that lies from 1 to 4.
std::vector<std::string> smallCounts(const rapidjson::Document& report) {
  std::vector<std::string> out;
  for (const auto& tab : report["tables"].GetArray()) {
    for (rapidjson::SizeType r = 0; r < tab["cells"].Size(); ++r) {
      for (rapidjson::SizeType c = 0; c < tab["cells"][r].Size(); ++c) {
        const auto& v = tab["cells"][r][c];
        if (v.IsInt64() && v.GetInt64() >= 1 && v.GetInt64() <= 4) {
          out.push_back(std::string(tab["id"].GetString()) + "." + tab["rows"][r].GetString() +
                        "." + tab["columns"][c].GetString() + "=" + std::to_string(v.GetInt64()));
        }
      }
    }
  }
  return out;
}

TEST(ReportsYearE2E, TheSimulatorsJourneysReachEveryReportThroughTheBinary) {
  const std::string monthAtStart = osloMonthNow();
  std::int64_t missed = 0;
  const Figures want = expectedFigures(missed);

  t::TempDir dir;
  t::ServedBinary served(dir.path());
  ASSERT_TRUE(served.start(
      R"(, "insecure_demo": true, "bus": {"default_partitions": 2},
         "ops": {"tokens": [{"name": "council", "role": "reporter", "token": ")" +
      std::string(kReporter) + R"("}]},
         "connectors": [{"type": "loan", "name": "loan", "settings": {"secret": ")" +
      kSecret + R"("}}, {"type": "gerica", "name": "gerica", "settings": {}}],
         "simulators": [
           {"type": "loan", "settings": {"secret": ")" +
      kSecret + R"(", "journeys": )" + std::to_string(kLoanJourneys) +
      R"(, "rate_per_s": 1000, "seed": )" + std::to_string(kLoanSeed) + R"(}},
           {"type": "gerica", "settings": {"journeys": )" +
      std::to_string(kGericaJourneys) + R"(, "rate_per_s": 1000, "seed": )" +
      std::to_string(kGericaSeed) + R"(, "resend_rate": 0}}])"))
      << served.log();

  auto get = [&](const std::string& period) {
    return t::http(served.port(), "GET", "/api/v1/reports/" + period, "",
                   {{"Authorization", std::string("Bearer ") + kReporter}});
  };
  std::vector<std::string> periods;
  for (int y = 2026; y <= 2027; ++y) {
    for (int m = 1; m <= 12; ++m) {
      char label[8];
      std::snprintf(label, sizeof label, "%04d-%02d", y, m);
      periods.emplace_back(label);
    }
    for (int tertial = 1; tertial <= 3; ++tertial)
      periods.push_back(std::to_string(y) + "-T" + std::to_string(tertial));
  }
  const char* figures[] = {"loans.applied",   "loans.granted",  "loans.rejected",
                           "loans.disbursed", "consents.given", "consents.withdrawn"};
  // Every compared figure of every period, as the API shows it; the misfits.
  auto compare = [&](std::map<std::string, rapidjson::Document>& reports) {
    std::vector<std::string> wrong;
    for (const auto& period : periods) {
      const auto r = get(period);
      if (r.status != 200) {
        wrong.push_back(period + ": HTTP " + std::to_string(r.status));
        continue;
      }
      auto& d = reports[period];
      d.Parse(r.body.c_str());
      if (d.HasParseError() || !d.IsObject()) {
        wrong.push_back(period + ": not JSON");
        continue;
      }
      for (const std::string figure : figures) {
        const auto dot = figure.find('.');
        auto it = want.find({period, figure});
        const std::int64_t value = it == want.end() ? 0 : it->second;
        const std::string why =
            misfit(cellOf(d, figure.substr(0, dot), figure.substr(dot + 1), "count"), value);
        if (!why.empty())
          wrong.push_back(period + " " + figure + " (" + std::to_string(value) + "): " + why);
      }
    }
    return wrong;
  };
  // The simulators post, the bus carries, the reports count: until every figure fits.
  std::map<std::string, rapidjson::Document> reports;
  std::vector<std::string> wrong;
  ASSERT_TRUE(t::waitFor(
      [&] {
        const std::string log = served.log();
        if (log.find("component=loan-simulator msg=finished") == std::string::npos ||
            log.find("component=gerica-simulator msg=finished") == std::string::npos) {
          return false;
        }
        wrong = compare(reports);
        return wrong.empty();
      },
      90000ms))
      << (wrong.empty() ? std::string("the simulators did not finish") : wrong.front()) << "\n"
      << served.log();
  const std::string log = served.log();
  const auto loanLine = log.substr(log.find("component=loan-simulator msg=finished"));
  EXPECT_NE(loanLine.find("refused=0"), std::string::npos) << loanLine.substr(0, 300);
  EXPECT_NE(loanLine.find("given_up=0"), std::string::npos) << loanLine.substr(0, 300);
  const auto gericaLine = log.substr(log.find("component=gerica-simulator msg=finished"));
  EXPECT_NE(gericaLine.find("rejected=0"), std::string::npos) << gericaLine.substr(0, 300);

  // No report shows a count from 1 to 4, nor any person or case.
  std::int64_t shown = 0;
  for (const auto& period : periods) {
    const auto& d = reports.at(period);
    const auto small = smallCounts(d);
    EXPECT_TRUE(small.empty()) << period << ": " << small.front();
    for (const std::string figure : figures) {
      const auto dot = figure.find('.');
      const auto* c = cellOf(d, figure.substr(0, dot), figure.substr(dot + 1), "count");
      shown += c != nullptr && c->IsInt64() && c->GetInt64() >= 5 ? 1 : 0;
    }
    const auto body = get(period).body;
    EXPECT_EQ(body.find("pr_"), std::string::npos) << period;
    EXPECT_EQ(body.find("SL-"), std::string::npos) << period;
  }
  std::int64_t total = 0;
  for (const auto& [key, value] : want)
    total += key.first[5] != 'T' ? value : 0;
  std::cerr << "through the binary: " << total << " loan and consent events in " << periods.size()
            << " periods, " << shown << " figures shown as numbers, " << missed
            << " instalments missed\n";
  EXPECT_GE(shown, 10);  // not everything hidden: the comparison compared numbers

  // The missed instalments are placed by when they were sent: this month's, unless the
  // month turned while the test ran.
  const std::string monthNow = osloMonthNow();
  if (monthNow == monthAtStart) {
    const auto r = get(monthNow);
    ASSERT_EQ(r.status, 200);
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    EXPECT_EQ(misfit(cellOf(d, "arrears", "instalments_missed", "count"), missed), "")
        << monthNow << ": " << missed << " missed";
    EXPECT_TRUE(smallCounts(d).empty()) << r.body;
  }

  // The command line makes the same report as the API, for the busiest month and its
  // tertial.
  std::string busiest;
  std::int64_t most = -1;
  for (const auto& [key, value] : want) {
    if (key.first[5] != 'T' && key.second == "loans.applied" && value > most) {
      busiest = key.first;
      most = value;
    }
  }
  const std::string config = (dir.path() / "wayhome.json").string();
  for (const auto& period : {busiest, periodsOf(busiest + "-01")[1]}) {
    const auto file = dir.path() / (period + ".json");
    const auto cli = t::run({t::wayhomeBinary().string(), "report", "--config", config, "--period",
                             period, "--format", "json", "--out", file.string()});
    ASSERT_EQ(cli.exitCode, 0) << cli.out;
    const std::string text = t::readFile(file);
    EXPECT_EQ(text, get(period).body) << period;
    rapidjson::Document d;
    d.Parse(text.c_str());
    ASSERT_FALSE(d.HasParseError()) << text;
    for (const std::string figure : figures) {
      const auto dot = figure.find('.');
      auto it = want.find({period, figure});
      EXPECT_EQ(misfit(cellOf(d, figure.substr(0, dot), figure.substr(dot + 1), "count"),
                       it == want.end() ? 0 : it->second),
                "")
          << period << " " << figure;
    }
  }
  EXPECT_EQ(served.stop(t::scaled(15000ms)), std::optional<int>(0)) << served.log();
}

}  // namespace
}  // namespace wayhome::reports
