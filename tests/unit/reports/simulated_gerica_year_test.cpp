// A simulated year of health and care (issue 16's first test, the GERICA part): the
// GERICA simulator's journeys with a fixed seed (gericaJourney(), each message on its
// simulated day), parsed by the GERICA connector's own parseMessage(), played in time
// order on a simulated clock through the real router (the default rules, its consent
// register, its referral life cycle and escalation sweep at every UTC midnight), with a
// seeded housing office acknowledging and closing the referrals it gets; everything
// the connector and the router emit is counted by the reporting component in a real
// SQLite store. The expected figures are worked out here from the messages' XML and
// the housing office's draws alone, by the rules as docs/REPORTS.md and the rules file
// state them, and every figure GERICA feeds is compared for every month and tertial:
// consents asked, given, withdrawn; referrals created, acknowledged in time, overdue,
// escalated, closed (per sector and in total), per reason, and the hours to acknowledge.

#include <map>
#include <set>

#include <gtest/gtest.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/gerica/message.hpp>
#include <wayhome/simulators/gerica_journeys.hpp>

#include "simulated_support.hpp"

namespace wayhome::reports {
namespace {

using namespace simulated;
using namespace std::chrono;

constexpr std::int64_t kMinute = 60000;
constexpr std::int64_t kDay = 24LL * 60 * kMinute;

// What a message says, read from its XML as text (not by the connector's parser).
struct Read {
  std::string code, doc, patient, when;
  std::multimap<std::string, std::string> facts;
};

std::string between(const std::string& xml, const std::string& open, const std::string& close) {
  const auto from = xml.find(open);
  if (from == std::string::npos) return {};
  const auto to = xml.find(close, from + open.size());
  return xml.substr(from + open.size(), to - from - open.size());
}

Read readXml(const std::string& xml) {
  Read r;
  r.code = between(xml, "<TemaKodet V=\"", "\"");
  r.doc = between(xml, "<DokIdNotat>", "<");
  if (r.doc.empty()) r.doc = between(xml, "<DokIdForesp>", "<");
  r.when = between(xml, "<DatoNotat>", "<");
  if (r.when.empty()) r.when = between(xml, "<DatoForesp>", "<");
  r.patient = between(xml, "<Patient><Ident><Id>", "<");
  for (std::size_t at = xml.find("<Opplysning Navn=\""); at != std::string::npos;
       at = xml.find("<Opplysning Navn=\"", at + 1)) {
    const std::string rest = xml.substr(at);
    r.facts.emplace(between(rest, "Navn=\"", "\""), between(rest, " V=\"", "\""));
  }
  return r;
}

// The housing office: whether and when it acknowledges and closes a referral, a draw
// seeded by the referral's source document (so the expectation can make it too).
struct Response {
  std::optional<std::int64_t> ackAfter, closeAfter;  // ms after creation / acknowledgement
};
Response respond(const std::string& doc) {
  std::mt19937_64 r(std::hash<std::string>{}(doc) ^ 0x16);
  Response out;
  if (std::bernoulli_distribution(0.85)(r)) {
    out.ackAfter = std::uniform_int_distribution<std::int64_t>(30, 20LL * 24 * 60)(r) * kMinute;
    if (std::bernoulli_distribution(0.7)(r)) {
      out.closeAfter = std::uniform_int_distribution<std::int64_t>(60, 30LL * 24 * 60)(r) * kMinute;
    }
  }
  return out;
}

// A referral the rules must make.
struct Expectedreferral {
  std::string doc, reason;
  std::int64_t createdMs = 0, dueMs = 0;
};

struct Expected {
  std::int64_t asked = 0, given = 0, withdrawn = 0;
  std::int64_t created = 0, ackInTime = 0, overdue = 0, escalated = 0, closed = 0;
  std::map<std::string, std::int64_t> reasons;
  std::vector<double> hours;
};

TEST(ReportsSimulatedYear, EveryGericaMeasureOfEveryMonthAndTertial) {
  // The journeys, as the simulator would send them.
  std::mt19937_64 rng(20260116);
  const connectors::gerica::JourneyOptions options;
  std::vector<connectors::gerica::SimulatedMessage> messages;
  for (int n = 1; n <= 300; ++n) {
    for (auto& m : connectors::gerica::gericaJourney(rng, options, "5eed0016", n))
      messages.push_back(std::move(m));
  }

  // ---- Expected, from the XML and the office's draws alone -------------------------
  std::map<std::string, Expected> expected;
  std::vector<Expectedreferral> referrals;
  std::set<std::string> patients;
  {
    struct Person {
      bool needConsent = false, followUpConsent = false;
      std::vector<std::pair<std::string, bool>> waitingNeed;             // doc, urgent
      std::vector<std::pair<std::string, std::string>> waitingFollowUp;  // doc, reason
    };
    std::map<std::string, Person> people;
    auto make = [&](const std::string& doc, const std::string& reason, std::int64_t at,
                    std::int64_t due) {
      referrals.push_back({doc, reason, at, due});
    };
    auto followUp = [&](Person& p, const Read& r, const std::string& reason, std::int64_t at) {
      if (p.followUpConsent) return make(r.doc, reason, at, at + 14 * kDay);
      for (const auto& label : periodsOfMs(at))
        ++expected[label].asked;
      p.waitingFollowUp.emplace_back(r.doc, reason);
    };
    for (const auto& m : messages) {
      const Read r = readXml(m.xml);
      const std::int64_t at = parseMs(r.when);
      Person& p = people[r.patient];
      auto fact = [&](const std::string& name) {
        auto it = r.facts.find(name);
        return it == r.facts.end() ? std::string() : it->second;
      };
      if (r.code == "HOUSING_NEED") {
        patients.insert(r.patient);
        // R6: to housing, with a consent for housing_need (urgent: 2 working days).
        const bool urgent = fact("urgency") == "urgent";
        if (p.needConsent) {
          make(r.doc, "housing_need_observed", at, urgent ? addWorkingDays(at, 2) : at + 14 * kDay);
        } else {
          for (const auto& label : periodsOfMs(at))
            ++expected[label].asked;
          p.waitingNeed.emplace_back(r.doc, urgent);
        }
      } else if (r.code == "CONSENT_GRANTED") {
        for (const auto& label : periodsOfMs(at))
          ++expected[label].given;
        if (fact("purpose") == "housing_need") {
          p.needConsent = true;
          for (const auto& [doc, urgent] : p.waitingNeed)
            make(doc, "housing_need_observed", at, urgent ? addWorkingDays(at, 2) : at + 14 * kDay);
          p.waitingNeed.clear();
        } else if (fact("purpose") == "housing_follow_up") {
          p.followUpConsent = true;
          for (const auto& [doc, reason] : p.waitingFollowUp)
            make(doc, reason, at, at + 14 * kDay);
          p.waitingFollowUp.clear();
        }
      } else if (r.code == "CONSENT_WITHDRAWN") {
        for (const auto& label : periodsOfMs(at))
          ++expected[label].withdrawn;
        ASSERT_TRUE(r.doc.starts_with("CNS-")) << r.doc;  // the housing_need consent
        p.needConsent = false;
      } else if (r.code == "SERVICE_GRANTED") {
        // R19: home care granted; housing hears it exists, with a follow-up consent.
        if (fact("service") == "home_nursing" || fact("service") == "practical_assistance")
          followUp(p, r, "home_care_decision_exists", at);
      } else if (r.code == "PLAN_UPDATED") {
        followUp(p, r, "individual_plan_exists", at);
      }
    }
  }
  ASSERT_EQ(patients.size(), 300U);  // one citizen a journey
  std::int64_t lastDue = 0;
  for (const auto& ref : referrals) {
    const Response office = respond(ref.doc);
    // Never acknowledged: as if at the end of time.
    const bool acked = office.ackAfter.has_value();
    const std::int64_t ackMs =
        acked ? ref.createdMs + *office.ackAfter : std::numeric_limits<std::int64_t>::max();
    // The sweep after the due time: the next UTC midnight (nothing is due at one).
    const std::int64_t sweep = (ref.dueMs / kDay + 1) * kDay;
    lastDue = std::max(lastDue, ref.dueMs);
    for (const auto& label : periodsOfMs(ref.createdMs)) {
      ++expected[label].created;
      ++expected[label].reasons[ref.reason];
    }
    if (acked) {
      for (const auto& label : periodsOfMs(ackMs)) {
        if (ackMs <= ref.dueMs) ++expected[label].ackInTime;
        expected[label].hours.push_back(static_cast<double>(ackMs - ref.createdMs) / 3600000.0);
      }
      if (office.closeAfter) {
        for (const auto& label : periodsOfMs(ackMs + *office.closeAfter))
          ++expected[label].closed;
      }
    }
    if (ackMs > ref.dueMs) {
      for (const auto& label : periodsOfMs(ref.dueMs))
        ++expected[label].overdue;
    }
    if (ackMs > sweep) {
      for (const auto& label : periodsOfMs(sweep))
        ++expected[label].escalated;
    }
  }

  // ---- The run: connector, router, housing office, sweeps, in time order ------------
  const QuietLog quiet;
  Pipeline pipe;
  const connectors::PersonRefs refs(std::string(40, 'g'));
  const connectors::gerica::ParseOptions parseOptions;
  // (time, order) -> what happens: 0 a message, 1 an acknowledgement, 2 a closing, 3 a sweep.
  struct Step {
    int kind = 0;
    std::size_t message = 0;
    std::string referralId, doc;
    std::int64_t createdMs = 0;
  };
  std::multimap<std::pair<std::int64_t, int>, Step> timeline;
  std::map<std::string, std::string> docOfEvent;  // CloudEvent id -> source document
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Read r = readXml(messages[i].xml);
    const std::int64_t at = parseMs(r.when);
    first = std::min(first, at);
    timeline.emplace(std::make_pair(at, 0), Step{0, i, {}, {}, 0});
    docOfEvent["gerica-" + messages[i].id] = r.doc;
  }
  for (std::int64_t day = (first / kDay + 1) * kDay; day <= lastDue + 2 * kDay; day += kDay)
    timeline.emplace(std::make_pair(day, 3), Step{3, 0, {}, {}, 0});
  std::size_t made = 0, acknowledged = 0, escalations = 0;
  auto sectorEvent = [](const std::string& type, const std::string& id, std::int64_t at,
                        const std::string& extra) {
    bus::CloudEvent e;
    e.id = type.substr(9, 3) + "-" + id;
    e.source = "/sectors/housing/office";
    e.type = type;
    e.time = formatRfc3339Ms(at);
    e.subject = id;
    e.data = R"({"referral_id":")" + id + R"(","sector":"housing","by":"housing-office","at":")" +
             formatRfc3339Ms(at) + "\"" + extra + "}";
    return e;
  };
  while (!timeline.empty()) {
    const auto [when, step] = *timeline.begin();
    timeline.erase(timeline.begin());
    const std::int64_t now = when.first;
    if (step.kind == 0) {
      const auto& m = messages[step.message];
      auto parsed = connectors::gerica::parseMessage(
          m.xml, parseOptions, [&](std::string_view nin) { return refs.personRef(nin); });
      ASSERT_FALSE(parsed.problem) << parsed.problem->code << " " << parsed.problem->text;
      bus::CloudEvent e;
      e.id = "gerica-" + m.id;
      e.source = "/connectors/gerica/sim";
      e.type = parsed.event.type;
      e.time = parsed.event.time;
      e.subject = parsed.event.subject;
      e.data = parsed.event.data;
      const std::string topic = e.type.starts_with("consent.") ? pipe.topics().consentEvents()
                                                               : pipe.topics().cases("gerica");
      pipe.report(topic, e);
      for (const auto& out : pipe.route(e, now)) {
        if (out.event.type != "referral.created.v1") continue;
        ++made;
        rapidjson::Document d;
        d.Parse(out.event.data.c_str());
        const std::string id = d["referral_id"].GetString();
        const std::string doc = docOfEvent.at(d["source_event_id"].GetString());
        const std::int64_t created = parseMs(d["created_at"].GetString());
        EXPECT_EQ(created, now);
        const Response office = respond(doc);
        if (office.ackAfter) {
          const std::int64_t ack = created + *office.ackAfter;
          timeline.emplace(std::make_pair(ack, 1), Step{1, 0, id, doc, created});
          if (office.closeAfter) {
            timeline.emplace(std::make_pair(ack + *office.closeAfter, 2),
                             Step{2, 0, id, doc, created});
          }
        }
      }
    } else if (step.kind == 1 || step.kind == 2) {
      const bool ack = step.kind == 1;
      acknowledged += ack ? 1 : 0;
      pipe.lifecycle(pipe.topics().referrals("housing"),
                     sectorEvent(ack ? "referral.acknowledged.v1" : "referral.closed.v1",
                                 step.referralId, now, ack ? "" : R"(,"outcome":"resolved")"),
                     now);
    } else {
      escalations += pipe.sweep(now).size() / 2;  // each with its audit record
    }
  }
  EXPECT_EQ(made, referrals.size());

  // ---- Every figure of every month and tertial --------------------------------------
  std::set<int> years;
  for (const auto& [label, e] : expected)
    years.insert(std::stoi(label.substr(0, 4)));
  const std::vector<std::string> reasons{"home_care_decision_exists", "housing_need_observed",
                                         "individual_plan_exists"};
  int compared = 0;
  for (int y : years) {
    for (const auto& period : Period::ofYear(y)) {
      const std::string label = period.label();
      const Report report = pipe.reportOf(label);
      const Expected& want = expected[label];
      compared += expectFigures(report, label, "consents",
                                {{"asked.count", want.asked},
                                 {"given.count", want.given},
                                 {"withdrawn.count", want.withdrawn}});
      compared += expectFigures(report, label, "referrals",
                                {{"housing.created", want.created},
                                 {"housing.acknowledged_in_time", want.ackInTime},
                                 {"housing.overdue", want.overdue},
                                 {"housing.escalated", want.escalated},
                                 {"housing.closed", want.closed},
                                 {"total.created", want.created},
                                 {"total.overdue", want.overdue},
                                 {"nav.created", 0},
                                 {"finance.created", 0}});
      compared += expectFigures(report, label, "renewals", {{"referred_to_finance.count", 0}});
      for (const auto& reason : reasons) {
        const auto it = want.reasons.find(reason);
        const std::int64_t value = it == want.reasons.end() ? 0 : it->second;
        // A reason with nothing in the period has no row.
        if (value == 0) {
          EXPECT_FALSE(cell(report, "referral_reasons", reason, "housing").value_or(0))
              << label << " " << reason;
        } else {
          expectFigure(report, "referral_reasons", reason, "housing", value, label);
        }
        ++compared;
      }
      const auto median = statistic(report, "acknowledgement_hours.housing.median");
      const auto p90 = statistic(report, "acknowledgement_hours.housing.p90");
      if (static_cast<std::int64_t>(want.hours.size()) >= kMinimumBasis) {
        ASSERT_TRUE(median && p90) << label;
        EXPECT_NEAR(*median, medianOf(want.hours), 0.051) << label;
        EXPECT_NEAR(*p90, nearestRank(want.hours, 0.9), 0.051) << label;
      } else {
        EXPECT_FALSE(median) << label;
        EXPECT_FALSE(p90) << label;
      }
    }
  }
  EXPECT_GE(compared, 15 * 16);
  // A year with something in it: most citizens consented, referrals were made, some
  // acknowledged late, some never, consents withdrawn.
  std::int64_t asked = 0, given = 0, withdrawn = 0, overdue = 0, escalated = 0;
  for (const auto& [label, e] : expected) {
    if (label[5] == 'T') continue;
    asked += e.asked;
    given += e.given;
    withdrawn += e.withdrawn;
    overdue += e.overdue;
    escalated += e.escalated;
  }
  std::cerr << "simulated: " << messages.size() << " messages, " << referrals.size()
            << " referrals, " << acknowledged << " acknowledged, " << escalations
            << " escalated, consents asked " << asked << ", given " << given << ", withdrawn "
            << withdrawn << "\n";
  EXPECT_EQ(escalated, static_cast<std::int64_t>(escalations));
  EXPECT_GE(referrals.size(), 200U);
  EXPECT_GE(withdrawn, 10);
  EXPECT_GE(overdue, 20);
  EXPECT_GE(escalated, 20);
  EXPECT_GE(expected["2026-06"].created, 5);
}

}  // namespace
}  // namespace wayhome::reports
