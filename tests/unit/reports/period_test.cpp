// Report periods in Europe/Oslo: months, tertials, the last half hour of a month in
// summer and winter, DST change days, a leap day (docs/REPORTS.md#periods).

#include <gtest/gtest.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/reports/period.hpp>
#include <wayhome/testing/cases.hpp>

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;

std::chrono::sys_seconds at(const char* rfc3339) {
  auto t = scheduler::parseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(std::chrono::sys_seconds{});
}

std::string month(const char* t) {
  return Period::monthOf(at(t)).label();
}

std::string tertial(const char* t) {
  return Period::tertialOf(at(t)).label();
}

TEST(ReportsPeriod, ParsesMonthsAndTertials) {
  EXPECT_EQ(Period::parse("2027-03").value().label(), "2027-03");
  EXPECT_EQ(Period::parse("2027-12").value().label(), "2027-12");
  const auto t1 = Period::parse("2027-T1").value();
  EXPECT_EQ(t1.kind, Period::Kind::kTertial);
  EXPECT_EQ(t1.label(), "2027-T1");
  EXPECT_EQ(Period::parse("2027-T3").value().months().size(), 4U);
}

TEST(ReportsPeriod, RefusesBadPeriodsNamingThem) {
  for (const char* bad : {"",         "2027",       "2027-3",
                          "2027-13",  "2027-00",    "2027-T0",
                          "2027-T4",  "2027-t1",    "27-03",
                          "2027/03",  "2027-03x",   "2027-03\n",
                          " 2027-03", "1999-12",    "2100-01",
                          "2027-0a",  "abcd-ef",    "2027-T",
                          "../etc",   "2027-03%00", "\xff\xfe\xfd\xfc\xfb\xfa\xf9"}) {
    auto p = Period::parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find("period"), std::string::npos) << p.error().message;
  }
  auto longText = Period::parse(std::string(100000, '9'));
  ASSERT_FALSE(longText.ok());
  EXPECT_LT(longText.error().message.size(), 200U);
}

TEST(ReportsPeriod, BoundsAreOsloMidnights) {
  const auto march = Period::parse("2027-03").value();
  EXPECT_EQ(march.start(), at("2027-02-28T23:00:00Z"));  // CET
  EXPECT_EQ(march.end(), at("2027-03-31T22:00:00Z"));    // CEST since 28 March
  const auto t1 = Period::parse("2027-T1").value();
  EXPECT_EQ(t1.start(), at("2026-12-31T23:00:00Z"));
  EXPECT_EQ(t1.end(), at("2027-04-30T22:00:00Z"));
  const auto t3 = Period::parse("2027-T3").value();
  EXPECT_EQ(t3.start(), at("2027-08-31T22:00:00Z"));
  EXPECT_EQ(t3.end(), at("2027-12-31T23:00:00Z"));
  EXPECT_EQ(march.previous().label(), "2027-02");
  EXPECT_EQ(Period::parse("2027-01").value().previous().label(), "2026-12");
  EXPECT_EQ(t1.previous().label(), "2026-T3");
  EXPECT_EQ(march.yearBefore().label(), "2026-03");
}

TEST(ReportsPeriod, HalfPastElevenOnTheLastDayBelongsToThatMonth) {
  // Summer (CEST, UTC+2): 23:30 on 31 July is 21:30 UTC.
  t::expectEach(month, {{"2027-07-31T21:30:00Z", "2027-07"},
                        {"2027-07-31T23:30:00+02:00", "2027-07"},
                        {"2027-07-31T22:00:00Z", "2027-08"},
                        // Winter (CET, UTC+1): 23:30 on 31 January is 22:30 UTC.
                        {"2027-01-31T22:30:00Z", "2027-01"},
                        {"2027-01-31T23:00:00Z", "2027-02"},
                        // New Year's Eve.
                        {"2027-12-31T22:59:59Z", "2027-12"},
                        {"2027-12-31T23:00:00Z", "2028-01"}});
}

TEST(ReportsPeriod, DaylightSavingChangeDays) {
  // 28 March 2027: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  t::expectEach(month, {{"2027-03-28T00:59:59Z", "2027-03"},
                        {"2027-03-28T01:00:00Z", "2027-03"},
                        {"2027-03-31T21:30:00Z", "2027-03"},  // 23:30 CEST
                        {"2027-03-31T22:00:00Z", "2027-04"},
                        // 31 October 2027, the last day of October, is 25 hours long: 03:00 CEST
                        // becomes 02:00 CET (01:00 UTC); 23:30 that evening is CET.
                        {"2027-10-31T00:30:00Z", "2027-10"},
                        {"2027-10-31T01:30:00Z", "2027-10"},
                        {"2027-10-31T22:30:00Z", "2027-10"},
                        {"2027-10-31T23:00:00Z", "2027-11"}});
  const auto oct = Period::parse("2027-10").value();
  EXPECT_EQ(oct.end() - oct.start(), std::chrono::hours(31 * 24 + 1));
  const auto mar = Period::parse("2027-03").value();
  EXPECT_EQ(mar.end() - mar.start(), std::chrono::hours(31 * 24 - 1));
}

TEST(ReportsPeriod, LeapDay) {
  EXPECT_EQ(month("2028-02-29T22:30:00Z"), "2028-02");  // 23:30 CET on 29 February
  EXPECT_EQ(month("2028-02-29T23:00:00Z"), "2028-03");
  const auto feb = Period::parse("2028-02").value();
  EXPECT_EQ(feb.end() - feb.start(), std::chrono::hours(29 * 24));
  EXPECT_EQ(tertial("2028-02-29T22:30:00Z"), "2028-T1");
}

TEST(ReportsPeriod, TertialBoundaries) {
  t::expectEach(tertial, {{"2027-04-30T21:30:00Z", "2027-T1"},  // 23:30 CEST on 30 April
                          {"2027-04-30T22:00:00Z", "2027-T2"},
                          {"2027-08-31T21:59:59Z", "2027-T2"},
                          {"2027-08-31T22:00:00Z", "2027-T3"},
                          {"2027-12-31T22:30:00Z", "2027-T3"},
                          {"2026-12-31T23:00:00Z", "2027-T1"}});
}

TEST(ReportsPeriod, AYearIsTwelveMonthsThenThreeTertialsThatTileIt) {
  const auto all = Period::ofYear(2028);
  ASSERT_EQ(all.size(), 15U);
  EXPECT_EQ(all.front().label(), "2028-01");
  EXPECT_EQ(all[11].label(), "2028-12");
  EXPECT_EQ(all[12].label(), "2028-T1");
  EXPECT_EQ(all.back().label(), "2028-T3");
  for (int i = 0; i < 11; ++i)
    EXPECT_EQ(all[i].endMs(), all[i + 1].startMs()) << all[i].label();
  EXPECT_EQ(all[12].startMs(), all[0].startMs());
  EXPECT_EQ(all[14].endMs(), all[11].endMs());
}

TEST(ReportsPeriod, DatesAreOsloDays) {
  const auto day = scheduler::parseDate("2027-07-31").value();
  const auto july = Period::parse("2027-07").value();
  EXPECT_TRUE(july.contains(osloMidnightMs(day)));
  EXPECT_FALSE(july.contains(osloMidnightMs(day + std::chrono::days(1))));
}

}  // namespace
}  // namespace wayhome::reports
