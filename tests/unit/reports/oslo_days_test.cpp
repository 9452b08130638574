// Day counts across a DST change (docs/REPORTS.md): a follow-up window and a contract's
// scheduled end are Oslo days, not multiples of 24 hours. 31 October 2027 is the autumn
// change (25 hours); the simulated meetings year found a window ending at midnight on
// 1 November counted in October.

#include <gtest/gtest.h>

#include <wayhome/reports/reports.hpp>
#include <wayhome/testing/records.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;

constexpr const char* kPerson = "pr_0123456789abcdef0123456789abcdef";

struct Store {
  t::TempDir dir;
  store::StateStore state{dir / "state.db"};
  Store() { state.migrate(reportsSchema()); }
  void add(const std::vector<bus::KafkaRecord>& records) {
    const auto registry = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
    const auto out = ingest(state, registry, records, 1);
    ASSERT_TRUE(out.rejected.empty()) << out.rejected.front();
  }
  std::int64_t figure(const std::string& period, const std::string& table, const std::string& row,
                      const std::string& column) {
    const auto p = Period::parse(period).value();
    const Report report = computeReport(loadFacts(state, p.endMs()), p);
    for (const auto& tab : report.tables) {
      if (tab.id != table) continue;
      for (std::size_t r = 0; r < tab.rows.size(); ++r) {
        for (std::size_t c = 0; c < tab.columns.size(); ++c) {
          if (tab.rows[r] == row && tab.columns[c] == column) return tab.grid.value(r, c);
        }
      }
    }
    ADD_FAILURE() << table << "." << row << "." << column;
    return -1;
  }
};

TEST(ReportsOsloDays, AFollowUpWindowAcrossTheAutumnChangeEndsAtMidnightOnTheFirst) {
  // Due on 1 October 2027; its window's last day is 31 October (25 hours long); no
  // conversation held: not held when the window ends, 00:00 on 1 November.
  Store s;
  s.add({t::eventRecord("tenancy.contract_signed.v1", "signed",
                        std::string(R"({"contract_id":"K-1","unit_id":"U1","person_ref":")") +
                            kPerson +
                            R"(","start_date":"2026-10-01","fixed_term":false,)"
                            R"("guidance_folder_handed_over":true})",
                        "2026-09-20T10:00:00Z")});
  EXPECT_EQ(s.figure("2027-10", "follow_ups", "year_1", "due"), 1);
  EXPECT_EQ(s.figure("2027-10", "follow_ups", "year_1", "not_held"), 0);
  EXPECT_EQ(s.figure("2027-11", "follow_ups", "year_1", "not_held"), 1);
}

TEST(ReportsOsloDays, ARenewalLateOnTheAutumnChangeDayIsBeforeAnEndThatDay) {
  // Scheduled to end on 31 October 2027 (25 hours long); renewed at 23:30 that evening
  // (22:30 UTC, 24.5 hours after the day began): before its expiry.
  Store s;
  s.add({t::eventRecord("tenancy.contract_signed.v1", "signed",
                        std::string(R"({"contract_id":"K-2","unit_id":"U1","person_ref":")") +
                            kPerson +
                            R"(","start_date":"2026-11-01","scheduled_end_date":"2027-10-31",)"
                            R"("fixed_term":true,"guidance_folder_handed_over":true})",
                        "2026-10-20T10:00:00Z"),
         t::eventRecord("tenancy.contract_renewed.v1", "renewed",
                        std::string(R"({"contract_id":"K-2","person_ref":")") + kPerson +
                            R"(","new_scheduled_end_date":"2030-10-31",)"
                            R"("previous_scheduled_end_date":"2027-10-31"})",
                        "2027-10-31T22:30:00Z")});
  EXPECT_EQ(s.figure("2027-10", "renewals", "renewed_before_expiry", "count"), 1);
  EXPECT_EQ(s.figure("2027-10", "renewals", "contracts_expiring", "count"), 0);
}

}  // namespace
}  // namespace wayhome::reports
