// Figures from facts in a real SQLite store: once per event id (a replay changes no
// figure, also after a restart), events placed by their Oslo business time, no person
// or case id in any rendering (docs/REPORTS.md).

#include <gtest/gtest.h>

#include <wayhome/reports/reports.hpp>
#include <wayhome/testing/records.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;

bus::KafkaRecord record(const std::string& type, const std::string& id, const std::string& data,
                        const std::string& time = "2027-03-10T10:00:00Z") {
  return t::eventRecord(type, id, data, time);
}

bus::KafkaRecord referral(int n, const std::string& sector, const std::string& createdAt,
                          const std::string& dueBy, const std::string& reason = "financial_advice",
                          const std::string& rule = "R5-finance") {
  return record("referral.created.v1", "rc-" + std::to_string(n),
                R"({"referral_id":"ref-)" + std::to_string(n) + R"(","person_ref":")" +
                    t::personRef(n) + R"(","from_sector":"housing","to_sector":")" + sector +
                    R"(","reason":")" + reason + R"(","rule_id":")" + rule +
                    R"(","source_event_id":"e1","created_at":")" + createdAt + R"(","due_by":")" +
                    dueBy + R"(","facts":{}})");
}

bus::KafkaRecord ack(int n, const std::string& sector, const std::string& at) {
  return record("referral.acknowledged.v1", "ra-" + std::to_string(n),
                R"({"referral_id":"ref-)" + std::to_string(n) + R"(","sector":")" + sector +
                    R"(","by":"w1","at":")" + at + R"("})");
}

bus::KafkaRecord consent(int n, const std::string& grantedAt) {
  return record("consent.granted.v1", "cg-" + std::to_string(n),
                R"({"consent_id":"c-)" + std::to_string(n) + R"(","person_ref":")" +
                    t::personRef(n) + R"(","from_sector":"health_care","to_sectors":["housing"],)" +
                    R"("purpose":"housing_need","valid_until":"2028-12-31","granted_at":")" +
                    grantedAt + R"("})");
}

bus::KafkaRecord loanApplied(int n, const std::string& date) {
  return record("loan.application_submitted.v1", "la-" + std::to_string(n),
                R"({"application_id":"app-)" + std::to_string(n) + R"(","person_ref":")" +
                    t::personRef(n) + R"(","amount_asked_nok":2000000,"submitted_date":")" + date +
                    R"("})");
}

struct Store {
  t::TempDir dir;
  std::unique_ptr<store::StateStore> state;
  Store() { open(); }
  void open() {
    state.reset();
    state = std::make_unique<store::StateStore>(dir / "state.db");
    state->migrate(reportsSchema());
  }
  IngestOutcome ingest(const std::vector<bus::KafkaRecord>& records) {
    return reports::ingest(*state, t::schemaRegistry(), records, 1);
  }
  Report report(const char* period) {
    const auto p = Period::parse(period).value();
    return computeReport(loadFacts(*state, p.endMs()), p);
  }
  std::string render(const char* period, Format f) {
    return renderReport(*state, Period::parse(period).value(), f);
  }
};

std::vector<bus::KafkaRecord> aMonthOfEvents() {
  std::vector<bus::KafkaRecord> out;
  for (int i = 0; i < 12; ++i) {
    const std::string day = (i < 9 ? "2027-03-0" : "2027-03-") + std::to_string(i + 1);
    out.push_back(referral(i, i % 3 == 0 ? "nav" : "finance", day + "T09:00:00+01:00",
                           "2027-03-20T09:00:00+01:00"));
    if (i % 2 == 0) out.push_back(ack(i, i % 3 == 0 ? "nav" : "finance", day + "T15:00:00+01:00"));
    out.push_back(consent(i, day + "T10:00:00+01:00"));
    out.push_back(loanApplied(i, day));
  }
  return out;
}

TEST(ReportsFigures, ReplayingTheSameEventsTwiceChangesNoFigure) {
  Store s;
  const auto events = aMonthOfEvents();
  const auto first = s.ingest(events);
  EXPECT_EQ(first.stored, events.size());
  EXPECT_TRUE(first.rejected.empty()) << first.rejected.front();
  const std::string month = s.render("2027-03", Format::kJson);
  const std::string tertial = s.render("2027-T1", Format::kCsv);
  EXPECT_EQ(s.report("2027-03").count("loans", "applied", "count"), 12);

  const auto again = s.ingest(events);
  EXPECT_EQ(again.stored, 0U);
  EXPECT_EQ(again.duplicates, events.size());
  EXPECT_EQ(s.render("2027-03", Format::kJson), month);
  // In another order, after a restart of the store.
  s.open();
  std::vector<bus::KafkaRecord> reversed(events.rbegin(), events.rend());
  EXPECT_EQ(s.ingest(reversed).stored, 0U);
  EXPECT_EQ(s.render("2027-03", Format::kJson), month);
  EXPECT_EQ(s.render("2027-T1", Format::kCsv), tertial);
}

TEST(ReportsFigures, HalfPastElevenOnTheLastDayCountsInItsMonth) {
  Store s;
  std::vector<bus::KafkaRecord> events;
  for (int i = 0; i < 5; ++i) {
    // Summer: 23:30 CEST on 31 July, written in UTC and with the offset.
    events.push_back(referral(100 + i, "housing",
                              i % 2 ? "2027-07-31T21:30:00Z" : "2027-07-31T23:30:00+02:00",
                              "2027-08-10T10:00:00Z"));
    // Winter: 23:30 CET on 31 January.
    events.push_back(consent(200 + i, "2027-01-31T23:30:00+01:00"));
    // The evening of the 25-hour day that ends October (CET again).
    events.push_back(consent(300 + i, "2027-10-31T22:30:00Z"));
    // A leap day.
    events.push_back(loanApplied(400 + i, "2028-02-29"));
  }
  events.push_back(consent(299, "2027-01-31T23:00:00Z"));  // 00:00 on 1 February
  ASSERT_TRUE(s.ingest(events).rejected.empty());
  EXPECT_EQ(s.report("2027-07").count("referrals", "housing", "created"), 5);
  EXPECT_EQ(s.report("2027-08").count("referrals", "housing", "created"), 0);
  EXPECT_EQ(s.report("2027-01").count("consents", "given", "count"), 5);
  EXPECT_EQ(s.report("2027-10").count("consents", "given", "count"), 5);
  EXPECT_EQ(s.report("2027-11").count("consents", "given", "count"), 0);
  EXPECT_EQ(s.report("2028-02").count("loans", "applied", "count"), 5);
  EXPECT_EQ(s.report("2028-03").count("loans", "applied", "count"), 0);
  EXPECT_EQ(s.report("2027-T2").count("referrals", "housing", "created"), 5);
  EXPECT_EQ(s.report("2027-T3").count("referrals", "housing", "created"), 0);
  // The one at midnight is February's, alone, so hidden there.
  EXPECT_EQ(s.report("2027-02").count("consents", "given", "count"), std::nullopt);
}

TEST(ReportsFigures, ReferralFiguresAndTimesToAcknowledge) {
  Store s;
  ASSERT_TRUE(s.ingest(aMonthOfEvents()).rejected.empty());
  const auto r = s.report("2027-03");
  // nav made 4 (hidden): finance's 8 is hidden with it, or 12 - 8 would give nav away.
  EXPECT_EQ(r.count("referrals", "finance", "created"), std::nullopt);
  EXPECT_EQ(r.count("referrals", "total", "created"), 12);
  // Acknowledged in time: 6 (every second one); overdue: the 6 never acknowledged.
  EXPECT_EQ(r.count("referrals", "total", "acknowledged_in_time"), 6);
  EXPECT_EQ(r.count("referrals", "total", "overdue"), 6);
  // nav: 4 created, 2 acknowledged -> hidden.
  EXPECT_EQ(r.count("referrals", "nav", "created"), std::nullopt);
  // Times from 4 acknowledgements (finance) are withheld; all sectors: none shown.
  for (const auto& st : r.statistics) {
    if (st.id.starts_with("acknowledgement_hours.")) {
      EXPECT_FALSE(st.value) << st.id;
    }
  }
}

TEST(ReportsFigures, NoPersonOrCaseIdInAnyRendering) {
  Store s;
  ASSERT_TRUE(s.ingest(aMonthOfEvents()).rejected.empty());
  for (Format f : {Format::kJson, Format::kCsv, Format::kHtml}) {
    const auto text = s.render("2027-03", f);
    EXPECT_EQ(text.find("pr_"), std::string::npos);
    EXPECT_EQ(text.find("ref-"), std::string::npos);
    EXPECT_EQ(text.find("app-"), std::string::npos);
    EXPECT_EQ(text.find("c-1"), std::string::npos);
  }
}

TEST(ReportsFigures, BadEventsAreNotCountedAndSayWhy) {
  Store s;
  auto noCe = record("consent.granted.v1", "x", "{}");
  noCe.headers.clear();
  const auto out = s.ingest({
      noCe,
      record("consent.granted.v1", "bad-1", R"({"consent_id":"c"})"),
      record("meeting.held.v1", "bad-2", R"({"held":true})"),
      record("meeting.held.v1", "bad-3", "[1,2]"),
      record("care.service_decision.v1", "other", "{}"),
  });
  ASSERT_EQ(out.rejected.size(), 4U);
  EXPECT_NE(out.rejected[0].find("CloudEvent"), std::string::npos);
  EXPECT_NE(out.rejected[1].find("consent.granted.v1"), std::string::npos);
  EXPECT_NE(out.rejected[2].find("/meeting_id"), std::string::npos) << out.rejected[2];
  EXPECT_EQ(out.ignored, 1U);
  EXPECT_EQ(out.stored, 0U);
}

}  // namespace
}  // namespace wayhome::reports
