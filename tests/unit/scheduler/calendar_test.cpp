// The scheduler's calendar: Oslo daylight saving, Norwegian holidays, working days,
// placement and the RRULE subset.

#include <gtest/gtest.h>

#include <wayhome/core/calendar.hpp>

namespace {

using namespace std::chrono;
namespace s = wayhome::scheduler;

s::Days day(int y, unsigned m, unsigned d) {
  return s::Days{year{y} / month{m} / d};
}
s::Instant utc(int y, unsigned m, unsigned d, int h, int mi = 0, int sec = 0) {
  return s::Instant{day(y, m, d)} + hours(h) + minutes(mi) + seconds(sec);
}
s::LocalTime local(int y, unsigned m, unsigned d, int h, int mi = 0) {
  return s::LocalTime{day(y, m, d).time_since_epoch()} + hours(h) + minutes(mi);
}

TEST(OsloTime, SummerTimeStartsOnTheLastSundayOfMarchAt0100Utc) {
  // 2027: 28 March (also Easter Sunday); 2026: 29 March.
  EXPECT_EQ(s::osloOffset(utc(2027, 3, 28, 0, 59, 59)), hours(1));
  EXPECT_EQ(s::osloOffset(utc(2027, 3, 28, 1)), hours(2));
  EXPECT_EQ(s::osloOffset(utc(2026, 3, 29, 0, 59, 59)), hours(1));
  EXPECT_EQ(s::osloOffset(utc(2026, 3, 29, 1)), hours(2));
  EXPECT_EQ(s::osloOffset(utc(2027, 3, 21, 12)), hours(1));  // the Sunday before
}

TEST(OsloTime, SummerTimeEndsOnTheLastSundayOfOctoberAt0100Utc) {
  EXPECT_EQ(s::osloOffset(utc(2027, 10, 31, 0, 59, 59)), hours(2));
  EXPECT_EQ(s::osloOffset(utc(2027, 10, 31, 1)), hours(1));
  EXPECT_EQ(s::osloOffset(utc(2026, 10, 25, 0, 59, 59)), hours(2));
  EXPECT_EQ(s::osloOffset(utc(2026, 10, 25, 1)), hours(1));
  EXPECT_EQ(s::osloOffset(utc(2026, 12, 24, 12)), hours(1));
  EXPECT_EQ(s::osloOffset(utc(2026, 7, 1, 12)), hours(2));
}

TEST(OsloTime, WallClockToInstantAcrossBothTransitions) {
  EXPECT_EQ(s::fromOslo(local(2027, 3, 26, 9)), utc(2027, 3, 26, 8));  // Friday, CET
  EXPECT_EQ(s::fromOslo(local(2027, 3, 30, 9)), utc(2027, 3, 30, 7));  // Tuesday, CEST
  // 02:30 does not exist on 28 March 2027: it becomes 03:30 CEST.
  EXPECT_EQ(s::fromOslo(local(2027, 3, 28, 2, 30)), utc(2027, 3, 28, 1, 30));
  EXPECT_EQ(s::formatOsloRfc3339(s::fromOslo(local(2027, 3, 28, 2, 30))),
            "2027-03-28T03:30:00+02:00");
  // 02:30 happens twice on 31 October 2027: the first (CEST) is taken.
  EXPECT_EQ(s::fromOslo(local(2027, 10, 31, 2, 30)), utc(2027, 10, 31, 0, 30));
  EXPECT_EQ(s::fromOslo(local(2027, 10, 29, 9)), utc(2027, 10, 29, 7));  // Friday, CEST
  EXPECT_EQ(s::fromOslo(local(2027, 11, 1, 9)), utc(2027, 11, 1, 8));    // Monday, CET
  for (auto t : {utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 1, 30), utc(2027, 10, 31, 0, 30),
                 utc(2027, 10, 31, 2, 30), utc(2028, 6, 1, 10)}) {
    if (t == utc(2027, 10, 31, 1, 30)) continue;
    EXPECT_EQ(s::fromOslo(s::toOslo(t)), t) << s::formatOsloRfc3339(t);
  }
}

TEST(OsloTime, FormatsAndParses) {
  EXPECT_EQ(s::formatOsloRfc3339(utc(2027, 1, 5, 8)), "2027-01-05T09:00:00+01:00");
  EXPECT_EQ(s::formatOsloRfc3339(utc(2027, 6, 1, 7)), "2027-06-01T09:00:00+02:00");
  EXPECT_EQ(s::formatIcalLocal(utc(2027, 6, 1, 7)), "20270601T090000");
  EXPECT_EQ(s::formatIcalUtc(utc(2026, 11, 22, 10)), "20261122T100000Z");
  EXPECT_EQ(s::parseRfc3339("2027-06-01T09:00:00+02:00"), utc(2027, 6, 1, 7));
  EXPECT_EQ(s::parseRfc3339("2027-06-01T07:00:00.123Z"), utc(2027, 6, 1, 7));
  EXPECT_FALSE(s::parseRfc3339("2027-06-01 07:00"));
  EXPECT_EQ(s::parseDate("2028-02-29"), day(2028, 2, 29));
  EXPECT_FALSE(s::parseDate("2027-02-29"));
  EXPECT_FALSE(s::parseDate("2027-13-01"));
  EXPECT_FALSE(s::parseDate("27-01-01"));
  EXPECT_EQ(s::osloDay(utc(2027, 6, 1, 22, 30)), day(2027, 6, 2));  // 00:30 the next day
}

TEST(Holidays, EasterSundayForManyYears) {
  EXPECT_EQ(s::easterSunday(2000), day(2000, 4, 23));
  EXPECT_EQ(s::easterSunday(2019), day(2019, 4, 21));
  EXPECT_EQ(s::easterSunday(2024), day(2024, 3, 31));
  EXPECT_EQ(s::easterSunday(2025), day(2025, 4, 20));
  EXPECT_EQ(s::easterSunday(2026), day(2026, 4, 5));
  EXPECT_EQ(s::easterSunday(2027), day(2027, 3, 28));
  EXPECT_EQ(s::easterSunday(2028), day(2028, 4, 16));
  EXPECT_EQ(s::easterSunday(2029), day(2029, 4, 1));
  EXPECT_EQ(s::easterSunday(2030), day(2030, 4, 21));
  EXPECT_EQ(s::easterSunday(2038), day(2038, 4, 25));  // the latest possible
  EXPECT_EQ(s::easterSunday(2285), day(2285, 3, 22));  // the earliest possible
}

TEST(Holidays, NorwegianPublicHolidaysOf2027And2028) {
  const auto h27 = s::norwegianHolidays(2027);
  ASSERT_EQ(h27.size(), 12U);
  for (auto d : {day(2027, 1, 1), day(2027, 3, 25), day(2027, 3, 26), day(2027, 3, 28),
                 day(2027, 3, 29), day(2027, 5, 1), day(2027, 5, 6), day(2027, 5, 16),
                 day(2027, 5, 17), day(2027, 12, 25), day(2027, 12, 26)}) {
    EXPECT_TRUE(s::isPublicHoliday(d)) << s::formatDate(d);
  }
  // Whit Monday 2027 falls on 17 May.
  EXPECT_EQ(h27[9].day, day(2027, 5, 17));
  EXPECT_EQ(h27[9].name, "Whit Monday");
  for (auto d : {day(2028, 4, 13), day(2028, 4, 14), day(2028, 4, 17), day(2028, 5, 25),
                 day(2028, 6, 5), day(2028, 5, 17), day(2028, 12, 25), day(2028, 12, 26)}) {
    EXPECT_TRUE(s::isPublicHoliday(d)) << s::formatDate(d);
  }
  EXPECT_FALSE(s::isPublicHoliday(day(2028, 4, 18)));
  EXPECT_FALSE(s::isPublicHoliday(day(2027, 12, 24)));  // Christmas Eve is not one
}

TEST(WorkingDays, SkipWeekendsAndHolidays) {
  EXPECT_TRUE(s::isWorkingDay(day(2027, 5, 18)));
  EXPECT_FALSE(s::isWorkingDay(day(2027, 5, 17)));   // Monday, Constitution Day
  EXPECT_FALSE(s::isWorkingDay(day(2027, 5, 15)));   // Saturday
  EXPECT_FALSE(s::isWorkingDay(day(2026, 12, 25)));  // Friday, Christmas
  EXPECT_EQ(s::nextWorkingDay(day(2026, 12, 25)), day(2026, 12, 28));
  // Maundy Thursday 2027 to Easter Monday: next working day Tuesday 30 March.
  EXPECT_EQ(s::nextWorkingDay(day(2027, 3, 25)), day(2027, 3, 30));
  EXPECT_EQ(s::nextWorkingDay(day(2026, 12, 31)), day(2026, 12, 31));
  EXPECT_EQ(s::nextWorkingDay(day(2027, 1, 1)), day(2027, 1, 4));
}

TEST(Placement, AcrossEasterAndTheMarchTransition) {
  s::WorkingHours hours{minutes(8 * 60), minutes(15 * 60 + 30)};
  // Window from Maundy Thursday: the first slot is Tuesday after Easter, 08:00 CEST.
  auto slot = s::placeMeeting(day(2027, 3, 25), day(2027, 4, 2), hours, minutes(60), nullptr);
  ASSERT_TRUE(slot);
  EXPECT_EQ(*slot, utc(2027, 3, 30, 6));
  // Before the change, 08:00 CET is 07:00 UTC.
  slot = s::placeMeeting(day(2027, 3, 24), day(2027, 4, 2), hours, minutes(60), nullptr);
  EXPECT_EQ(*slot, utc(2027, 3, 24, 7));
}

TEST(Placement, AcrossTheOctoberTransitionWithBusySlots) {
  s::WorkingHours hours{minutes(9 * 60), minutes(11 * 60)};
  // Friday 29 October 2027 is taken all day: Monday 1 November 09:00 CET.
  auto busyFriday = [](s::Instant start, s::Instant) {
    return s::osloDay(start) != day(2027, 10, 29);
  };
  auto slot = s::placeMeeting(day(2027, 10, 29), day(2027, 11, 5), hours, minutes(60), busyFriday);
  ASSERT_TRUE(slot);
  EXPECT_EQ(*slot, utc(2027, 11, 1, 8));
  EXPECT_EQ(s::formatOsloRfc3339(*slot), "2027-11-01T09:00:00+01:00");
  // The 09:00 slot is taken: the next on the grid is 10:00.
  auto busyNine = [](s::Instant start, s::Instant) { return start != utc(2027, 10, 29, 7); };
  slot = s::placeMeeting(day(2027, 10, 29), day(2027, 11, 5), hours, minutes(60), busyNine);
  EXPECT_EQ(*slot, utc(2027, 10, 29, 8));
  // A window of holidays and a weekend only has no slot.
  EXPECT_FALSE(s::placeMeeting(day(2026, 12, 25), day(2026, 12, 27), hours, minutes(60), nullptr));
  // A meeting longer than the working day has none either.
  EXPECT_FALSE(s::placeMeeting(day(2027, 1, 4), day(2027, 1, 8), hours, minutes(180), nullptr));
}

TEST(RecurrenceRules, FirstTuesdayAt0900AcrossDaylightSaving) {
  auto rule = s::parseRecurrenceRule("FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9");
  ASSERT_TRUE(rule) << rule.error().message;
  auto t = s::nextOccurrence(rule.value(), utc(2027, 2, 15, 0));
  EXPECT_EQ(t, utc(2027, 3, 2, 8));  // 09:00 CET
  t = s::nextOccurrence(rule.value(), t);
  EXPECT_EQ(t, utc(2027, 4, 6, 7));  // 09:00 CEST
  t = s::nextOccurrence(rule.value(), utc(2027, 10, 20, 0));
  EXPECT_EQ(t, utc(2027, 11, 2, 8));
  // Exactly at an occurrence: the next one.
  EXPECT_EQ(s::nextOccurrence(rule.value(), utc(2027, 3, 2, 8)), utc(2027, 4, 6, 7));
  EXPECT_EQ(s::nextOccurrence(rule.value(), utc(2027, 3, 2, 7, 59)), utc(2027, 3, 2, 8));
}

TEST(RecurrenceRules, LastFridayMonthDayWeeklyAndInterval) {
  auto last = s::parseRecurrenceRule("RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=14;BYMINUTE=30");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(s::nextOccurrence(last.value(), utc(2027, 10, 1, 0)), utc(2027, 10, 29, 12, 30));
  auto monthDay = s::parseRecurrenceRule("FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=10");
  ASSERT_TRUE(monthDay);
  EXPECT_EQ(s::nextOccurrence(monthDay.value(), utc(2027, 1, 15, 9)), utc(2027, 2, 15, 9));
  auto weekly = s::parseRecurrenceRule("FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=8");
  ASSERT_TRUE(weekly);
  auto t = s::nextOccurrence(weekly.value(), utc(2027, 3, 26, 12));  // Friday
  EXPECT_EQ(t, utc(2027, 3, 29, 6));  // Monday 08:00 CEST, the day after the change
  EXPECT_EQ(s::nextOccurrence(weekly.value(), t), utc(2027, 4, 1, 6));
  auto quarterly = s::parseRecurrenceRule("FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;BYHOUR=9");
  ASSERT_TRUE(quarterly);
  const auto q1 = s::nextOccurrence(quarterly.value(), utc(2027, 1, 1, 0));
  const auto q2 = s::nextOccurrence(quarterly.value(), q1);
  EXPECT_EQ(duration_cast<days>(q2 - q1).count() / 28, 3);
}

TEST(RecurrenceRules, UnsupportedOrMalformedRulesNameThePart) {
  struct Bad {
    const char* rule;
    const char* mentions;
  };
  for (const auto& b : {Bad{"FREQ=DAILY", "FREQ"}, Bad{"FREQ=MONTHLY;BYDAY=TU", "ordinal"},
                        Bad{"FREQ=MONTHLY;BYDAY=7TU", "BYDAY"}, Bad{"FREQ=WEEKLY", "BYDAY"},
                        Bad{"FREQ=MONTHLY;BYDAY=1XX", "BYDAY"}, Bad{"BYDAY=1TU", "FREQ"},
                        Bad{"FREQ=MONTHLY;BYDAY=1TU;BYHOUR=25", "BYHOUR"},
                        Bad{"FREQ=MONTHLY;BYDAY=1TU;COUNT=3", "COUNT"},
                        Bad{"FREQ=MONTHLY;BYDAY", "NAME=VALUE"}, Bad{"", "empty"}}) {
    auto r = s::parseRecurrenceRule(b.rule);
    ASSERT_FALSE(r) << b.rule;
    EXPECT_NE(r.error().message.find(b.mentions), std::string::npos)
        << b.rule << ": " << r.error().message;
  }
}

}  // namespace
