// A simulated year of meetings (issue 16's first test, the meetings part): the Plania
// simulator (fixed seed, stepped one simulated day at a time, each changed contract
// through the Plania connector's deriveContract()) and the loan simulator's journeys
// (through the loan connector's parser) feed the real router (default rules: R1 asks
// for the follow-up conversations one and two years into a tenancy, R4 cancels them
// when it ends, R7 for the "My Own Home" guidance conversation of a granted loan); its
// notice requests go to the real scheduler (its own state store and outbox, on the
// same simulated clock), which places the meetings and sends their notices; a seeded
// case worker then records each meeting that has begun as held or not held through
// Scheduler::recordHeld(), the call behind POST /api/v1/meetings/{id}/held, whose
// meeting.held.v1 the reporting component counts with everything else. The expected
// figures come from the contracts' dates, the meetings' notices and the case worker's
// draws alone, and every follow-up and guidance figure is compared for every month
// and tertial.

#include <map>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/scheduler/settings.hpp>
#include <wayhome/simulators/loan_journeys.hpp>

#include "simulated_support.hpp"

namespace wayhome::reports {
namespace {

using namespace simulated;
using namespace std::chrono;

constexpr std::int64_t kHour = 3600000;

// "YYYY-MM-DD" + n years (29 February -> 28 February), + d days.
std::string dueDay(const std::string& start, int years) {
  const int y = std::stoi(start.substr(0, 4)) + years;
  std::string due = std::to_string(y) + start.substr(4);
  if (due.substr(5) == "02-29" && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    due = due.substr(0, 5) + "02-28";
  return due;
}
std::string plusDays(const std::string& date, int n) {
  return formatDate(
      sys_days{year_month_day{year{std::stoi(date.substr(0, 4))},
                              month{static_cast<unsigned>(std::stoi(date.substr(5, 2)))},
                              day{static_cast<unsigned>(std::stoi(date.substr(8, 2)))}}} +
      days(n));
}

// The case worker: held (80 %), not held (12 %) or never recorded (8 %), by meeting.
enum class Record { kHeld, kNotHeld, kNone };
Record caseWorker(const std::string& meetingId) {
  std::mt19937_64 r(std::hash<std::string>{}(meetingId) ^ 0x4e1d);
  const double u = std::uniform_real_distribution<double>(0, 1)(r);
  return u < 0.8 ? Record::kHeld : u < 0.92 ? Record::kNotHeld : Record::kNone;
}

struct Meeting {
  std::string kind, caseId, start, status;
  std::optional<Record> recorded;  // what the case worker recorded
};

TEST(ReportsSimulatedYear, FollowUpsHeldAndMyOwnHomeConversationsOfEveryMonthAndTertial) {
  const QuietLog quiet;
  Pipeline pipe;

  // The scheduler, on the simulated clock, with its own store and outbox.
  const ScratchDir dir;
  ManualClock clock(sys_days{2026y / January / 5});
  store::StateStore schedulerState(dir / "scheduler.db");
  bus::Outbox outbox(schedulerState, bus::OutboxOptions{}, clock);
  scheduler::Scheduler scheduler(schedulerState, outbox, pipe.registry(), pipe.topics(), clock,
                                 scheduler::SchedulerSettings{});
  std::int64_t seenSeq = 0;
  std::map<std::string, Meeting> meetings;
  // What the scheduler queued since last time: notices and held records to the
  // reports (as the relay would publish them), meetings remembered.
  auto drain = [&] {
    for (;;) {
      const auto rows = outbox.pending(seenSeq, 1000);
      if (rows.empty()) return;
      for (const auto& row : rows) {
        seenSeq = row.seq;
        bus::KafkaRecord r;
        r.topic = row.topic;
        r.key = row.key;
        r.value = row.value;
        r.headers = row.headers;
        auto e = bus::binding::fromRecord(r);
        ASSERT_TRUE(e) << e.error().message;
        if (row.topic != pipe.topics().meetingNotices()) continue;
        pipe.report(row.topic, e.value());
        if (e.value().type != "meeting.notice.v1") continue;
        rapidjson::Document d;
        d.Parse(e.value().data.c_str());
        Meeting& m = meetings[d["meeting_id"].GetString()];
        m.kind = d["kind"].GetString();
        m.caseId = d.HasMember("case_id") ? d["case_id"].GetString() : "";
        m.start = d["start"].GetString();
        m.status = d["status"].GetString();
      }
    }
  };
  auto schedule = [&](const std::vector<bus::OutboxEvent>& outputs) {
    for (const auto& o : outputs) {
      if (o.event.type != "notice.requested.v1") continue;
      bus::KafkaRecord r;
      r.topic = o.topic;
      r.key = o.event.subject;
      r.value = o.event.data;
      r.headers = bus::binding::toHeaders(o.event);
      auto outcome = scheduler.handle(r);
      ASSERT_TRUE(outcome) << outcome.error().message;
      EXPECT_NE(outcome.value(), scheduler::Outcome::kRejected) << o.event.data;
    }
  };

  // The loan journeys, by the day they happen.
  std::mt19937_64 rng(20260107);
  const connectors::PersonRefs refs(std::string(40, 'm'));
  std::map<std::string, std::vector<bus::CloudEvent>> loanDays;
  std::map<std::string, std::string> granted;  // application -> decided_date
  for (int n = 1; n <= 150; ++n) {
    for (const auto& w : connectors::loan::loanJourney(rng, "5eed0007", n, atTen)) {
      rapidjson::Document d;
      d.Parse(w.body.c_str());
      if (std::string(d["type"].GetString()) == "application_decided" &&
          std::string(d["data"]["outcome"].GetString()) == "granted") {
        granted[d["data"]["application_id"].GetString()] = d["data"]["decided_date"].GetString();
      }
      auto e = simulated::loanEvent(w.body, refs);
      ASSERT_TRUE(e);
      loanDays[std::string(d["occurred_at"].GetString()).substr(0, 10)].push_back(std::move(*e));
    }
  }

  // The tenancies, by the day their events come: signed through 2026 (moving in up to
  // three weeks later), 30 % fixed-term for three years, 35 % ending 2-30 months in
  // (for a reason drawn from the schema's), told a month ahead.
  std::map<std::string, std::vector<bus::CloudEvent>> tenancyDays;
  std::map<std::string, std::string> started, ended;  // contract -> start_date / end_date told
  {
    std::mt19937_64 draw(20260108);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(draw); };
    int n = 0;
    for (int i = 1; i <= 160; ++i) {
      const std::string contract = "K-SIM-" + std::to_string(i);
      const std::string person = personRefOf(contract);
      const std::string signedOn = plusDays("2026-01-05", pick(0, 330));
      const std::string start = plusDays(signedOn, pick(0, 21));
      const bool fixedTerm = pick(1, 10) <= 3;
      auto event = [&](const std::string& type, const std::string& data) {
        bus::CloudEvent e;
        e.id = "tenancy-" + std::to_string(++n);
        e.source = "/connectors/plania/sim";
        e.type = type;
        e.subject = person;
        e.data = data;
        return e;
      };
      auto signedEvent = event(
          "tenancy.contract_signed.v1",
          R"({"contract_id":")" + contract + R"(","unit_id":"AREA-)" + std::to_string(i) +
              R"(","person_ref":")" + person + R"(","start_date":")" + start + "\"" +
              (fixedTerm ? R"(,"scheduled_end_date":")" + plusDays(start, 3 * 365) + "\"" : "") +
              R"(,"fixed_term":)" + (fixedTerm ? "true" : "false") +
              R"(,"housing_contact_id":"hc-1","guidance_folder_handed_over":true})");
      signedEvent.time = signedOn + "T05:00:00Z";
      tenancyDays[signedOn].push_back(signedEvent);
      started.emplace(contract, start);
      if (pick(1, 100) <= 35) {
        static const char* kReasons[] = {"moved", "bought_own_home", "eviction", "other"};
        const std::string end = plusDays(start, pick(60, 900));
        const std::string toldOn = std::max(plusDays(end, -30), plusDays(signedOn, 1));
        auto e =
            event("tenancy.contract_terminated.v1",
                  R"({"contract_id":")" + contract + R"(","person_ref":")" + person +
                      R"(","end_date":")" + end + R"(","reason":")" + kReasons[pick(0, 3)] + "\"}");
        e.time = toldOn + "T05:00:00Z";
        tenancyDays[toldOn].push_back(std::move(e));
      }
    }
  }

  // ---- The run, day by day ----------------------------------------------------------
  const std::string firstDay = "2026-01-05";
  const int kDays = 860;
  std::string lastDay;
  for (int dayN = 0; dayN < kDays; ++dayN) {
    const std::string today = plusDays(firstDay, dayN);
    lastDay = today;
    const std::int64_t midnight = parseMs(today + "T00:00:00Z");
    // 05:00 UTC: the tenancy events of the day, through the router.
    clock.set(timeOf(midnight + 5 * kHour));
    for (const auto& e : tenancyDays[today]) {
      if (e.type == "tenancy.contract_terminated.v1") {  // ended, as far as was told
        rapidjson::Document d;
        d.Parse(e.data.c_str());
        ended.emplace(d["contract_id"].GetString(), d["end_date"].GetString());
      }
      pipe.report(pipe.topics().cases("plania"), e);
      schedule(pipe.route(e, midnight + 5 * kHour));
    }
    // 10:00 UTC: the loan system's events of the day.
    clock.set(timeOf(midnight + 10 * kHour));
    for (const auto& e : loanDays[today]) {
      pipe.report(pipe.topics().cases("loan"), e);
      schedule(pipe.route(e, midnight + 10 * kHour));
    }
    ASSERT_TRUE(scheduler.tick());
    drain();
    // 20:00 UTC: the day's meetings are over; the case worker records them.
    clock.set(timeOf(midnight + 20 * kHour));
    ASSERT_TRUE(scheduler.tick());
    drain();
    for (auto& [id, m] : meetings) {
      if (m.recorded || m.status == "cancelled" || parseMs(m.start) > midnight + 20 * kHour)
        continue;
      m.recorded = caseWorker(id);
      if (*m.recorded == Record::kNone) continue;
      scheduler::MeetingChange change;
      change.meetingId = id;
      change.actor = "case-worker";
      change.sectors = {"housing", "finance"};
      change.held = *m.recorded == Record::kHeld;
      const auto answer = scheduler.recordHeld(change);
      ASSERT_EQ(answer.status, 200) << answer.body;
    }
    drain();
  }

  // ---- Expected, from the contracts' dates, the notices and the case worker ----------
  struct Expected {
    std::int64_t due[2] = {0, 0}, onTime[2] = {0, 0}, late[2] = {0, 0}, notHeld[2] = {0, 0};
    std::int64_t myOwnHome = 0;
  };
  std::map<std::string, Expected> expected;
  // The follow-up meetings of each contract, by the due day nearest to their start.
  std::map<std::pair<std::string, int>, const Meeting*> followUp;
  std::int64_t guidance = 0, held = 0, notHeld = 0;
  for (const auto& [id, m] : meetings) {
    if (m.recorded && *m.recorded != Record::kNone)
      ++(*m.recorded == Record::kHeld ? held : notHeld);
    if (m.kind == "loan_guidance") {
      ++guidance;
      // R7: one a granted loan, within 14 days from the decision.
      ASSERT_TRUE(granted.contains(m.caseId)) << m.caseId;
      const std::string startDay = osloDate(parseMs(m.start));
      EXPECT_GE(startDay, granted[m.caseId]) << id;
      EXPECT_LE(startDay, plusDays(granted[m.caseId], 14)) << id;
      if (m.recorded == Record::kHeld) {
        for (const auto& label : periodsOf(startDay))
          ++expected[label].myOwnHome;
      }
    } else if (m.kind == "tenancy_follow_up" && started.contains(m.caseId)) {
      const std::string startDay = osloDate(parseMs(m.start));
      const std::string& signedOn = started[m.caseId];
      auto distance = [&](const std::string& due) {
        return std::llabs(parseMs(startDay + "T00:00:00Z") - parseMs(due + "T00:00:00Z"));
      };
      const int y = distance(dueDay(signedOn, 1)) <= distance(dueDay(signedOn, 2)) ? 1 : 2;
      followUp[{m.caseId, y}] = &m;
    }
  }
  // Granted loans decided before the run's last two weeks got their meeting.
  std::int64_t grantedInRun = 0;
  for (const auto& [application, decided] : granted)
    grantedInRun += plusDays(decided, 14) <= lastDay ? 1 : 0;
  EXPECT_GE(guidance, grantedInRun);
  for (const auto& [contract, signedOn] : started) {
    for (int y = 1; y <= 2; ++y) {
      const std::string due = dueDay(signedOn, y);
      if (ended.contains(contract) && ended[contract] < due) continue;
      for (const auto& label : periodsOf(due))
        ++expected[label].due[y - 1];
      const std::string windowEnd = plusDays(due, 31);  // the window ends at its start
      const auto it = followUp.find({contract, y});
      const Meeting* m = it == followUp.end() ? nullptr : it->second;
      const std::string startDay = m != nullptr ? osloDate(parseMs(m->start)) : std::string();
      if (m != nullptr && m->recorded == Record::kHeld) {
        const bool onTime = startDay < windowEnd;
        for (const auto& label : periodsOf(startDay))
          ++(onTime ? expected[label].onTime : expected[label].late)[y - 1];
        if (onTime) continue;
      }
      const std::string notHeldOn = m != nullptr && m->recorded == Record::kNotHeld
                                        ? std::min(startDay, windowEnd)
                                        : windowEnd;
      for (const auto& label : periodsOf(notHeldOn))
        ++expected[label].notHeld[y - 1];
    }
  }

  // ---- Every figure of every month and tertial --------------------------------------
  int compared = 0;
  for (int y = 2026; y <= std::stoi(lastDay.substr(0, 4)); ++y) {
    for (const auto& period : Period::ofYear(y)) {
      const std::string label = period.label();
      const Report report = pipe.reportOf(label);
      const Expected& want = expected[label];
      for (int i = 0; i < 2; ++i) {
        const std::string row = i == 0 ? "year_1" : "year_2";
        expectFigure(report, "follow_ups", row, "due", want.due[i], label);
        expectFigure(report, "follow_ups", row, "held_on_time", want.onTime[i], label);
        expectFigure(report, "follow_ups", row, "held_late", want.late[i], label);
        expectFigure(report, "follow_ups", row, "not_held", want.notHeld[i], label);
        compared += 4;
      }
      expectFigure(report, "loans", "my_own_home_conversations", "count", want.myOwnHome, label);
      ++compared;
    }
  }
  EXPECT_GE(compared, 3 * 15 * 9);
  std::int64_t onTime = 0, missed = 0, myOwnHome = 0;
  for (const auto& [label, e] : expected) {
    if (label[5] == 'T') continue;
    onTime += e.onTime[0] + e.onTime[1];
    missed += e.notHeld[0] + e.notHeld[1];
    myOwnHome += e.myOwnHome;
  }
  std::cerr << "simulated to " << lastDay << ": " << started.size() << " tenancies, "
            << meetings.size() << " meetings (" << guidance << " guidance), " << held << " held, "
            << notHeld << " not held; follow-ups held on time " << onTime << ", not held " << missed
            << "; My Own Home conversations " << myOwnHome << "\n";
  EXPECT_GE(onTime, 5);
  EXPECT_GE(missed, 3);
  EXPECT_GE(myOwnHome, 50);
}

}  // namespace
}  // namespace wayhome::reports
