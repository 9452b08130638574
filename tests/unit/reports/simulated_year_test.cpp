// A simulated year of start-up loans (issue 16's first test, the loan part): the loan
// simulator's journeys with a fixed seed and a simulated clock (each step's
// occurred_at is on the day it happens), mapped by the loan connector's own parser,
// validated against the schemas and stored by the reporting component in a real SQLite
// store. The expected figures are worked out here from the journeys' JSON alone, not by
// the report code, and every loan measure of every month and tertial is compared.

#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/simulators/loan_journeys.hpp>
#include <wayhome/testing/testing.hpp>

#include "simulated_support.hpp"

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono;

using simulated::atTen;
using simulated::periodsOf;

struct Expected {
  std::int64_t applied = 0, granted = 0, rejected = 0, disbursed = 0, missed = 0, grantedNok = 0;
};

TEST(ReportsSimulatedYear, EveryLoanMeasureOfEveryMonthAndTertial) {
  // The simulated journeys, as the simulator would post them.
  std::mt19937_64 rng(20260105);
  std::vector<connectors::loan::SimulatedWebhook> webhooks;
  for (int n = 1; n <= 400; ++n) {
    for (auto& w : connectors::loan::loanJourney(rng, "5eed0001", n, atTen))
      webhooks.push_back(std::move(w));
  }

  // Expected, from the webhook bodies alone.
  std::map<std::string, Expected> expected;
  for (const auto& w : webhooks) {
    rapidjson::Document d;
    d.Parse(w.body.c_str());
    ASSERT_FALSE(d.HasParseError()) << w.body;
    const std::string type = d["type"].GetString();
    const auto& data = d["data"];
    if (type == "application_submitted") {
      for (const auto& p : periodsOf(data["submitted_date"].GetString()))
        ++expected[p].applied;
    } else if (type == "application_decided") {
      const bool granted = std::string(data["outcome"].GetString()) == "granted";
      for (const auto& p : periodsOf(data["decided_date"].GetString())) {
        ++(granted ? expected[p].granted : expected[p].rejected);
        if (granted) expected[p].grantedNok += data["amount_nok"].GetInt64();
      }
    } else if (type == "disbursed") {
      for (const auto& p : periodsOf(data["disbursed_date"].GetString()))
        ++expected[p].disbursed;
    } else if (type == "instalment_missed") {
      // Counted by the event's time: the simulated occurred_at.
      for (const auto& p : periodsOf(d["occurred_at"].GetString()))
        ++expected[p].missed;
    }
  }

  // Through the connector's mapping and the reporting component's ingest.
  const connectors::PersonRefs refs(std::string(40, 'k'));
  const auto registry = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  std::vector<bus::KafkaRecord> records;
  for (const auto& w : webhooks) {
    auto event = simulated::loanEvent(w.body, refs);
    ASSERT_TRUE(event);
    const bus::CloudEvent& e = *event;
    bus::KafkaRecord r;
    r.topic = "cases.loan";
    r.value = e.data;
    r.headers = bus::binding::toHeaders(e);
    records.push_back(std::move(r));
  }
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  state.migrate(reportsSchema());
  const auto outcome = ingest(state, registry, records, 1);
  ASSERT_TRUE(outcome.rejected.empty()) << outcome.rejected.front();
  EXPECT_EQ(outcome.stored, webhooks.size());

  int compared = 0;
  for (int year = 2026; year <= 2028; ++year) {
    std::vector<std::string> labels;
    for (const auto& p : Period::ofYear(year))
      labels.push_back(p.label());
    for (const auto& label : labels) {
      const auto p = Period::parse(label).value();
      const Report report = computeReport(loadFacts(state, p.endMs()), p);
      const Expected& want = expected[label];
      // What is shown is the figure, or hidden; a count from 1 to 4 never shown.
      compared += simulated::expectFigures(report, label, "loans",
                                           {{"applied.count", want.applied},
                                            {"granted.count", want.granted},
                                            {"rejected.count", want.rejected},
                                            {"disbursed.count", want.disbursed}});
      compared += simulated::expectFigures(report, label, "arrears",
                                           {{"instalments_missed.count", want.missed}});
      for (const auto& s : report.statistics) {
        if (s.id != "loans.granted_nok") continue;
        if (want.granted >= kMinimumBasis) {
          ASSERT_TRUE(s.value) << label;
          EXPECT_EQ(static_cast<std::int64_t>(*s.value), want.grantedNok) << label;
        } else {
          EXPECT_FALSE(s.value) << label;
        }
      }
    }
  }
  EXPECT_EQ(compared, 3 * 15 * 5);
  // Every journey was counted once, in some month of the three years.
  std::int64_t applied = 0, decided = 0;
  for (const auto& [label, e] : expected) {
    if (label[5] != 'T') {  // a month
      applied += e.applied;
      decided += e.granted + e.rejected;
    }
  }
  EXPECT_EQ(applied, 400);
  EXPECT_EQ(decided, 400);
  // The year was busy enough that most months show their figures.
  EXPECT_GE(expected["2026-06"].applied, 5);
}

}  // namespace
}  // namespace wayhome::reports
