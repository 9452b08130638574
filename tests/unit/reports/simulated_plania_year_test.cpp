// A simulated year of housing (issue 16's first test, the Plania part): the Plania
// simulator stepped in-process one simulated day at a time with a fixed seed; each day
// every changed contract goes through the Plania connector's own derivation
// (deriveContract), and what it derives through the real router (the default rules, on
// the simulated day) and the reporting component's ingest into a real SQLite store. The
// expected figures come from the simulator's contract records alone (their dates and
// how they changed day by day) and the rules as the rules file states them, not from the
// report code, and are compared for every month and tertial: tenancies, the whole
// waiting list, follow-ups due, renewals, arrears cases opened and referred,
// terminations, evictions and those with a referral before them, referrals made.

#include <algorithm>
#include <map>
#include <set>

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

using namespace connectors::plania;
using simulated::periodsOf;
using simulated::personRefOf;

TEST(ReportsSimulatedYear, TenanciesAndTheWaitingListOfEveryMonthAndTertial) {
  SimulatorSettings settings;
  settings.stepInterval = std::chrono::milliseconds(0);
  settings.seed = 16;
  settings.households = 40;
  settings.units = 30;
  PlaniaSimulator sim(settings);

  const simulated::QuietLog quiet;
  simulated::Pipeline pipe;

  std::map<std::string, std::string> seen;  // contract id -> record as last read
  std::map<std::string, Contract> previous;
  struct Term {
    bool fixed = false;
    std::string end;                                            // when signed
    std::vector<std::pair<std::string, std::string>> renewals;  // day, new end
  };
  std::map<std::string, Term> term;
  std::map<std::string, std::string> arrearsFrom;      // contract -> first day in arrears
  std::map<std::string, std::int64_t> arrearsOpened;   // period -> cases opened
  std::map<std::string, std::int64_t> arrearsCleared;  // period -> cases cleared
  std::set<std::string> openArrears;                   // contracts with an open case
  // Referrals the rules make without consent (none is given here; those that need one
  // wait, and R2/R18's deferred ones are never made): R12 an application that wants
  // financial advice; R1 a tenancy signed without a housing contact, R16 one without
  // the guidance folder; R5 each time a contract's rent is further overdue; R15 a
  // warning of termination for arrears; R14 an eviction. Made on the day Plania shows it.
  std::map<std::string, std::int64_t> arrearsReferred;  // period -> R5 referrals
  std::map<std::string, std::int64_t> referralsMade;    // period -> all referrals
  std::map<std::string, std::string> firstReferral;     // person_ref -> first day referred
  int n = 0;
  for (int day = 0; day < 500; ++day) {
    sim.step(1);
    const std::string today = sim.dateOf(sim.day());
    const std::int64_t nowMs = simulated::parseMs(today + "T10:00:00Z");
    auto referred = [&](const std::string& person) {
      for (const auto& p : periodsOf(today))
        ++referralsMade[p];
      firstReferral.emplace(person, today);
    };
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
      // Expected arrears cases: one opens the first day a contract's record shows rent
      // overdue while it has no open case, and is cleared the first day the record shows
      // nothing overdue again.
      const bool owes = current.value().monthsOverdue >= 1 && current.value().arrearsNok >= 1;
      const bool paid = current.value().monthsOverdue == 0 && current.value().arrearsNok == 0;
      if (owes && openArrears.insert(id).second) {
        arrearsFrom.emplace(id, today);
        for (const auto& p : periodsOf(today))
          ++arrearsOpened[p];
      } else if (paid && openArrears.erase(id) == 1) {
        for (const auto& p : periodsOf(today))
          ++arrearsCleared[p];
      }
      // Expected renewals: the scheduled end when signed, and each later one that a
      // contract still running moved out, on the simulated day it happened.
      const Contract& c = current.value();
      const std::string person = personRefOf(c.customerId);
      const bool wasStarted = before && before->startDate;
      const bool wasTerminated = before && (before->endDate || before->status == "TERMINATED");
      const bool terminated = c.endDate || c.status == "TERMINATED";
      if (c.applicationRegisteredDate && !(before && before->applicationRegisteredDate) &&
          c.wantsFinancialAdvice.value_or(false)) {
        referred(person);
      }
      if (c.startDate && !wasStarted) {
        if (!c.housingContactId) referred(person);
        if (!c.guidanceFolderHandedOver.value_or(false)) referred(person);
      }
      if (c.monthsOverdue > (before ? before->monthsOverdue : 0) && c.arrearsNok >= 1) {
        referred(person);
        for (const auto& p : periodsOf(today))
          ++arrearsReferred[p];
      }
      if (c.terminationWarningDate &&
          (!before || before->terminationWarningDate != c.terminationWarningDate) && !terminated &&
          c.terminationWarningReason == "HUSLEIERESTANSE") {
        referred(person);
      }
      if (terminated && !wasTerminated && c.terminationReason == "UTKASTELSE") referred(person);
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
        pipe.report("cases.plania", e);
        pipe.route(e, nowMs);
      }
    }
    pipe.flush();
  }

  // Expected, from the contract records as they ended.
  struct Expected {
    std::int64_t signedN = 0, contact = 0, folder = 0, approved = 0, allocated = 0,
                 terminations = 0, due1 = 0, due2 = 0, expiring = 0, renewedBefore = 0,
                 evictions = 0, evictionsAfterReferral = 0;
    std::vector<double> waitedDays;  // of the allocations in the period
  };
  // The waiting list (docs/REPORTS.md): from approval until allocation.
  struct OnList {
    std::string approved, allocated;  // allocated "": still waiting
    std::string person;
  };
  std::vector<OnList> onList;
  std::map<std::string, std::string> firstPlan;  // person_ref -> first plan recorded
  auto daysBetween = [](const std::string& from, const std::string& to) {
    auto day = [](const std::string& s) {
      unsigned y = 0, m = 0, d = 0;
      EXPECT_EQ(std::sscanf(s.c_str(), "%u-%u-%u", &y, &m, &d), 3) << s;
      return std::chrono::sys_days{std::chrono::year{static_cast<int>(y)} / std::chrono::month{m} /
                                   std::chrono::day{d}};
    };
    return static_cast<double>((day(to) - day(from)).count());
  };
  std::map<std::string, Expected> expected;
  std::int64_t signedTotal = 0, approvedTotal = 0;
  for (const auto& [id, item] : seen) {
    rapidjson::Document d;
    d.Parse(item.c_str());
    ASSERT_FALSE(d.HasParseError());
    auto date = [&](const char* name) -> std::string {
      return d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
    };
    const std::string person = personRefOf(date("customerId"));
    if (!date("housingPlanDate").empty()) {
      auto [it, added] = firstPlan.emplace(person, date("housingPlanDate"));
      if (!added) it->second = std::min(it->second, date("housingPlanDate"));
    }
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
      // An eviction (Plania's UTKASTELSE); after a referral when the tenant had one
      // made before the end date.
      const bool eviction = date("terminationReason") == "UTKASTELSE";
      const auto referral = firstReferral.find(person);
      const bool afterReferral = referral != firstReferral.end() && referral->second < ended;
      for (const auto& p : periodsOf(ended)) {
        ++expected[p].terminations;
        if (eviction) ++expected[p].evictions;
        if (eviction && afterReferral) ++expected[p].evictionsAfterReferral;
      }
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
      onList.push_back({date("approvalDate"),
                        d.HasMember("areaId") ? date("allocationDate") : std::string(), person});
      for (const auto& p : periodsOf(date("approvalDate")))
        ++expected[p].approved;
      if (!date("allocationDate").empty() && d.HasMember("areaId")) {
        for (const auto& p : periodsOf(date("allocationDate"))) {
          ++expected[p].allocated;
          expected[p].waitedDays.push_back(
              daysBetween(date("approvalDate"), date("allocationDate")));
        }
      }
    }
  }
  EXPECT_GE(signedTotal, 10);
  EXPECT_GE(approvedTotal, 10);

  // Dates compare as text. On the list at the end of `day`; of those, without a plan
  // (their person's first plan recorded after `day`, or none).
  auto waitingOn = [&](const std::string& day, bool withoutPlanOnly = false) {
    std::int64_t waiting = 0;
    for (const auto& h : onList) {
      if (h.approved > day || (!h.allocated.empty() && h.allocated <= day)) continue;
      const auto plan = firstPlan.find(h.person);
      if (withoutPlanOnly && plan != firstPlan.end() && plan->second <= day) continue;
      ++waiting;
    }
    return waiting;
  };
  // The period's days: noon UTC of each is inside its Oslo day.
  auto daysOf = [](const Period& p) {
    std::vector<std::string> out;
    for (std::int64_t ms = p.startMs() + 12 * 3600000LL; ms < p.endMs(); ms += 24 * 3600000LL)
      out.push_back(simulated::osloDate(ms));
    return out;
  };
  auto waitingAt = [&](const Period& p) { return waitingOn(daysOf(p).back()); };
  const int firstYear = std::stoi(sim.dateOf(0).substr(0, 4));
  const int lastYear = std::stoi(sim.dateOf(sim.day()).substr(0, 4));
  int compared = 0;
  // Periods where the figures tell apart what they should: a plan recorded for some
  // who wait, a day of the period with more waiting than at its end.
  int withPlanSomewhere = 0, higherThanAtEnd = 0;
  for (int year = firstYear; year <= lastYear; ++year) {
    std::vector<std::string> labels;
    for (const auto& p : Period::ofYear(year))
      labels.push_back(p.label());
    for (const auto& label : labels) {
      const auto p = Period::parse(label).value();
      const Report report = pipe.reportOf(label);
      const Expected& want = expected[label];
      const auto days = daysOf(p);
      std::int64_t highest = 0;
      for (const auto& day : days)
        highest = std::max(highest, waitingOn(day));
      if (waitingOn(days.back(), true) < waitingOn(days.back())) ++withPlanSomewhere;
      if (highest > waitingOn(days.back())) ++higherThanAtEnd;
      compared += simulated::expectFigures(report, label, "tenancies",
                                           {{"signed.count", want.signedN},
                                            {"with_housing_contact.count", want.contact},
                                            {"guidance_folder_handed_over.count", want.folder}});
      compared +=
          simulated::expectFigures(report, label, "waiting_list",
                                   {{"approved.count", want.approved},
                                    {"allocated.count", want.allocated},
                                    {"waiting_at_end.count", waitingOn(days.back())},
                                    {"highest.count", highest},
                                    {"without_plan_at_end.count", waitingOn(days.back(), true)}});
      compared += simulated::expectFigures(
          report, label, "arrears",
          {{"terminations.count", want.terminations},
           {"arrears_opened.count", arrearsOpened[label]},
           {"arrears_cleared.count", arrearsCleared[label]},
           {"arrears_referred.count", arrearsReferred[label]},
           {"evictions.count", want.evictions},
           {"evictions_after_referral.count", want.evictionsAfterReferral}});
      compared += simulated::expectFigures(report, label, "follow_ups",
                                           {{"year_1.due", want.due1}, {"year_2.due", want.due2}});
      compared += simulated::expectFigures(report, label, "renewals",
                                           {{"contracts_expiring.count", want.expiring},
                                            {"renewed_before_expiry.count", want.renewedBefore}});
      compared += simulated::expectFigures(report, label, "referrals",
                                           {{"total.created", referralsMade[label]}});
      const auto median = simulated::statistic(report, "waiting_list.median_waiting_days");
      if (static_cast<std::int64_t>(want.waitedDays.size()) >= kMinimumBasis) {
        ASSERT_TRUE(median) << label;
        EXPECT_NEAR(*median, simulated::medianOf(want.waitedDays), 0.051) << label;
      } else {
        EXPECT_FALSE(median) << label;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 15 * 20);
  // Not a quiet year: contracts ended and households waited.
  std::int64_t ended = 0, mostWaiting = 0, due = 0, renewed = 0, evictions = 0, referred = 0,
               medians = 0, cleared = 0;
  for (const auto& [label, e] : expected) {
    if (label[5] != 'T') {
      ended += e.terminations;
      due += e.due1 + e.due2;
      renewed += e.renewedBefore;
      evictions += e.evictions;
      referred += arrearsReferred[label];
      cleared += arrearsCleared[label];
      if (static_cast<std::int64_t>(e.waitedDays.size()) >= kMinimumBasis) ++medians;
    }
  }
  for (int m = 1; m <= 12; ++m)
    mostWaiting = std::max(mostWaiting, waitingAt(Period{Period::Kind::kMonth, firstYear, m}));
  std::cerr << "simulated: " << signedTotal << " signed, " << approvedTotal << " approved, "
            << ended << " ended, " << due << " follow-ups due, " << arrearsFrom.size()
            << " contracts in arrears (" << cleared << " cases cleared), " << renewed
            << " renewed, at most " << mostWaiting << " waiting at a month's end, " << evictions
            << " evictions, " << referred << " arrears referrals, " << firstPlan.size()
            << " with a plan, " << medians << " months with a median wait; " << withPlanSomewhere
            << " periods with a plan for some waiting, " << higherThanAtEnd
            << " with more waiting on a day than at the end\n";
  EXPECT_GE(ended, 3);
  EXPECT_GE(arrearsFrom.size(), 3U);
  EXPECT_GE(cleared, 3);
  EXPECT_GE(due, 3);
  EXPECT_GE(mostWaiting, 2);
  EXPECT_GE(evictions, 2);
  EXPECT_GE(referred, 5);
  EXPECT_GE(firstPlan.size(), 2U);
  EXPECT_GE(withPlanSomewhere, 3);
  EXPECT_GE(higherThanAtEnd, 3);
  EXPECT_GE(medians, 3);
}

}  // namespace
}  // namespace wayhome::reports
