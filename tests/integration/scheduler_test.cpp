// The scheduler on simulated time: the real router (default rules) turns tenancy events
// into notice requests on the embedded bus; a scheduler over its own state store (a
// SQLite file or a PostgreSQL database: each test on both) and outbox, driven by a
// manual clock, consumes them and ticks day by day; its relay
// publishes the notices to the same bus, where the test reads them back. The iCalendar
// bodies are read by an independent parser (Python's icalendar, Debian package).

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/service.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome::scheduler {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono;
using namespace std::chrono_literals;

Clock::TimePoint at(int y, unsigned m, unsigned d, int hourUtc) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hourUtc};
}

/// A notice as a sector system sees it.
struct Notice {
  std::string topic, eventId, meetingId, kind, status, method, start, title, ics;
  int sequence = -1;
  bool reminder = false;
};

/// Where a test keeps state: a SQLite file in `dir`, or a fresh PostgreSQL database.
class Backend {
 public:
  Backend(store::Dialect dialect, std::filesystem::path file) : file_(std::move(file)) {
    if (dialect == store::Dialect::postgres) {
      const auto db = t::postgresDatabase();
      postgres_ = store::PostgresOptions{.url = db.url, .passwordFile = db.passwordFile};
    }
  }
  /// A handle on it: a restart, or another instance.
  [[nodiscard]] std::unique_ptr<store::StateStore> open() const {
    return postgres_ ? std::make_unique<store::StateStore>(*postgres_)
                     : std::make_unique<store::StateStore>(file_);
  }
  /// Points a service's configuration at it.
  void configure(services::ServiceConfig& c, const std::filesystem::path& keyFile) const {
    c.statePath = file_;
    c.statePostgres = postgres_;
    c.identityKeyFile = keyFile;
  }

 private:
  std::filesystem::path file_;
  std::optional<store::PostgresOptions> postgres_;
};

class SchedulerTest : public ::testing::TestWithParam<store::Dialect> {
 protected:
  void SetUp() override {
    auto c = t::serviceConfig(dir_ / "data", 2);
    Backend(GetParam(), c.dataDir / "state.db").configure(c, dir_ / "keys" / "person_ref.key");
    // No scheduler component: the test drives its own, on the manual clock.
    prefix_ = c.bus.topicPrefix;
    service_ =
        t::startService(c, std::make_unique<services::Router>(services::RouterOptions{
                               .rulesFile = services::defaultRulesFile(), .clock = &clock_}));
    const bus::ClientProperties client{{"bootstrap.servers", service_->bootstrapServers()}};
    producer_ = std::make_unique<bus::Producer>(client);
    requests_ = reader(prefix_ + "notices.requests");

    schemas_.emplace(schemas::SchemaRegistry::loadDirectory(c.schemaDir));
    topics_ = bus::Topics(prefix_);
    state_.emplace(GetParam(), dir_ / "scheduler.db");
    store_ = state_->open();
    outbox_ = std::make_unique<bus::Outbox>(*store_, bus::OutboxOptions{}, clock_);
    relay_ = std::make_unique<bus::OutboxRelay>(*outbox_, client);
    relay_->start();
    SchedulerSettings settings;  // 14 days lead, 48 h reminder, no recurring
    scheduler_ = std::make_unique<Scheduler>(*store_, *outbox_, *schemas_, topics_, clock_,
                                             std::move(settings));
  }

  void TearDown() override {
    relay_->stop(steady_clock::now() + 5s);
    service_->stop();
  }

  std::unique_ptr<bus::Consumer> reader(const std::string& topic) {
    auto c = std::make_unique<bus::Consumer>(
        bus::ClientProperties{{"bootstrap.servers", service_->bootstrapServers()}},
        bus::ConsumerOptions{.groupId = "test-reader-" + topic});
    c->assign(topic, {0, 1}, true);
    return c;
  }

  /// A case event from Plania, as its connector publishes it.
  void plania(const std::string& id, const std::string& type, const std::string& data) {
    bus::CloudEvent e;
    e.id = id;
    e.source = "/test/plania";
    e.type = type;
    e.time = formatRfc3339(clock_.now());
    e.subject = t::kAnna;
    e.data = data;
    auto report = producer_->send(prefix_ + "cases.plania", e).get();
    ASSERT_TRUE(report.ok) << report.error.message;
  }

  /// Hands the router's next `n` notice requests to the scheduler, at the clock's now.
  void deliverRequests(std::size_t n) {
    std::size_t handled = 0;
    ASSERT_TRUE(t::waitFor(
        [&] {
          for (const auto& record : requests_->poll(20ms, 100)) {
            auto outcome = scheduler_->handle(record);
            EXPECT_TRUE(outcome) << outcome.error().message;
            EXPECT_EQ(outcome.value(), Outcome::kApplied);
            ++handled;
          }
          return handled >= n;
        },
        20000ms))
        << handled << " of " << n << " requests";
  }

  /// Every meeting notice on `topic` so far.
  std::vector<Notice> notices(const std::string& topic) {
    auto& r = readers_[topic];
    if (!r) r = reader(prefix_ + topic);
    auto& seen = seen_[topic];
    for (const auto& record : r->poll(50ms, 1000)) {
      auto e = bus::binding::fromRecord(record);
      EXPECT_TRUE(e) << e.error().message;
      if (!e || e.value().type != "meeting.notice.v1") continue;
      EXPECT_FALSE(schemas_->validate("meeting.notice.v1", e.value().data)) << e.value().data;
      rapidjson::Document d;
      d.Parse(e.value().data.c_str());
      Notice n;
      n.topic = topic;
      n.eventId = e.value().id;
      n.meetingId = d["meeting_id"].GetString();
      n.kind = d["kind"].GetString();
      n.status = d["status"].GetString();
      n.method = d["method"].GetString();
      n.start = d["start"].GetString();
      n.title = d["title"].GetString();
      n.ics = d["icalendar"].GetString();
      n.sequence = d["sequence"].GetInt();
      n.reminder = d.HasMember("reminder") && d["reminder"].GetBool();
      seen.push_back(std::move(n));
    }
    return seen;
  }

  /// Waits until `topic` holds `n` notices, then a moment more for any extra one.
  std::vector<Notice> awaitNotices(const std::string& topic, std::size_t n) {
    EXPECT_TRUE(t::waitFor([&] { return notices(topic).size() >= n; }, 20000ms))
        << topic << ": " << notices(topic).size() << " of " << n;
    EXPECT_TRUE(t::waitFor([&] { return outbox_->backlog() == 0; }, 20000ms));
    return notices(topic);
  }

  /// A notice request straight onto notices.requests (as the router writes them).
  void request(const std::string& id, const std::string& data) {
    bus::CloudEvent e;
    e.id = id;
    e.source = "/test/router";
    e.type = "notice.requested.v1";
    e.time = formatRfc3339(clock_.now());
    e.subject = t::kAnna;
    e.data = data;
    auto report = producer_->send(prefix_ + "notices.requests", e).get();
    ASSERT_TRUE(report.ok) << report.error.message;
  }

  t::TempDir dir_;
  ManualClock clock_{at(2027, 1, 4, 9)};
  std::string prefix_;
  std::unique_ptr<services::Service> service_;
  std::unique_ptr<bus::Producer> producer_;
  std::unique_ptr<bus::Consumer> requests_;
  std::map<std::string, std::unique_ptr<bus::Consumer>> readers_;
  std::map<std::string, std::vector<Notice>> seen_;
  std::optional<schemas::SchemaRegistry> schemas_;
  bus::Topics topics_;
  std::optional<Backend> state_;  // the scheduler's
  std::unique_ptr<store::StateStore> store_;
  std::unique_ptr<bus::Outbox> outbox_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  std::unique_ptr<Scheduler> scheduler_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         t::backendName);

// Signed 4 January 2027 for three years; renewed in June 2029 after the renewal
// invitation went out; terminated in September 2030. Ticks once a simulated day
// (09:00 UTC) until 2033.
TEST_P(SchedulerTest, ATenancyFromSigningThroughRenewalToTerminationNotifiesEachStepOnce) {
  plania("ev-signed", "tenancy.contract_signed.v1",
         std::string(R"({"contract_id": "K-W1", "unit_id": "AREA-1", "person_ref": ")") + t::kAnna +
             R"(", "start_date": "2027-01-04", "scheduled_end_date": "2029-12-31",
                "fixed_term": true, "housing_contact_id": "hc-1",
                "guidance_folder_handed_over": true})");
  deliverRequests(3);  // R1: after one and two years; R2: renewal

  const Days renewedOn = Days{year{2029} / 6 / 25};
  const Days terminatedOn = Days{year{2030} / 9 / 2};
  std::map<Days, TickReport> sent;  // the days something went out
  for (Days today = osloDay(floor<seconds>(clock_.now())); today < Days{year{2033} / 1 / 1};
       today += days(1)) {
    clock_.set(today + hours(9));
    if (today == renewedOn) {
      plania("ev-renewed", "tenancy.contract_renewed.v1",
             std::string(R"({"contract_id": "K-W1", "person_ref": ")") + t::kAnna +
                 R"(", "new_scheduled_end_date": "2032-12-31",
                    "previous_scheduled_end_date": "2029-12-31"})");
      deliverRequests(1);  // R3: the renewal conversation moves
    }
    if (today == terminatedOn) {
      plania("ev-terminated", "tenancy.contract_terminated.v1",
             std::string(R"({"contract_id": "K-W1", "person_ref": ")") + t::kAnna +
                 R"(", "end_date": "2030-11-30", "reason": "bought_own_home"})");
      deliverRequests(1);  // R4: everything pending of the contract is cancelled
    }
    auto report = scheduler_->tick();
    ASSERT_TRUE(report) << report.error().message;
    if (report.value().notices() > 0) sent[today] = report.value();
  }

  // The days notices went out: 14 days and 48 hours before each meeting, an update the
  // day of the renewal, a cancel the day of the termination, nothing after it.
  auto on = [](int y, unsigned m, unsigned d) { return Days{year{y} / month{m} / day{d}}; };
  std::vector<std::tuple<Days, std::size_t, std::size_t, std::size_t, std::size_t>> expected{
      // day, invitations, updates, cancels, reminders
      {on(2027, 12, 21), 1, 0, 0, 0},  // follow-up, Tue 4 Jan 2028 08:00
      {on(2028, 1, 2), 0, 0, 0, 1},
      {on(2028, 12, 21), 1, 0, 0, 0},  // follow-up, Thu 4 Jan 2029 08:00
      {on(2029, 1, 2), 0, 0, 0, 1},
      {on(2029, 6, 18), 1, 0, 0, 0},  // renewal, Mon 2 Jul 2029 08:00 (30 Jun is a Saturday)
      {on(2029, 6, 25), 0, 1, 0, 0},  // moved to Wed 30 Jun 2032
      {on(2030, 9, 2), 0, 0, 1, 0},
  };
  std::vector<std::tuple<Days, std::size_t, std::size_t, std::size_t, std::size_t>> actual;
  for (const auto& [d, r] : sent)
    actual.emplace_back(d, r.invitations, r.updates, r.cancels, r.reminders);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i], expected[i])
        << "notice day " << i << ": " << formatDate(std::get<0>(actual[i]));
  }

  // On the bus: each notice once, in the order sent, with the right versions.
  const auto all = awaitNotices("notices.meetings", 7);
  ASSERT_EQ(all.size(), 7U);
  std::set<std::string> ids;
  for (const auto& n : all)
    EXPECT_TRUE(ids.insert(n.eventId).second) << "sent twice: " << n.eventId;
  std::map<std::string, std::vector<const Notice*>> byMeeting;
  for (const auto& n : all)
    byMeeting[n.meetingId].push_back(&n);
  ASSERT_EQ(byMeeting.size(), 3U);
  const Notice* renewal = nullptr;
  for (const auto& [id, list] : byMeeting) {
    if (list.front()->kind == "renewal_conversation") renewal = list.front();
  }
  ASSERT_NE(renewal, nullptr);
  const auto& r = byMeeting[renewal->meetingId];
  ASSERT_EQ(r.size(), 3U);
  EXPECT_EQ(std::make_tuple(r[0]->sequence, r[0]->status, r[0]->method, r[0]->start),
            std::make_tuple(0, std::string("scheduled"), std::string("REQUEST"),
                            std::string("2029-07-02T08:00:00+02:00")));
  EXPECT_EQ(std::make_tuple(r[1]->sequence, r[1]->status, r[1]->method, r[1]->start),
            std::make_tuple(1, std::string("updated"), std::string("REQUEST"),
                            std::string("2032-06-30T08:00:00+02:00")));
  EXPECT_EQ(std::make_tuple(r[2]->sequence, r[2]->status, r[2]->method),
            std::make_tuple(2, std::string("cancelled"), std::string("CANCEL")));
  for (const auto& [id, list] : byMeeting) {
    if (id == renewal->meetingId) continue;
    ASSERT_EQ(list.size(), 2U) << id;
    EXPECT_FALSE(list[0]->reminder);
    EXPECT_TRUE(list[1]->reminder);
    EXPECT_EQ(list[0]->sequence, 0);
    EXPECT_EQ(list[1]->sequence, 0);
  }
  // Housing takes part in all three meetings, finance only in the renewal.
  EXPECT_EQ(awaitNotices("notices.housing", 7).size(), 7U);
  EXPECT_EQ(awaitNotices("notices.finance", 3).size(), 3U);
  EXPECT_TRUE(notices("notices.health_care").empty());

  // The calendar served now is the last version: the cancel.
  auto ics = scheduler_->calendar(renewal->meetingId);
  ASSERT_TRUE(ics);
  EXPECT_NE(ics->find("METHOD:CANCEL"), std::string::npos);
  EXPECT_NE(ics->find("SEQUENCE:2"), std::string::npos);
}

TEST_P(SchedulerTest, ARenewalThatChangesNothingSendsNoUpdate) {
  // The same renewal conversation of K-9, in the same window, asked for twice.
  auto renewal = [&](const std::string& id, const std::string& action, const std::string& rule,
                     const std::string& sourceEvent) {
    request(id, R"({"request_id": ")" + id + R"(", "action": ")" + action +
                    R"(", "kind": "renewal_conversation", "series_id": "K-9:renewal",
        "case_id": "K-9", "person_ref": ")" +
                    t::kAnna + R"(", "not_before": "2027-01-11", "not_after": "2027-01-20",
        "rule_id": ")" +
                    rule + R"(", "source_event_id": ")" + sourceEvent + R"("})");
    deliverRequests(1);
  };
  renewal("nr-1", "schedule", "R2", "e1");
  ASSERT_TRUE(scheduler_->tick());  // within the lead time: the invitation goes at once
  renewal("nr-2", "reschedule", "R3", "e2");
  clock_.advance(hours(1));
  auto report = scheduler_->tick();
  ASSERT_TRUE(report);
  EXPECT_EQ(report.value().notices(), 0U);
  const auto sent = awaitNotices("notices.meetings", 1);
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].sequence, 0);
}

// A meeting asked for without a window is placed a lead time ahead; its invitation is
// due today and goes at once, at any hour (at 04:00 in Oslo it waited for 08:00, so an
// eviction's follow-up depended on when the eviction arrived).
TEST_P(SchedulerTest, AnInvitationDueTodayGoesAtOnceBeforeWorkingHours) {
  clock_.advance(hours(18));  // 5 January 2027, 03:00 UTC: 04:00 in Oslo
  request("nr-early", std::string(R"({"request_id": "nr-early", "action": "schedule",
      "kind": "eviction_follow_up", "series_id": "K-7:eviction", "case_id": "K-7",
      "person_ref": ")") + t::kAnna +
                          R"(", "rule_id": "R14", "source_event_id": "e1"})");
  deliverRequests(1);
  auto report = scheduler_->tick();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report.value().notices(), 1U);
  const auto sent = awaitNotices("notices.meetings", 1);
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].kind, "eviction_follow_up");
}

// Several instances share one database: PostgreSQL only (SQLite is one instance's file).
class SchedulerInstances : public SchedulerTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerInstances, ::testing::Values(store::Dialect::postgres),
                         [](const auto&) { return std::string("PostgreSQL"); });

// Issue 13: two schedulers on one PostgreSQL database, each with its own connection
// and outbox, take notice requests in turns and tick at the same moments (the worst
// case: both believe they hold the timers' lease). Every timer's notice goes out once,
// and each month's coordination meeting exists once.
TEST_P(SchedulerInstances, TwoSchedulersOnOneDatabaseSendEachNoticeOnceAndMakeOneMonthlyMeeting) {
  SchedulerSettings settings;
  settings.recurring = defaultRecurringMeetings();
  auto otherStore = state_->open();
  bus::Outbox otherOutbox(*otherStore, bus::OutboxOptions{}, clock_);
  Scheduler a(*store_, *outbox_, *schemas_, topics_, clock_, settings);
  Scheduler b(*otherStore, otherOutbox, *schemas_, topics_, clock_, settings);
  constexpr int kMeetings = 6;
  for (int i = 0; i < kMeetings; ++i) {
    const std::string id = "nr-two-" + std::to_string(i);
    request(id, std::string(R"({"request_id": ")") + id + R"(", "action": "schedule",
        "kind": "tenancy_follow_up", "series_id": "T-)" +
                    std::to_string(i) + R"(:follow-up", "case_id": "T-)" + std::to_string(i) +
                    R"(", "person_ref": ")" + t::kAnna + R"(", "not_before": "2027-02-0)" +
                    std::to_string(i + 1) + R"(", "rule_id": "R1", "source_event_id": "e"})");
  }
  std::size_t handled = 0;
  ASSERT_TRUE(t::waitFor(
      [&] {
        for (const auto& record : requests_->poll(20ms, 100)) {
          auto outcome = (handled++ % 2 == 0 ? a : b).handle(record);
          EXPECT_TRUE(outcome) << outcome.error().message;
        }
        return handled >= kMeetings;
      },
      20000ms));

  // Ten weeks of days; both tick at 09:00. A tick that fails (the other committed the
  // same row first) is tried again, as the next poll would.
  std::atomic<std::size_t> sent{0};
  std::atomic<std::size_t> failed{0};
  auto tick = [&](Scheduler& s) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto report = s.tick();
      if (report) {
        sent += report.value().notices();
        return;
      }
      ++failed;
    }
    ADD_FAILURE() << "a tick kept failing";
  };
  for (int day = 0; day < 70; ++day) {
    clock_.set(at(2027, 1, 4, 9) + days(day));
    std::thread other([&] { tick(b); });
    tick(a);
    other.join();
  }

  // Each notice once on the bus: its event id is the meeting, version and notice.
  const auto all = awaitNotices("notices.meetings", sent.load());
  EXPECT_EQ(all.size(), sent.load());
  std::set<std::string> ids;
  std::map<std::string, int> followUps;
  for (const auto& n : all) {
    EXPECT_TRUE(ids.insert(n.eventId).second) << "sent twice: " << n.eventId;
    if (n.kind == "tenancy_follow_up") ++followUps[n.meetingId];
  }
  EXPECT_EQ(followUps.size(), static_cast<std::size_t>(kMeetings));
  for (const auto& [id, n] : followUps)
    EXPECT_EQ(n, 2) << id << ": an invitation and a reminder";
  // One coordination meeting a month (the first Tuesday), the next one made ahead.
  std::vector<std::string> coordination;
  store_->transaction([&](store::Connection& db) {
    store::Statement st(db,
                        "SELECT series_id FROM scheduler_meetings WHERE kind = "
                        "'coordination_meeting' ORDER BY start_s;");
    while (st.step())
      coordination.push_back(st.columnText(0));
  });
  EXPECT_EQ(coordination,
            (std::vector<std::string>{
                "recurring:coordination:2027-01-05", "recurring:coordination:2027-02-02",
                "recurring:coordination:2027-03-02", "recurring:coordination:2027-04-06"}));
  RecordProperty("failed_ticks", static_cast<int>(failed.load()));
}

// Python's icalendar (an independent RFC 5545 parser) reads each invitation; what it
// reads is compared with what the scheduler meant: times across both daylight-saving
// transitions and around Easter, 17 May and Christmas, the time zone, UID, SEQUENCE,
// METHOD, and a long non-ASCII title with characters that must be escaped.
TEST_P(SchedulerTest, InvitationsRoundTripThroughAnIndependentParserAcrossDstAndHolidays) {
  clock_.set(at(2026, 12, 1, 9));
  const std::string longTitle =
      "Oppfølgingssamtale; bolig, økonomi og helse – med en tittel som er lang nok til at "
      "linjen må brettes ved 75 oktetter: æøå ÆØÅ";
  struct Case {
    const char* series;
    const char* notBefore;
    const char* title;
    const char* expectedUtc;  // what the parser must read, in UTC
    const char* expectedLocal;
  };
  const std::vector<Case> cases{
      // Christmas Day is a Friday; 26 December a Saturday: Monday 28th, winter time.
      {"C-1:christmas", "2026-12-25", "Christmas", "2026-12-28T07:00:00+00:00",
       "2026-12-28T08:00:00+01:00"},
      // Maundy Thursday to Easter Monday 2027, and summer time from Sunday 28 March.
      {"C-2:easter", "2027-03-25", "Easter", "2027-03-30T06:00:00+00:00",
       "2027-03-30T08:00:00+02:00"},
      // 17 May 2027 is Constitution Day and Whit Monday.
      {"C-3:may", "2027-05-17", longTitle.c_str(), "2027-05-18T06:00:00+00:00",
       "2027-05-18T08:00:00+02:00"},
      // Winter time again from Sunday 31 October 2027.
      {"C-4:october", "2027-10-30", "October", "2027-11-01T07:00:00+00:00",
       "2027-11-01T08:00:00+01:00"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string id = "nr-ics-" + std::to_string(++n);
    request(id, std::string(R"({"request_id": ")") + id + R"(", "action": "schedule",
        "kind": "tenancy_follow_up", "series_id": ")" +
                    c.series + R"(", "case_id": "C-)" + std::to_string(n) +
                    R"(", "person_ref": ")" + t::kAnna + R"(", "not_before": ")" + c.notBefore +
                    R"(", "rule_id": "R1", "source_event_id": "e", "title": )" +
                    schemas::jsonString(c.title) + "}");
  }
  deliverRequests(cases.size());
  // A year of days: every invitation (and reminder) goes out in its time.
  for (int i = 0; i < 366; ++i) {
    ASSERT_TRUE(scheduler_->tick());
    clock_.advance(hours(24));
  }
  std::vector<Notice> sent = awaitNotices("notices.meetings", cases.size() * 2);
  ASSERT_EQ(sent.size(), cases.size() * 2);  // invitation and reminder each

  std::vector<std::string> files;
  std::map<std::string, const Notice*> byFile;
  for (const auto& s : sent) {
    if (s.reminder) continue;
    const auto file = dir_ / (s.meetingId + ".ics");
    t::writeFile(file, s.ics);
    files.push_back(file.string());
    byFile[file.string()] = &s;
  }
  std::vector<std::string> argv{"/usr/bin/python3",
                                (t::sourceDir() / "tests/integration/ical_parse.py").string()};
  argv.insert(argv.end(), files.begin(), files.end());
  const auto parsed = t::run(argv);
  ASSERT_EQ(parsed.exitCode, 0) << parsed.out;
  rapidjson::Document d;
  d.Parse(parsed.out.c_str());
  ASSERT_TRUE(d.IsArray()) << parsed.out;
  ASSERT_EQ(d.Size(), files.size());
  for (const auto& p : d.GetArray()) {
    const Notice& notice = *byFile.at(p["file"].GetString());
    const Case* c = nullptr;
    for (const auto& candidate : cases) {
      if (notice.title == candidate.title) c = &candidate;
    }
    ASSERT_NE(c, nullptr) << notice.title;
    SCOPED_TRACE(c->series);
    EXPECT_STREQ(p["method"].GetString(), "REQUEST");
    EXPECT_EQ(p["uid"].GetString(), notice.meetingId + "@wayhome");
    EXPECT_EQ(p["sequence"].GetInt(), 0);
    EXPECT_STREQ(p["tzid"].GetString(), "Europe/Oslo");
    EXPECT_STREQ(p["start_utc"].GetString(), c->expectedUtc);
    EXPECT_STREQ(p["start_local"].GetString(), c->expectedLocal);
    EXPECT_EQ(notice.start, c->expectedLocal);
    EXPECT_EQ(p["minutes"].GetInt(), 60);
    EXPECT_STREQ(p["summary"].GetString(), c->title);
    EXPECT_TRUE(p["has_vtimezone"].GetBool());
    EXPECT_TRUE(p["crlf"].GetBool());
    EXPECT_LE(p["longest_line_octets"].GetInt(), 75);
  }

  // An update and a cancel of the May meeting, parsed the same way.
  request("nr-move", R"({"request_id": "nr-move", "action": "reschedule",
      "kind": "tenancy_follow_up", "series_id": "C-3:may", "case_id": "C-3",
      "not_before": "2028-02-01", "rule_id": "R3", "source_event_id": "e"})");
  deliverRequests(1);
  ASSERT_TRUE(scheduler_->tick());
  request("nr-cancel", R"({"request_id": "nr-cancel", "action": "cancel_case", "case_id": "C-3",
      "kind": "tenancy_follow_up", "rule_id": "R4", "source_event_id": "e"})");
  deliverRequests(1);
  ASSERT_TRUE(scheduler_->tick());
  sent = awaitNotices("notices.meetings", cases.size() * 2 + 2);
  ASSERT_EQ(sent.size(), cases.size() * 2 + 2);
  t::writeFile(dir_ / "update.ics", sent[sent.size() - 2].ics);
  t::writeFile(dir_ / "cancel.ics", sent.back().ics);
  const auto later =
      t::run({argv[0], argv[1], (dir_ / "update.ics").string(), (dir_ / "cancel.ics").string()});
  ASSERT_EQ(later.exitCode, 0) << later.out;
  d.Parse(later.out.c_str());
  ASSERT_TRUE(d.IsArray() && d.Size() == 2) << later.out;
  EXPECT_STREQ(d[0]["method"].GetString(), "REQUEST");
  EXPECT_EQ(d[0]["sequence"].GetInt(), 1);
  EXPECT_STREQ(d[0]["start_local"].GetString(), "2028-02-01T08:00:00+01:00");
  EXPECT_STREQ(d[1]["method"].GetString(), "CANCEL");
  EXPECT_EQ(d[1]["sequence"].GetInt(), 2);
  EXPECT_STREQ(d[1]["status"].GetString(), "CANCELLED");
  EXPECT_EQ(d[0]["uid"].GetString(), std::string(d[1]["uid"].GetString()));
}

/// A service of its own for the scheduler component: one partition, no recurring
/// meetings, timers looked at every 20 ms.
services::ServiceConfig serviceConfig(const t::TempDir& dir) {
  return t::serviceConfig(dir / "data", 1);
}

SchedulerSettings serviceSettings() {
  SchedulerSettings s;  // no recurring meetings
  s.poll = 20ms;
  return s;
}

// The scheduler component in a running service: a request on the bus becomes a meeting
// listed over HTTP and served as iCalendar; bad queries are refused with the reason.
TEST(SchedulerService, MeetingsAreListedAndServedAsICalendarAndBadQueriesAreRefused) {
  t::TempDir dir;
  const auto c = serviceConfig(dir);
  const auto service = t::startService(c, makeSchedulerComponent(serviceSettings()));
  const int port = service->httpPort();

  bus::Producer producer({{"bootstrap.servers", service->bootstrapServers()}});
  const Days tomorrow = floor<days>(system_clock::now()) + days(1);
  bus::CloudEvent e;
  e.id = "nr-http-1";
  e.source = "/test/router";
  e.type = "notice.requested.v1";
  e.time = formatRfc3339(system_clock::now());
  e.subject = t::kAnna;
  e.data = std::string(R"({"request_id": "nr-http-1", "action": "schedule",
      "kind": "loan_guidance", "series_id": "L-1:my-own-home", "case_id": "L-1",
      "person_ref": ")") +
           t::kAnna + R"(", "not_before": ")" + formatDate(tomorrow) +
           R"(", "rule_id": "R7", "source_event_id": "e1"})";
  ASSERT_TRUE(producer.send(c.bus.topicPrefix + "notices.requests", e).get().ok);

  rapidjson::Document list;
  ASSERT_TRUE(t::waitFor(
      [&] {
        const auto r = t::http(port, "GET", std::string("/api/v1/meetings?person_ref=") + t::kAnna);
        list.Parse(r.body.c_str());
        return r.status == 200 && list.IsArray() && list.Size() == 1 &&
               list[0]["notified"].GetBool();
      },
      30000ms));
  EXPECT_STREQ(list[0]["kind"].GetString(), "loan_guidance");
  EXPECT_STREQ(list[0]["status"].GetString(), "scheduled");
  const std::string ics = list[0]["ics"].GetString();
  const auto byCase = t::http(port, "GET", "/api/v1/meetings?case_id=L-1");
  EXPECT_EQ(byCase.status, 200);
  EXPECT_NE(byCase.body.find(list[0]["meeting_id"].GetString()), std::string::npos);

  const auto cal = t::http(port, "GET", ics);
  EXPECT_EQ(cal.status, 200);
  EXPECT_EQ(cal.headers.at("content-type"), "text/calendar; charset=utf-8");
  EXPECT_EQ(cal.body.rfind("BEGIN:VCALENDAR\r\n", 0), 0U) << cal.body;
  EXPECT_NE(cal.body.find(std::string("UID:") + list[0]["meeting_id"].GetString() + "@wayhome"),
            std::string::npos);

  // Refusals name the parameter; nothing is made up for an unknown meeting.
  auto r = t::http(port, "GET", "/api/v1/meetings");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("person_ref or case_id"), std::string::npos) << r.body;
  r = t::http(port, "GET", "/api/v1/meetings?person_ref=12345678901");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("person_ref"), std::string::npos);
  EXPECT_EQ(r.body.find("12345678901"), std::string::npos) << "the error echoes the number";
  EXPECT_EQ(t::http(port, "GET", "/api/v1/meetings?case_id=%3Cscript%3E").status, 400);
  EXPECT_EQ(t::http(port, "GET", "/api/v1/meetings/mtg_unknown.ics").status, 404);
  EXPECT_EQ(
      t::http(port, "GET", "/api/v1/meetings/" + std::string(list[0]["meeting_id"].GetString()))
          .status,
      404);
  EXPECT_EQ(t::http(port, "GET", "/api/v1/meetings?person_ref=" + std::string(t::kAnna)).status,
            200);

  const auto metrics = t::http(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("wayhome_notices_sent_total{notice=\"invitation\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wayhome_meetings{status=\"scheduled\"} 1"), std::string::npos);
  service->stop();
}

TEST(SchedulerService, WithTokensOnlyKnownTokensReadMeetings) {
  t::TempDir dir;
  auto c = serviceConfig(dir);
  c.opsTokens = {{"case-system", "caseworker", "caseworker-token-abcdefgh"},
                 {"watcher", "viewer", "viewer-token-abcdefghijk"}};
  const auto service = t::startService(c, makeSchedulerComponent(serviceSettings()));
  const int port = service->httpPort();
  auto get = [&](const std::string& target, const std::string& token) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return t::http(port, "GET", target, "", headers).status;
  };
  EXPECT_EQ(get("/api/v1/meetings?case_id=K-1", ""), 401);
  EXPECT_EQ(get("/api/v1/meetings?case_id=K-1", "not-a-known-token-at-all"), 401);
  EXPECT_EQ(get("/api/v1/meetings/mtg_x.ics", ""), 401);
  EXPECT_EQ(get("/api/v1/meetings?case_id=K-1", "caseworker-token-abcdefgh"), 200);
  EXPECT_EQ(get("/api/v1/meetings?case_id=K-1", "viewer-token-abcdefghijk"), 200);
  EXPECT_EQ(get("/api/v1/meetings/mtg_x.ics", "viewer-token-abcdefghijk"), 404);
  service->stop();
}

// Issue 12: the scheduler's tables were never pruned. Past the retention, requests
// seen, closed referrals and meetings that are over (with their notice records) go;
// what a timer still needs, an open referral and a future meeting stay.
class SchedulerRetention : public ::testing::TestWithParam<store::Dialect> {};
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerRetention,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         t::backendName);

TEST_P(SchedulerRetention, PastTheRetentionWhatNoTimerNeedsIsDeleted) {
  t::TempDir dir;
  ManualClock clock(sys_days(year{2027} / 1 / 4));
  const auto handle = Backend(GetParam(), dir / "s.db").open();
  store::StateStore& state = *handle;
  bus::Outbox outbox(state, bus::OutboxOptions{}, clock);
  const auto schemas = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  SchedulerSettings settings;
  settings.recurring.clear();
  settings.retention = hours(24 * 30);
  Scheduler scheduler(state, outbox, schemas, bus::Topics(), clock, settings);
  const std::int64_t nowS = duration_cast<seconds>(clock.now().time_since_epoch()).count();
  const std::int64_t nowMs = nowS * 1000;
  state.transaction([&](store::Connection& db) {
    for (const char* sql : {
             "INSERT INTO scheduler_requests VALUES('req-old', 'applied', ?1);",
             "INSERT INTO scheduler_referrals VALUES('ref-closed', 'nav', NULL, 'closed', ?1);",
             "INSERT INTO scheduler_referrals VALUES('ref-open', 'nav', NULL, 'open', ?1);",
         }) {
      store::Statement st(db, sql);
      st.bind(1, nowMs);
      st.run();
    }
    auto meeting = [&](const std::string& id, std::int64_t endS, bool timer) {
      store::Statement st(
          db,
          "INSERT INTO scheduler_meetings(meeting_id, series_id, kind, case_id, participants, "
          "title, place, rule_id, source_event_id, start_s, end_s, sequence, status, "
          "notify_at_s, stamp_s) VALUES(?, ?, 'ad_hoc', 'K-1', '[]', 't', 'p', 'R1', 'e', ?, ?, "
          "0, 'scheduled', ?, ?);");
      st.bind(1, id).bind(2, "series-" + id).bind(3, endS - 3600).bind(4, endS);
      if (timer) {
        st.bind(5, endS + 10 * 86400);
      } else {
        st.bindNull(5);
      }
      st.bind(6, endS);
      st.run();
      store::Statement n(db, "INSERT INTO scheduler_notices VALUES(?, ?, 0, 'invitation', ?);");
      n.bind(1, "ntc-" + id).bind(2, id).bind(3, nowMs);
      n.run();
    };
    meeting("over", nowS + 86400, false);         // over in 31 days' time: gone
    meeting("waiting", nowS + 86400, true);       // a timer still needs it: stays
    meeting("future", nowS + 90 * 86400, false);  // not over yet: stays
  });
  auto none = scheduler.prune();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none.value(), 0U);
  clock.advance(hours(24 * 32));
  auto pruned = scheduler.prune();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(pruned.value(), 4U);  // the request, the closed referral, one meeting + notice
  std::vector<std::string> left;
  state.transaction([&](store::Connection& db) {
    store::Statement st(db,
                        "SELECT referral_id FROM scheduler_referrals UNION ALL SELECT meeting_id "
                        "FROM scheduler_meetings UNION ALL SELECT event_id FROM scheduler_notices "
                        "UNION ALL SELECT request_id FROM scheduler_requests ORDER BY 1;");
    while (st.step())
      left.push_back(st.columnText(0));
  });
  EXPECT_EQ(left, (std::vector<std::string>{"future", "ntc-future", "ntc-waiting", "ref-open",
                                            "waiting"}));
}

// Item 4 of issue 15: an ad hoc meeting a case worker asks for is placed in working
// hours from its earliest time, invited at once, moved (same UID, higher SEQUENCE),
// marked held once it has begun, and cancelled; each step audited with the token.
TEST_P(SchedulerTest, AnAdHocMeetingIsPlacedInvitedMovedHeldAndCancelledUnderOneUid) {
  // Monday 4 January 2027, 10:00 in Oslo: a 90-minute grid from 08:00 gives 11:00.
  AdHocRequest a;
  a.requestId = "NAV-M1";
  a.actor = "nav-system";
  a.sector = "nav";
  a.personRef = t::kAnna;
  a.sectors = {"housing", "nav"};
  a.earliest = floor<seconds>(clock_.now());
  a.minutes = 90;
  auto made = scheduler_->requestMeeting(a);
  ASSERT_EQ(made.status, 201) << made.body;
  rapidjson::Document d;
  d.Parse(made.body.c_str());
  const std::string id = d["meeting_id"].GetString();
  EXPECT_STREQ(d["start"].GetString(), "2027-01-04T11:00:00+01:00");
  EXPECT_STREQ(d["end"].GetString(), "2027-01-04T12:30:00+01:00");
  const auto again = scheduler_->requestMeeting(a);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find(id), std::string::npos);

  ASSERT_TRUE(scheduler_->tick());
  auto sent = awaitNotices("notices.meetings", 1);
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(std::make_tuple(sent[0].meetingId, sent[0].kind, sent[0].sequence, sent[0].method),
            std::make_tuple(id, std::string("ad_hoc"), 0, std::string("REQUEST")));
  EXPECT_EQ(awaitNotices("notices.nav", 1).size(), 1U);
  EXPECT_EQ(awaitNotices("notices.housing", 1).size(), 1U);

  MeetingChange c;
  c.meetingId = id;
  c.actor = "housing-system";
  c.sectors = {"housing"};
  EXPECT_EQ(scheduler_->recordHeld(c).status, 409);  // it has not begun
  MeetingChange stranger = c;
  stranger.sectors = {"finance"};
  stranger.earliest = floor<seconds>(clock_.now());
  EXPECT_EQ(scheduler_->moveMeeting(stranger).status, 403);
  MeetingChange unknown = c;
  unknown.meetingId = "mtg_nope";
  EXPECT_EQ(scheduler_->cancelMeeting(unknown).status, 404);

  // Moved to Tuesday from 13:00 Oslo: the 14:00 slot, sequence 1, an update at once.
  c.earliest = fromOslo(LocalTime{Days{year{2027} / 1 / 5}.time_since_epoch()} + hours(13));
  auto moved = scheduler_->moveMeeting(c);
  ASSERT_EQ(moved.status, 200) << moved.body;
  d.Parse(moved.body.c_str());
  EXPECT_STREQ(d["start"].GetString(), "2027-01-05T14:00:00+01:00");
  EXPECT_EQ(d["sequence"].GetInt(), 1);
  ASSERT_TRUE(scheduler_->tick());
  sent = awaitNotices("notices.meetings", 2);
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(
      std::make_tuple(sent[1].meetingId, sent[1].status, sent[1].sequence, sent[1].start),
      std::make_tuple(id, std::string("updated"), 1, std::string("2027-01-05T14:00:00+01:00")));
  EXPECT_NE(sent[1].ics.find("UID:" + id + "@wayhome"), std::string::npos);

  // Half an hour in, housing records it held; the list shows it.
  clock_.set(at(2027, 1, 5, 13) + minutes(30));
  auto held = scheduler_->recordHeld(c);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_NE(scheduler_->listJson(t::kAnna, "").find("\"held\":true"), std::string::npos);

  auto cancelled = scheduler_->cancelMeeting(c);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  ASSERT_TRUE(scheduler_->tick());
  sent = awaitNotices("notices.meetings", 3);
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(std::make_tuple(sent[2].meetingId, sent[2].method, sent[2].sequence),
            std::make_tuple(id, std::string("CANCEL"), 2));
  EXPECT_EQ(scheduler_->moveMeeting(c).status, 409);  // cancelled: nothing to move
  EXPECT_EQ(scheduler_->recordHeld(c).status, 409);

  // meeting.held.v1 beside the notices; every step audited with the token's name.
  std::map<std::string, std::string> audited;  // decision -> actor
  std::size_t heldEvents = 0;
  auto audit = reader(prefix_ + "audit.decisions");
  auto meetings = reader(prefix_ + "notices.meetings");
  ASSERT_TRUE(t::waitFor([&] {
    for (const auto& r : audit->poll(50ms, 1000)) {
      auto e = bus::binding::fromRecord(r);
      for (const auto& ad : t::auditDecisions(e.value().data)) {
        if (ad.HasMember("actor")) audited[ad["decision"].GetString()] = ad["actor"].GetString();
      }
    }
    for (const auto& r : meetings->poll(50ms, 1000)) {
      auto e = bus::binding::fromRecord(r);
      if (e && e.value().type == "meeting.held.v1") {
        EXPECT_FALSE(schemas_->validate("meeting.held.v1", e.value().data)) << e.value().data;
        ++heldEvents;
      }
    }
    return audited.size() >= 4 && heldEvents >= 1;
  }));
  EXPECT_EQ(audited["meeting_requested"], "nav-system");
  EXPECT_EQ(audited["meeting_moved"], "housing-system");
  EXPECT_EQ(audited["meeting_held"], "housing-system");
  EXPECT_EQ(audited["meeting_cancelled"], "housing-system");
}

// A meeting the rules made is not moved through the API, and a window without a free
// slot is refused naming latest.
TEST_P(SchedulerTest, AnAdHocRequestWithoutAFreeSlotOrARuleMadeMeetingIsRefused) {
  AdHocRequest a;
  a.requestId = "HC-9";
  a.actor = "care-system";
  a.sector = "health_care";
  a.caseId = "case-9";
  a.sectors = {"health_care"};
  // Saturday 9 January: no working day up to the latest day.
  a.earliest = fromOslo(LocalTime{Days{year{2027} / 1 / 9}.time_since_epoch()} + hours(9));
  a.latest = Days{year{2027} / 1 / 10};
  auto r = scheduler_->requestMeeting(a);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("/latest"), std::string::npos);

  request("rq-1", R"({"request_id": "rq-1", "action": "schedule", "kind": "tenancy_follow_up",
                      "case_id": "K-1", "series_id": "K-1:fu", "rule_id": "R1",
                      "source_event_id": "e1", "not_before": "2027-02-01",
                      "participants": [{"role": "housing_contact", "sector": "housing"}]})");
  std::vector<bus::KafkaRecord> records;
  ASSERT_TRUE(t::waitFor([&] {
    for (auto& rec : requests_->poll(20ms, 10))
      records.push_back(std::move(rec));
    return !records.empty();
  }));
  ASSERT_TRUE(scheduler_->handle(records[0]));
  MeetingChange c;
  c.meetingId = Scheduler::meetingIdFor("K-1:fu");
  c.actor = "housing-system";
  c.sectors = {"housing"};
  const auto refused = scheduler_->cancelMeeting(c);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("follows its rules"), std::string::npos);
}

}  // namespace
}  // namespace wayhome::scheduler
