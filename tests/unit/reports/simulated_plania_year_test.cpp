// A simulated year of housing (issue 16's first test, the Plania part): the Plania
// simulator stepped in-process one simulated day at a time with a fixed seed; each day
// every changed contract goes through the Plania connector's own derivation
// (deriveContract) and the reporting component's ingest into a real SQLite store. The
// expected figures come from the simulator's contract records alone (their dates and
// how they changed day by day), not from the report code, and are compared for every
// month and tertial: tenancies, the waiting list, follow-ups due, renewals, arrears
// cases opened, terminations.

#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/core/clock.hpp>
#include <wayhome/plania/records.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/simulators/plania_simulator.hpp>
#include <wayhome/testing/testing.hpp>

#include "simulated_support.hpp"

namespace wayhome::reports {
namespace {

namespace t = wayhome::testing;
using namespace connectors::plania;

std::vector<std::string> periodsOf(const std::string& date) {
  const int month = std::stoi(date.substr(5, 2));
  return {date.substr(0, 7), date.substr(0, 4) + "-T" + std::to_string((month - 1) / 4 + 1)};
}

std::string personRefOf(const std::string& customerId) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "pr_%032zx", std::hash<std::string>{}(customerId));
  return buf;
}

TEST(ReportsSimulatedYear, TenanciesAndTheWaitingListOfEveryMonthAndTertial) {
  SimulatorSettings settings;
  settings.stepInterval = std::chrono::milliseconds(0);
  settings.seed = 16;
  settings.households = 40;
  settings.units = 30;
  PlaniaSimulator sim(settings);

  const auto registry = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  const simulated::ScratchDir dir;
  store::StateStore state(dir / "state.db");
  state.migrate(reportsSchema());

  std::map<std::string, std::string> seen;  // contract id -> record as last read
  std::map<std::string, Contract> previous;
  struct Term {
    bool fixed = false;
    std::string end;                                            // when signed
    std::vector<std::pair<std::string, std::string>> renewals;  // day, new end
  };
  std::map<std::string, Term> term;
  std::map<std::string, std::string> arrearsFrom;     // contract -> first day in arrears
  std::map<std::string, std::int64_t> arrearsOpened;  // period -> cases opened
  int n = 0;
  for (int day = 0; day < 500; ++day) {
    sim.step(1);
    std::vector<bus::KafkaRecord> records;
    for (const auto& id : sim.ids(Entity::kContract)) {
      const auto item = *sim.get(Entity::kContract, id);
      if (seen[id] == item) continue;
      seen[id] = item;
      auto current = parseContract(item);
      ASSERT_TRUE(current) << current.error().message;
      std::optional<Contract> before;
      if (auto it = previous.find(id); it != previous.end()) before = it->second;
      const ContractParty party{personRefOf(current.value().customerId), 2};
      auto derived = deriveContract(before, current.value(), party);
      ASSERT_TRUE(derived) << derived.error().message;
      // Expected arrears cases: the first day a contract's record shows rent overdue.
      if (current.value().monthsOverdue >= 1 && current.value().arrearsNok >= 1 &&
          arrearsFrom.emplace(id, sim.dateOf(sim.day())).second) {
        for (const auto& p : periodsOf(sim.dateOf(sim.day())))
          ++arrearsOpened[p];
      }
      // Expected renewals: the scheduled end when signed, and each later one that a
      // contract still running moved out, on the simulated day it happened.
      const Contract& c = current.value();
      const bool wasStarted = before && before->startDate;
      if (c.startDate && !wasStarted && c.areaId) {
        term[id] = {c.fixedTerm.value_or(c.scheduledEndDate.has_value()),
                    c.scheduledEndDate.value_or(""),
                    {}};
      } else if (wasStarted && before->scheduledEndDate && c.scheduledEndDate &&
                 *c.scheduledEndDate > *before->scheduledEndDate && !c.endDate &&
                 c.status != "TERMINATED") {
        term[id].renewals.emplace_back(sim.dateOf(sim.day()), *c.scheduledEndDate);
      }
      previous[id] = current.value();
      for (const auto& d : derived.value()) {
        bus::CloudEvent e;
        e.id = "plania-" + std::to_string(++n);
        e.source = "/connectors/plania/sim";
        e.type = d.event.type;
        // The simulated day's time where the record gives none.
        e.time = d.event.time.empty() ? sim.dateOf(sim.day()) + "T10:00:00Z" : d.event.time;
        e.subject = d.event.subject;
        e.data = d.event.data;
        bus::KafkaRecord r;
        r.topic = "cases.plania";
        r.value = e.data;
        r.headers = bus::binding::toHeaders(e);
        records.push_back(std::move(r));
      }
    }
    const auto outcome = ingest(state, registry, records, 1);
    ASSERT_TRUE(outcome.rejected.empty()) << outcome.rejected.front();
  }

  // Expected, from the contract records as they ended.
  struct Expected {
    std::int64_t signedN = 0, contact = 0, folder = 0, approved = 0, allocated = 0,
                 terminations = 0, due1 = 0, due2 = 0, expiring = 0, renewedBefore = 0;
  };
  // The waiting list (docs/REPORTS.md): from approval until allocation.
  std::vector<std::pair<std::string, std::string>> onList;  // approved, allocated ("" none)
  std::map<std::string, Expected> expected;
  std::int64_t signedTotal = 0, approvedTotal = 0;
  for (const auto& [id, item] : seen) {
    rapidjson::Document d;
    d.Parse(item.c_str());
    ASSERT_FALSE(d.HasParseError());
    auto date = [&](const char* name) -> std::string {
      return d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
    };
    if (!date("startDate").empty() && d.HasMember("areaId")) {
      ++signedTotal;
      for (const auto& p : periodsOf(date("startDate"))) {
        ++expected[p].signedN;
        if (!date("housingContactId").empty()) ++expected[p].contact;
        if (d.HasMember("guidanceFolderHandedOver") && d["guidanceFolderHandedOver"].IsBool() &&
            d["guidanceFolderHandedOver"].GetBool()) {
          ++expected[p].folder;
        }
      }
    }
    std::string ended;
    if (d.HasMember("status") && std::string(d["status"].GetString()) == "TERMINATED") {
      // Ended on its end date, else its scheduled end, else when Plania recorded it.
      ended = date("endDate");
      if (ended.empty()) ended = date("scheduledEndDate");
      if (ended.empty()) ended = date("updated").substr(0, 10);
      for (const auto& p : periodsOf(ended))
        ++expected[p].terminations;
    }
    // Follow-up conversations due 1 and 2 years after the start (29 February → 28),
    // unless the contract ended before.
    if (!date("startDate").empty() && d.HasMember("areaId")) {
      for (int years = 1; years <= 2; ++years) {
        const std::string start = date("startDate");
        std::string due = std::to_string(std::stoi(start.substr(0, 4)) + years) + start.substr(4);
        const int y = std::stoi(due.substr(0, 4));
        if (due.substr(5) == "02-29" && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
          due = due.substr(0, 5) + "02-28";
        if (!ended.empty() && ended < due) continue;
        for (const auto& p : periodsOf(due))
          ++(years == 1 ? expected[p].due1 : expected[p].due2);
      }
    }
    if (auto it = term.find(id); it != term.end() && it->second.fixed) {
      std::string end = it->second.end;
      for (const auto& [day, newEnd] : it->second.renewals) {
        if (end.empty() || day > end) break;  // renewed after it expired: too late
        for (const auto& p : periodsOf(day))
          ++expected[p].renewedBefore;
        end = newEnd;
      }
      if (!end.empty() && (ended.empty() || ended >= end)) {
        for (const auto& p : periodsOf(end))
          ++expected[p].expiring;
      }
    }
    if (!date("approvalDate").empty()) {
      ++approvedTotal;
      onList.emplace_back(date("approvalDate"),
                          d.HasMember("areaId") ? date("allocationDate") : std::string());
      for (const auto& p : periodsOf(date("approvalDate")))
        ++expected[p].approved;
      if (!date("allocationDate").empty() && d.HasMember("areaId")) {
        for (const auto& p : periodsOf(date("allocationDate")))
          ++expected[p].allocated;
      }
    }
  }
  EXPECT_GE(signedTotal, 10);
  EXPECT_GE(approvedTotal, 10);

  // Dates compare as text; the period's last day is the day before its end.
  auto waitingAt = [&](const Period& p) {
    const auto last = std::chrono::floor<std::chrono::days>(p.end() - std::chrono::hours(12));
    const std::string lastDay = formatDate(std::chrono::sys_days{last});
    std::int64_t waiting = 0;
    for (const auto& [approved, allocated] : onList) {
      if (approved <= lastDay && (allocated.empty() || allocated > lastDay)) ++waiting;
    }
    return waiting;
  };
  const int firstYear = std::stoi(sim.dateOf(0).substr(0, 4));
  const int lastYear = std::stoi(sim.dateOf(sim.day()).substr(0, 4));
  int compared = 0;
  for (int year = firstYear; year <= lastYear; ++year) {
    std::vector<std::string> labels;
    for (const auto& p : Period::ofYear(year))
      labels.push_back(p.label());
    for (const auto& label : labels) {
      const auto p = Period::parse(label).value();
      const Report report = computeReport(loadFacts(state, p.endMs()), p);
      const Expected& want = expected[label];
      const std::tuple<const char*, const char*, std::int64_t> figures[] = {
          {"tenancies", "signed", want.signedN},
          {"tenancies", "with_housing_contact", want.contact},
          {"tenancies", "guidance_folder_handed_over", want.folder},
          {"waiting_list", "approved", want.approved},
          {"waiting_list", "allocated", want.allocated},
          {"arrears", "terminations", want.terminations},
          {"arrears", "arrears_opened", arrearsOpened[label]},
          {"follow_ups", "year_1", want.due1},
          {"renewals", "contracts_expiring", want.expiring},
          {"renewals", "renewed_before_expiry", want.renewedBefore},
          {"follow_ups", "year_2", want.due2},
          {"waiting_list", "waiting_at_end", waitingAt(p)},
      };
      for (const auto& [table, row, value] : figures) {
        const ReportTable* tab = nullptr;
        for (const auto& candidate : report.tables)
          if (candidate.id == table) tab = &candidate;
        ASSERT_NE(tab, nullptr);
        const auto r = static_cast<std::size_t>(std::find(tab->rows.begin(), tab->rows.end(), row) -
                                                tab->rows.begin());
        ASSERT_LT(r, tab->rows.size());
        EXPECT_EQ(tab->grid.value(r, 0), value) << label << " " << table << "." << row;
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, 15 * 12);
  // Not a quiet year: contracts ended and households waited.
  std::int64_t ended = 0, mostWaiting = 0, due = 0, renewed = 0;
  for (const auto& [label, e] : expected) {
    if (label[5] != 'T') {
      ended += e.terminations;
      due += e.due1 + e.due2;
      renewed += e.renewedBefore;
    }
  }
  for (int m = 1; m <= 12; ++m)
    mostWaiting = std::max(mostWaiting, waitingAt(Period{Period::Kind::kMonth, firstYear, m}));
  std::cerr << "simulated: " << signedTotal << " signed, " << approvedTotal << " approved, "
            << ended << " ended, " << due << " follow-ups due, " << arrearsFrom.size()
            << " arrears cases, " << renewed << " renewed, at most " << mostWaiting
            << " waiting at a month's end\n";
  EXPECT_GE(ended, 3);
  EXPECT_GE(arrearsFrom.size(), 3U);
  EXPECT_GE(due, 3);
  EXPECT_GE(mostWaiting, 2);
}

}  // namespace
}  // namespace wayhome::reports
