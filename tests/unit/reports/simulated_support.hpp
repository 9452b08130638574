#pragma once

// What the simulated-year tests share: Oslo days and periods worked out on their own
// (not with the report code), and a small in-process pipeline on a simulated clock:
// the real router (rules of deploy/config/rules.json, decide(), the consent register,
// the referral life cycle and its escalation) in front of the reporting component's
// ingest into a real SQLite store.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/deferral_store.hpp>
#include <wayhome/router/lifecycle.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/router/schema.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::reports::simulated {

namespace t = wayhome::testing;
using namespace std::chrono;

/// "2026-03-05T09:23:00+01:00", "...Z" or "....123Z": ms since the epoch.
inline std::int64_t parseMs(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  EXPECT_EQ(std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &se), 6) << s;
  std::int64_t ms =
      duration_cast<milliseconds>(
          (sys_days{year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)}} +
           hours{h} + minutes{mi} + seconds{se})
              .time_since_epoch())
          .count();
  std::size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    int frac = 0, digits = 0;
    for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, ++digits)
      if (digits < 3) frac = frac * 10 + (s[at] - '0');
    for (; digits < 3; ++digits)
      frac *= 10;
    ms += frac;
  }
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int oh = std::stoi(s.substr(at + 1, 2)), om = std::stoi(s.substr(at + 4, 2));
    ms -= (s[at] == '+' ? 1 : -1) * (oh * 60 + om) * 60000LL;
  }
  return ms;
}

/// The Oslo calendar day of `ms`: CEST from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October, CET otherwise.
inline std::string osloDate(std::int64_t ms) {
  const sys_time<milliseconds> at{milliseconds{ms}};
  const year y = year_month_day{floor<days>(at)}.year();
  const auto summerFrom = sys_days{y / March / Sunday[last]} + hours(1);
  const auto summerTo = sys_days{y / October / Sunday[last]} + hours(1);
  const auto offset = at >= summerFrom && at < summerTo ? hours(2) : hours(1);
  return formatDate(floor<days>(at + offset));
}

/// "2026-03-..." -> the month's and the tertial's labels.
inline std::vector<std::string> periodsOf(const std::string& date) {
  const int month = std::stoi(date.substr(5, 2));
  return {date.substr(0, 7), date.substr(0, 4) + "-T" + std::to_string((month - 1) / 4 + 1)};
}
inline std::vector<std::string> periodsOfMs(std::int64_t ms) {
  return periodsOf(osloDate(ms));
}

/// A simulated day's time: 10:00 UTC, the same Oslo day in summer and winter.
inline std::string atTen(sys_days day) {
  return formatDate(day) + "T10:00:00Z";
}

/// A tenant's person_ref in the simulated years (a stand-in for the connectors' keyed
/// pseudonym: stable per customer, the shape the schemas ask for).
inline std::string personRefOf(const std::string& customerId) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "pr_%032zx", std::hash<std::string>{}(customerId));
  return buf;
}

/// A loan simulator's webhook body as the loan connector makes it a case event (the
/// connector's own parser and pseudonyms); nullopt, with the reason as a test failure,
/// for a body it refuses.
inline std::optional<bus::CloudEvent> loanEvent(const std::string& body,
                                                const connectors::PersonRefs& refs) {
  auto parsed = connectors::loan::parseLoanWebhook(
      body, [&](std::string_view nin) { return refs.personRef(nin); });
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return std::nullopt;
  }
  bus::CloudEvent e;
  e.id = "loan-" + parsed.value().id;
  e.source = "/connectors/loan/sim";
  e.type = parsed.value().event.type;
  e.time = parsed.value().event.time;
  e.subject = parsed.value().event.subject;
  e.data = parsed.value().event.data;
  return e;
}

inline Clock::TimePoint timeOf(std::int64_t ms) {
  return Clock::TimePoint{duration_cast<Clock::TimePoint::duration>(milliseconds{ms})};
}

/// Norwegian public holidays 2026-2028 (from the almanac, not computed).
inline bool isHoliday(sys_days d) {
  static const std::vector<std::string> kHolidays{
      "2026-01-01", "2026-04-02", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
      "2026-05-17", "2026-05-25", "2026-12-25", "2026-12-26", "2027-01-01", "2027-03-25",
      "2027-03-26", "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-17", "2027-12-25",
      "2027-12-26", "2028-01-01", "2028-04-13", "2028-04-14", "2028-04-17", "2028-05-01",
      "2028-05-17", "2028-05-25", "2028-06-05", "2028-12-25", "2028-12-26"};
  return std::find(kHolidays.begin(), kHolidays.end(), formatDate(d)) != kHolidays.end();
}

/// `ms` + `n` working days (Monday to Friday, not a holiday), at the same UTC time of day.
inline std::int64_t addWorkingDays(std::int64_t ms, int n) {
  const sys_time<milliseconds> at{milliseconds{ms}};
  sys_days day = floor<days>(at);
  const auto timeOfDay = at - day;
  while (n > 0) {
    day += days(1);
    const weekday wd{day};
    if (wd != Saturday && wd != Sunday && !isHoliday(day)) --n;
  }
  return (day + timeOfDay).time_since_epoch().count();
}

/// A figure's value in the report (whatever its mark), nothing when the cell is absent.
inline std::optional<std::int64_t> cell(const Report& report, const std::string& table,
                                        const std::string& row, const std::string& column) {
  for (const auto& tab : report.tables) {
    if (tab.id != table) continue;
    auto r = std::find(tab.rows.begin(), tab.rows.end(), row);
    auto c = std::find(tab.columns.begin(), tab.columns.end(), column);
    if (r == tab.rows.end() || c == tab.columns.end()) return std::nullopt;
    return tab.grid.value(static_cast<std::size_t>(r - tab.rows.begin()),
                          static_cast<std::size_t>(c - tab.columns.begin()));
  }
  return std::nullopt;
}

/// Compares one figure: its value, and that what is shown is that value and never 1-4.
inline void expectFigure(const Report& report, const std::string& table, const std::string& row,
                         const std::string& column, std::int64_t want, const std::string& label) {
  const auto got = cell(report, table, row, column);
  ASSERT_TRUE(got) << label << " " << table << "." << row << "." << column;
  EXPECT_EQ(*got, want) << label << " " << table << "." << row << "." << column;
  const auto shown = report.count(table, row, column);
  if (shown) {
    EXPECT_EQ(*shown, want) << label << " " << table << "." << row << "." << column;
  }
  if (want >= 1 && want <= 4) {
    EXPECT_FALSE(shown) << label << " " << table << "." << row << "." << column;
  }
}

/// expectFigure() for each {"row.column", value} of `table`; how many were compared.
inline int expectFigures(const Report& report, const std::string& label, const std::string& table,
                         std::initializer_list<std::pair<std::string, std::int64_t>> cells) {
  for (const auto& [cell, want] : cells) {
    const auto dot = cell.find('.');
    expectFigure(report, table, cell.substr(0, dot), cell.substr(dot + 1), want, label);
  }
  return static_cast<int>(cells.size());
}

/// A statistic of the report; nothing when withheld or absent.
inline std::optional<double> statistic(const Report& report, const std::string& id) {
  for (const auto& s : report.statistics)
    if (s.id == id) return s.value;
  return std::nullopt;
}

/// Nearest-rank quantile and median, as docs/REPORTS.md defines them, one decimal.
inline double nearestRank(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  std::size_t rank = 1;
  while (static_cast<double>(rank) < q * static_cast<double>(v.size()))
    ++rank;
  return std::round(v[rank - 1] * 10) / 10;
}
inline double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return std::round((n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) * 10) / 10;
}

/// A temporary folder in memory (/dev/shm) where there is one, else as t::TempDir: the
/// simulated years commit a few thousand small transactions, and what they test is the
/// figures, not the disk's fsync (the stores are real SQLite files all the same).
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0
            ? "/dev/shm"
            : (base != nullptr ? base : "/tmp");
    tmpl += "/wayhome-year-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

/// The router and the reporting component in one process, on the time each call gives.
class Pipeline {
 public:
  Pipeline()
      : registry_(schemas::SchemaRegistry::loadDirectory(t::schemaDir())),
        rules_(services::router::loadRulesFile(t::sourceDir() / "deploy/config/rules.json",
                                               registry_)),
        reports_(dir_ / "reports.db"),
        router_(dir_ / "router.db") {
    reports_.migrate(reportsSchema());
    router_.migrate(services::routerSchema());
  }

  [[nodiscard]] const schemas::SchemaRegistry& registry() const { return registry_; }
  [[nodiscard]] const bus::Topics& topics() const { return topics_; }
  [[nodiscard]] store::StateStore& reports() { return reports_; }

  /// Counts `e` (from `topic`) in the reports, as the reporting component would (in
  /// one batch before the next report is made: facts carry their own times).
  void report(const std::string& topic, const bus::CloudEvent& e) {
    bus::KafkaRecord r;
    r.topic = topic;
    r.value = e.data;
    r.headers = bus::binding::toHeaders(e);
    pending_.push_back(std::move(r));
  }

  /// Stores what report() collected; how many facts were new.
  std::size_t flush() {
    const auto outcome = ingest(reports_, registry_, pending_, 1);
    EXPECT_TRUE(outcome.rejected.empty()) << outcome.rejected.front();
    pending_.clear();
    return outcome.stored;
  }

  /// The router decides on `e` at `now`: what it emits is tracked (referrals for
  /// escalation), counted in the reports and returned.
  std::vector<bus::OutboxEvent> route(const bus::CloudEvent& e, std::int64_t nowMs) {
    std::vector<bus::OutboxEvent> out;
    rapidjson::Document data;
    data.Parse(e.data.c_str());
    EXPECT_FALSE(data.HasParseError()) << e.data;
    services::router::Event event{e.id, e.type, e.subject, &data, e.source};
    const services::router::EvalEnv env{timeOf(nowMs), *consents_, topics_, deferrals_.get()};
    auto decided = services::router::decide(*rules_, event, env, registry_);
    EXPECT_TRUE(decided) << e.type << ": " << decided.error().message;
    if (!decided) return out;
    out = std::move(decided.value());
    router_.transaction(
        [&](store::Connection& db) { services::router::trackCreated(db, out, timeOf(nowMs)); });
    for (const auto& o : out)
      report(o.topic, o.event);
    return out;
  }

  /// A sector system's referral.acknowledged/closed: the router's life cycle and the
  /// reports both see it.
  void lifecycle(const std::string& topic, const bus::CloudEvent& e, std::int64_t nowMs) {
    bool ok = false;
    router_.transaction([&](store::Connection& db) {
      ok = services::router::applyLifecycle(db, e, timeOf(nowMs));
    });
    EXPECT_TRUE(ok) << e.data;
    report(topic, e);
  }

  /// The router's escalation sweep at `nowMs`; the escalations, counted.
  std::vector<bus::OutboxEvent> sweep(std::int64_t nowMs) {
    std::vector<bus::OutboxEvent> out;
    router_.transaction([&](store::Connection& db) {
      out = services::router::escalateOverdue(db, timeOf(nowMs), topics_);
    });
    for (const auto& o : out)
      report(o.topic, o.event);
    return out;
  }

  /// The report of `label` from the facts stored so far.
  [[nodiscard]] Report reportOf(const std::string& label) {
    if (!pending_.empty()) flush();
    const auto p = Period::parse(label).value();
    return computeReport(loadFacts(reports_, p.endMs()), p);
  }

 private:
  ScratchDir dir_;
  schemas::SchemaRegistry registry_;
  bus::Topics topics_;
  services::router::RuleTablePtr rules_;
  std::unique_ptr<services::router::ConsentStore> consents_ =
      services::router::memoryConsentStore();
  // Referrals deferred to a later day (R2/R3 at renewal, R17 and R18 three months on) wait
  // here and are never made: no figure compared with it counts them.
  std::unique_ptr<services::router::DeferralStore> deferrals_ =
      services::router::memoryDeferralStore();
  store::StateStore reports_;
  store::StateStore router_;
  std::vector<bus::KafkaRecord> pending_;
};

/// Info lines (an escalation each) would drown the test's output: warnings and worse
/// only, while it lives.
class QuietLog {
 public:
  QuietLog() { log::setLevel(log::Level::Warn); }
  ~QuietLog() { log::setLevel(before_); }
  QuietLog(const QuietLog&) = delete;
  QuietLog& operator=(const QuietLog&) = delete;

 private:
  // The level it was (the lowest one enabled), put back at the end.
  log::Level before_ = log::enabled(log::Level::Debug)  ? log::Level::Debug
                       : log::enabled(log::Level::Info) ? log::Level::Info
                       : log::enabled(log::Level::Warn) ? log::Level::Warn
                                                        : log::Level::Error;
};

}  // namespace wayhome::reports::simulated
