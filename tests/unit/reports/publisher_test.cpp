// The automatic monthly and tertial reports: files in the reports folder and one
// report.published per period through the outbox, also across a restart (issue 16).

#include <gtest/gtest.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/reports/publisher.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;

Clock::TimePoint at(const char* rfc3339) {
  return Clock::TimePoint(scheduler::parseRfc3339(rfc3339).value().time_since_epoch());
}

std::vector<std::string> labels(const std::vector<Period>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps)
    out.push_back(p.label());
  return out;
}

TEST(ReportsPublisher, AMonthThenATertialAreDueWhenTheyEndInOslo) {
  using V = std::vector<std::string>;
  EXPECT_EQ(labels(periodsDue(at("2027-04-30T23:59:59+02:00"))), V{"2027-03"});
  EXPECT_EQ(labels(periodsDue(at("2027-05-01T00:00:00+02:00"))), (V{"2027-04", "2027-T1"}));
  EXPECT_EQ(labels(periodsDue(at("2027-09-01T00:00:00+02:00"))), (V{"2027-08", "2027-T2"}));
  EXPECT_EQ(labels(periodsDue(at("2028-01-01T00:00:00+01:00"))), (V{"2027-12", "2027-T3"}));
  EXPECT_EQ(labels(periodsDue(at("2027-12-31T22:59:59Z"))), V{"2027-11"});
}

TEST(ReportsPublisher, EachPeriodIsPublishedOnceWithItsFiles) {
  t::TempDir dir;
  const auto registry = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  const bus::Topics topics("t.");
  const PublishSettings settings{dir / "reports", {}};
  const auto now = at("2027-05-01T00:00:30+02:00");
  {
    store::StateStore state(dir / "state.db");
    state.migrate(reportsSchema());
    bus::Outbox outbox(state);
    for (const auto& p : periodsDue(now)) {
      auto r = publish(state, outbox, topics, settings, p, now);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r.value());
    }
    for (const char* name : {"2027-04.json", "2027-04.csv", "2027-04.html", "2027-T1.json",
                             "2027-T1.csv", "2027-T1.html"}) {
      EXPECT_TRUE(std::filesystem::exists(dir / "reports" / name)) << name;
    }
    EXPECT_NE(t::readFile(dir / "reports" / "2027-T1.json").find(R"("period":"2027-T1")"),
              std::string::npos);
    const auto rows = outbox.pending(0, 10);
    ASSERT_EQ(rows.size(), 2U);
    for (const auto& row : rows) {
      EXPECT_EQ(row.topic, "t.reports");
      EXPECT_FALSE(registry.validate("report.published.v1", row.value)) << row.value;
    }
    EXPECT_NE(rows[1].value.find(R"("kind":"tertial")"), std::string::npos) << rows[1].value;
    // Asked again: nothing new.
    EXPECT_FALSE(publish(state, outbox, topics, settings, periodsDue(now)[0], now).value());
    EXPECT_EQ(outbox.pending(0, 10).size(), 2U);
  }
  // After a restart too; a rewrite makes the files again and publishes nothing.
  std::filesystem::remove(dir / "reports" / "2027-04.csv");
  store::StateStore state(dir / "state.db");
  bus::Outbox outbox(state);
  const auto april = Period::parse("2027-04").value();
  EXPECT_FALSE(publish(state, outbox, topics, settings, april, now).value());
  EXPECT_FALSE(std::filesystem::exists(dir / "reports" / "2027-04.csv"));
  EXPECT_FALSE(publish(state, outbox, topics, settings, april, now, true).value());
  EXPECT_TRUE(std::filesystem::exists(dir / "reports" / "2027-04.csv"));
  EXPECT_EQ(outbox.pending(0, 10).size(), 2U);
  EXPECT_EQ(labels(publishedPeriods(state)), (std::vector<std::string>{"2027-04", "2027-T1"}));
}

TEST(ReportsPublisher, AFolderThatCannotBeWrittenIsARetryableError) {
  t::TempDir dir;
  t::writeFile(dir / "not-a-folder", "x");
  store::StateStore state(dir / "state.db");
  state.migrate(reportsSchema());
  bus::Outbox outbox(state);
  const auto now = at("2027-05-01T00:00:30+02:00");
  auto r = publish(state, outbox, bus::Topics(), {dir / "not-a-folder", {}},
                   Period::parse("2027-04").value(), now);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable());
  EXPECT_NE(r.error().message.find("reports folder"), std::string::npos) << r.error().message;
  EXPECT_TRUE(outbox.pending(0, 10).empty());
  EXPECT_TRUE(publishedPeriods(state).empty());
}

}  // namespace
}  // namespace wayhome::reports
