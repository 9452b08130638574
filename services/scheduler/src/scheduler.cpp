#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include <rapidjson/document.h>

#include <wayhome/bus/audit.hpp>
#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/scheduler/icalendar.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/store/columns.hpp>

#include "scheduler_sql.hpp"  // generated from sql/scheduler.sql: kSchedulerTables

namespace wayhome::scheduler {
namespace {

using namespace std::chrono;
using schemas::appendJsonString;
using schemas::jsonString;
using store::Statement;

constexpr std::string_view kSource = "/wayhome/scheduler";
constexpr std::string_view kNoticeType = "meeting.notice.v1";
constexpr std::string_view kRequestType = "notice.requested.v1";
constexpr std::size_t kMaxPerTick = 500;

std::int64_t epochSeconds(Instant t) {
  return t.time_since_epoch().count();
}
Instant fromEpochSeconds(std::int64_t s) {
  return Instant{seconds{s}};
}

std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || !it->value.IsString()
             ? std::string()
             : std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string participantsJson(const std::vector<Participant>& ps) {
  std::string out = "[";
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"role\":" + jsonString(ps[i].role);
    if (!ps[i].sector.empty()) out += ",\"sector\":" + jsonString(ps[i].sector);
    out += '}';
  }
  return out + "]";
}

std::vector<Participant> parseParticipants(const std::string& json) {
  std::vector<Participant> out;
  rapidjson::Document d;
  if (schemas::parseJson(d, json) || !d.IsArray()) return out;
  for (const auto& p : d.GetArray())
    out.push_back({str(p, "role"), str(p, "sector")});
  return out;
}

std::string defaultTitle(std::string_view kind) {
  if (kind == "tenancy_follow_up") return "Follow-up conversation";
  if (kind == "renewal_conversation") return "Renewal conversation";
  if (kind == "loan_guidance") return "My own home: guidance conversation";
  if (kind == "maintenance_move_out") return "Maintenance: moving out for the work";
  if (kind == "eviction_follow_up") return "Eviction: follow-up conversation";
  if (kind == "coordination_meeting") return "Cross-sector coordination meeting";
  if (kind == "ad_hoc") return "Ad hoc coordination meeting";
  return "Meeting";
}

// A meeting row as the tick and the HTTP API see it.
struct Meeting {
  std::string id, series, kind, caseId, personRef, title, place, ruleId, sourceEventId, status;
  std::vector<Participant> participants;
  std::string participantsText;
  Instant start, end, stamp;
  int sequence = 0;
  int notifiedSequence = -1;
  std::optional<std::int64_t> notifyAt, remindAt;
  std::string agenda;  // JSON object or empty
};

constexpr std::string_view kMeetingColumns =
    "meeting_id, series_id, kind, case_id, person_ref, participants, title, place, rule_id, "
    "source_event_id, start_s, end_s, sequence, status, notify_at_s, remind_at_s, "
    "notified_sequence, agenda, stamp_s";

Meeting readMeeting(const Statement& st) {
  Meeting m;
  store::readColumns(st, 0, m.id, m.series, m.kind, m.caseId, m.personRef, m.participantsText);
  m.participants = parseParticipants(m.participantsText);
  store::readColumns(st, 6, m.title, m.place, m.ruleId, m.sourceEventId);
  m.start = fromEpochSeconds(st.columnInt(10));
  m.end = fromEpochSeconds(st.columnInt(11));
  m.sequence = static_cast<int>(st.columnInt(12));
  store::readColumns(st, 13, m.status, m.notifyAt, m.remindAt);
  m.notifiedSequence = static_cast<int>(st.columnInt(16));
  m.agenda = st.columnText(17);
  m.stamp = fromEpochSeconds(st.columnInt(18));
  return m;
}

std::vector<Meeting> queryMeetings(store::Connection& db, const std::string& where,
                                   const std::vector<std::string>& args,
                                   std::optional<std::int64_t> intArg = std::nullopt) {
  Statement st(db, "SELECT " + std::string(kMeetingColumns) + " FROM scheduler_meetings WHERE " +
                       where + ";");
  int i = 1;
  for (const auto& a : args)
    st.bind(i++, a);
  if (intArg) st.bind(i++, *intArg);
  std::vector<Meeting> out;
  while (st.step())
    out.push_back(readMeeting(st));
  return out;
}

// Agenda text for people (the DESCRIPTION) from the agenda JSON.
std::string agendaText(const std::string& agendaJson) {
  rapidjson::Document d;
  if (schemas::parseJson(d, agendaJson) || !d.IsObject()) return {};
  std::string out = "Agenda: open referrals per sector, overdue first.";
  for (const auto& m : d.GetObject()) {
    out += "\n";
    out.append(m.name.GetString(), m.name.GetStringLength());
    out += ": " + std::to_string(m.value["open"].GetInt()) + " open, " +
           std::to_string(m.value["overdue"].GetInt()) + " overdue";
    if (m.value.HasMember("referral_ids")) {
      const auto& ids = m.value["referral_ids"];
      std::size_t shown = 0;
      for (const auto& id : ids.GetArray()) {
        if (shown == 20) {
          out += " ...";
          break;
        }
        out += shown == 0 ? " (" : ", ";
        out += id.GetString();
        ++shown;
      }
      if (shown > 0 && shown <= 20 && ids.Size() <= 20)
        out += ")";
      else if (shown > 0)
        out += ")";
    }
  }
  return out;
}

}  // namespace

const char* outcomeName(Outcome outcome) {
  static constexpr const char* kNames[] = {"applied", "duplicate", "ignored", "rejected"};
  return text::enumName(outcome, kNames, "?");
}

struct Scheduler::Impl {
  store::StateStore& state;
  bus::Outbox& outbox;
  const schemas::SchemaRegistry& schemas;
  bus::Topics topics;  // a copy: cheap, and callers may pass a temporary
  const Clock& clock;
  SchedulerSettings settings;
  WorkingHours hours;
  struct Recurring {
    SchedulerSettings::Recurring config;
    RecurrenceRule rule;
  };
  std::vector<Recurring> recurring;
  /// When tick() next prunes past the retention (hourly).
  Clock::TimePoint nextPrune{};

  Impl(store::StateStore& s, bus::Outbox& o, const schemas::SchemaRegistry& r, const bus::Topics& t,
       const Clock& c, SchedulerSettings cfg)
      : state(s), outbox(o), schemas(r), topics(t), clock(c), settings(std::move(cfg)) {
    hours.start = minutes(settings.workStartMinutes);
    hours.end = minutes(settings.workEndMinutes);
    for (const auto& rc : settings.recurring) {
      if (!rc.enabled) continue;
      auto rule = parseRecurrenceRule(rc.rrule);
      if (!rule) {
        throw std::invalid_argument("scheduler: recurring meeting '" + rc.name +
                                    "': " + rule.error().message);
      }
      recurring.push_back({rc, rule.value()});
    }
  }

  Instant now() const { return floor<seconds>(clock.now()); }
  std::int64_t nowMs() const {
    return duration_cast<milliseconds>(clock.now().time_since_epoch()).count();
  }

  bus::CloudEvent event(std::string id, std::string_view type, std::string subject,
                        std::string data) const {
    bus::CloudEvent e;
    e.id = std::move(id);
    e.source = std::string(kSource);
    e.type = std::string(type);
    e.time = formatRfc3339(clock.now());
    e.subject = std::move(subject);
    e.data = std::move(data);
    return e;
  }

  // ---- dead letters ----

  // Bad input goes to dlq.scheduler through the outbox, in the transaction that
  // records it, so a re-delivered record is neither lost nor dead-lettered twice. The
  // dead letter is the record as it came, with the dlq_* headers (replayable).
  Outcome deadLetter(store::Connection& db, const bus::KafkaRecord& record,
                     const std::string& reason, bus::AppendOutcome& appended) {
    const auto dead = bus::dead_letter::make(record, "scheduler", reason, topics, clock.now());
    auto r = outbox.appendWithin(db, {}, {dead});
    appended.fresh += r.fresh;
    appended.duplicates += r.duplicates;
    return Outcome::kRejected;
  }

  // ---- placement ----

  bool slotFree(store::Connection& db, const std::string& personRef, const std::string& except,
                Instant s, Instant e) const {
    if (personRef.empty()) return true;
    Statement st(db,
                 "SELECT 1 FROM scheduler_meetings WHERE person_ref = ? AND meeting_id != ? AND "
                 "status != 'cancelled' AND start_s < ? AND end_s > ? LIMIT 1;");
    st.bind(1, personRef).bind(2, except).bind(3, epochSeconds(e)).bind(4, epochSeconds(s));
    return !st.step();
  }

  Instant place(store::Connection& db, std::optional<Days> notBefore, std::optional<Days> notAfter,
                const std::string& personRef, const std::string& meetingId) const {
    const Days tomorrow = osloDay(now()) + days(1);
    Days from = notBefore.value_or(osloDay(now()) + days(settings.leadTimeDays));
    Days to = notAfter.value_or(from + days(settings.defaultWindowDays));
    if (from < tomorrow) from = tomorrow;
    if (to < from) to = from + days(settings.defaultWindowDays);
    const auto length = minutes(settings.meetingMinutes);
    auto free = [&](Instant s, Instant e) { return slotFree(db, personRef, meetingId, s, e); };
    if (auto slot = placeMeeting(from, to, hours, length, free)) return *slot;
    log::warn("scheduler", "no free slot in the requested window; taking the next one after it",
              {{"meeting_id", meetingId}, {"not_after", formatDate(to)}});
    if (auto slot = placeMeeting(to + days(1), to + days(366), hours, length, free)) return *slot;
    return *placeMeeting(to + days(1), to + days(366), hours, length, nullptr);
  }

  // When the invitation (and the reminder) go out for a meeting at `start`: the lead
  // time before it, and at once when that falls today or earlier in Oslo (a meeting
  // placed a lead time ahead is announced when it is placed, at any hour).
  std::pair<std::int64_t, std::optional<std::int64_t>> timers(Instant start, bool notifyNow) const {
    const Instant n = now();
    const Instant due = start - days(settings.leadTimeDays);
    Instant notify = notifyNow || osloDay(due) <= osloDay(n) ? n : due;
    std::optional<std::int64_t> remind;
    if (settings.reminderHours > 0) {
      const Instant r = start - std::chrono::hours(settings.reminderHours);
      if (r > notify) remind = epochSeconds(r);
    }
    return {epochSeconds(notify), remind};
  }

  // ---- requests ----

  struct Request {
    std::string requestId, action, kind, seriesId, caseId, personRef, ruleId, sourceEventId, title;
    std::optional<Days> notBefore, notAfter;
    std::vector<Participant> participants;
  };

  Outcome schedule(store::Connection& db, const Request& r, const std::string& series) {
    const std::string id = meetingIdFor(series);
    if (!queryMeetings(db, "series_id = ?", {series}).empty()) return reschedule(db, r, series);
    std::vector<Participant> participants = r.participants;
    if (participants.empty()) {
      if (!r.personRef.empty()) participants.push_back({"tenant", ""});
      participants.push_back({"housing_contact", "housing"});
    }
    const Instant start = place(db, r.notBefore, r.notAfter, r.personRef, id);
    const Instant end = start + minutes(settings.meetingMinutes);
    const auto [notify, remind] = timers(start, false);
    Statement st(db,
                 "INSERT INTO scheduler_meetings(meeting_id, series_id, kind, case_id, "
                 "person_ref, participants, title, place, rule_id, source_event_id, start_s, "
                 "end_s, sequence, status, notify_at_s, remind_at_s, stamp_s) VALUES(?, ?, ?, ?, "
                 "?, ?, ?, ?, ?, ?, ?, ?, 0, 'scheduled', ?, ?, ?);");
    st.bind(1, id).bind(2, series).bind(3, r.kind).bind(4, r.caseId);
    if (r.personRef.empty())
      st.bindNull(5);
    else
      st.bind(5, r.personRef);
    st.bind(6, participantsJson(participants))
        .bind(7, r.title.empty() ? defaultTitle(r.kind) : r.title)
        .bind(8, settings.place)
        .bind(9, r.ruleId)
        .bind(10, r.sourceEventId)
        .bind(11, epochSeconds(start))
        .bind(12, epochSeconds(end))
        .bind(13, notify);
    if (remind)
      st.bind(14, *remind);
    else
      st.bindNull(14);
    st.bind(15, epochSeconds(now()));
    st.run();
    log::info("scheduler", "meeting scheduled",
              {{"meeting_id", id}, {"kind", r.kind}, {"start", formatOsloRfc3339(start)}});
    return Outcome::kApplied;
  }

  Outcome reschedule(store::Connection& db, const Request& r, const std::string& series) {
    std::vector<Meeting> found;
    if (!series.empty()) {
      found = queryMeetings(db, "series_id = ?", {series});
    } else {
      found = queryMeetings(db, "case_id = ? AND kind = ? AND end_s > ?", {r.caseId, r.kind},
                            epochSeconds(now()));
    }
    if (found.empty()) {
      if (!series.empty()) return schedule(db, r, series);
      return Outcome::kIgnored;
    }
    for (const auto& m : found) {
      const Instant start = place(db, r.notBefore, r.notAfter, m.personRef, m.id);
      const Instant end = start + minutes(settings.meetingMinutes);
      if (m.status != "cancelled" && start == m.start && (r.title.empty() || r.title == m.title)) {
        // The same meeting again (a re-sent or no-op change): nobody needs an update.
        log::info("scheduler", "meeting unchanged", {{"meeting_id", m.id}});
        continue;
      }
      // People who have the invitation get an update at once; a meeting nobody has
      // heard of yet just moves, and its first notice carries the new time.
      const bool announced = m.notifiedSequence >= 0;
      const int sequence = announced ? m.sequence + 1 : m.sequence;
      const std::string status = announced ? "updated" : "scheduled";
      const auto [notify, remind] = timers(start, announced);
      Statement st(db,
                   "UPDATE scheduler_meetings SET start_s = ?, end_s = ?, sequence = ?, "
                   "status = ?, notify_at_s = ?, remind_at_s = ?, rule_id = ?, "
                   "source_event_id = ?, title = COALESCE(?, title), stamp_s = ? "
                   "WHERE meeting_id = ?;");
      st.bind(1, epochSeconds(start)).bind(2, epochSeconds(end)).bind(3, sequence);
      st.bind(4, status).bind(5, notify);
      if (remind)
        st.bind(6, *remind);
      else
        st.bindNull(6);
      st.bind(7, r.ruleId).bind(8, r.sourceEventId);
      if (r.title.empty())
        st.bindNull(9);
      else
        st.bind(9, r.title);
      st.bind(10, epochSeconds(now())).bind(11, m.id);
      st.run();
      log::info("scheduler", "meeting moved",
                {{"meeting_id", m.id},
                 {"sequence", std::to_string(sequence)},
                 {"start", formatOsloRfc3339(start)}});
    }
    return Outcome::kApplied;
  }

  Outcome cancel(store::Connection& db, const Request& r, const std::vector<Meeting>& found) {
    std::size_t cancelled = 0;
    for (const auto& m : found) {
      if (m.status == "cancelled" || m.end <= now()) continue;  // over: nothing pending
      const bool announced = m.notifiedSequence >= 0;
      Statement st(db,
                   "UPDATE scheduler_meetings SET sequence = ?, status = 'cancelled', "
                   "notify_at_s = ?, remind_at_s = NULL, rule_id = ?, source_event_id = ?, "
                   "stamp_s = ? WHERE meeting_id = ?;");
      st.bind(1, announced ? m.sequence + 1 : m.sequence);
      // Only people who got the invitation need a CANCEL; an unsent one is withdrawn.
      if (announced)
        st.bind(2, epochSeconds(now()));
      else
        st.bindNull(2);
      st.bind(3, r.ruleId).bind(4, r.sourceEventId).bind(5, epochSeconds(now())).bind(6, m.id);
      st.run();
      ++cancelled;
      log::info("scheduler", announced ? "meeting cancelled" : "unsent meeting withdrawn",
                {{"meeting_id", m.id}});
    }
    return cancelled > 0 ? Outcome::kApplied : Outcome::kIgnored;
  }

  Outcome handleRequest(store::Connection& db, const bus::KafkaRecord& record,
                        const bus::CloudEvent& e, bus::AppendOutcome& appended) {
    rapidjson::Document d;
    (void)schemas::parseJson(d, e.data);  // validated by the consume loop
    Request r;
    r.requestId = str(d, "request_id");
    {
      Statement seen(db, "SELECT 1 FROM scheduler_requests WHERE request_id = ?;");
      seen.bind(1, r.requestId);
      if (seen.step()) return Outcome::kDuplicate;
    }
    r.action = str(d, "action");
    r.kind = str(d, "kind");
    r.seriesId = str(d, "series_id");
    r.caseId = str(d, "case_id");
    r.personRef = str(d, "person_ref");
    r.ruleId = str(d, "rule_id");
    r.sourceEventId = str(d, "source_event_id");
    r.title = str(d, "title");
    auto reject = [&](const std::string& why) {
      remember(db, r.requestId, std::string("rejected: ") + why);
      return deadLetter(db, record, "notice.requested.v1: " + why, appended);
    };
    for (const char* key : {"not_before", "not_after"}) {
      const std::string text = str(d, key);
      if (text.empty()) continue;
      auto day = parseDate(text);
      if (!day) return reject(std::string("/") + key + ": is not a calendar date");
      (key[4] == 'b' ? r.notBefore : r.notAfter) = day;
    }
    if (r.notBefore && r.notAfter && *r.notAfter < *r.notBefore) {
      return reject("/not_after: is before not_before");
    }
    if (r.notBefore && r.notAfter && *r.notAfter - *r.notBefore > days(3660)) {
      return reject("/not_after: window is longer than ten years");
    }
    if (d.HasMember("participants")) {
      for (const auto& p : d["participants"].GetArray()) {
        r.participants.push_back({str(p, "role"), str(p, "sector")});
      }
    }
    Outcome outcome = Outcome::kIgnored;
    if (r.action == "schedule") {
      outcome = schedule(db, r, r.seriesId.empty() ? "request:" + r.requestId : r.seriesId);
    } else if (r.action == "reschedule") {
      outcome = reschedule(db, r, r.seriesId);
    } else if (r.action == "cancel") {
      outcome = cancel(db, r,
                       r.seriesId.empty()
                           ? queryMeetings(db, "case_id = ? AND kind = ?", {r.caseId, r.kind})
                           : queryMeetings(db, "series_id = ?", {r.seriesId}));
    } else if (r.action == "cancel_case") {
      outcome = cancel(db, r, queryMeetings(db, "case_id = ?", {r.caseId}));
    }
    remember(db, r.requestId, outcomeName(outcome));
    return outcome;
  }

  void remember(store::Connection& db, const std::string& requestId,
                const std::string& outcome) const {
    if (requestId.empty()) return;
    Statement st(db,
                 "INSERT INTO scheduler_requests(request_id, outcome, at_ms) "
                 "VALUES(?, ?, ?) ON CONFLICT DO NOTHING;");
    st.bind(1, requestId).bind(2, outcome).bind(3, nowMs());
    st.run();
  }

  // ---- referrals (for the coordination agenda) ----

  Outcome handleReferral(store::Connection& db, const bus::CloudEvent& e) {
    rapidjson::Document d;
    (void)schemas::parseJson(d, e.data);  // validated by the consume loop
    const std::string id = str(d, "referral_id");
    if (e.type == "referral.created.v1") {
      std::optional<std::int64_t> due;
      if (auto t = parseRfc3339(str(d, "due_by"))) due = epochSeconds(*t);
      Statement st(db,
                   "INSERT INTO scheduler_referrals(referral_id, sector, due_by_s, state, "
                   "updated_ms) VALUES(?, ?, ?, 'open', ?) ON CONFLICT(referral_id) DO UPDATE "
                   "SET sector = excluded.sector, due_by_s = excluded.due_by_s;");
      st.bind(1, id).bind(2, str(d, "to_sector"));
      if (due)
        st.bind(3, *due);
      else
        st.bindNull(3);
      st.bind(4, nowMs());
      st.run();
    } else {
      const std::string newState = e.type == "referral.closed.v1" ? "closed" : "acknowledged";
      // A close is final whatever arrives after it (topics are not ordered together).
      Statement st(
          db,
          "INSERT INTO scheduler_referrals(referral_id, sector, state, updated_ms) "
          "VALUES(?, ?, ?, ?) ON CONFLICT(referral_id) DO UPDATE SET state = "
          "CASE WHEN scheduler_referrals.state = 'closed' THEN 'closed' ELSE excluded.state END, "
          "updated_ms = excluded.updated_ms;");
      st.bind(1, id).bind(2, str(d, "sector")).bind(3, newState).bind(4, nowMs());
      st.run();
    }
    return Outcome::kApplied;
  }

  std::string agendaJson(store::Connection& db) const {
    const std::int64_t n = epochSeconds(now());
    std::string out = "{";
    bool first = true;
    for (const auto& sector : topics.sectorNames()) {
      Statement st(db,
                   "SELECT referral_id, due_by_s IS NOT NULL AND due_by_s < ? AS overdue FROM "
                   "scheduler_referrals WHERE sector = ? AND state != 'closed' "
                   "ORDER BY overdue DESC, due_by_s, referral_id;");
      st.bind(1, n).bind(2, sector);
      std::int64_t open = 0, overdue = 0;
      std::string ids;
      while (st.step()) {
        ++open;
        overdue += st.columnInt(1);
        if (open <= 500) {
          if (open > 1) ids += ',';
          appendJsonString(ids, st.columnText(0));
        }
      }
      if (!first) out += ',';
      first = false;
      out += "\"" + sector + "\":{\"open\":" + std::to_string(open) +
             ",\"overdue\":" + std::to_string(overdue) + ",\"referral_ids\":[" + ids + "]}";
    }
    return out + "}";
  }

  // ---- recurring meetings ----

  std::size_t materialiseRecurring(store::Connection& db) {
    std::size_t created = 0;
    const Instant n = now();
    for (const auto& rc : recurring) {
      Instant after = n;
      // The next occurrence, and every one whose invitation is due within the lead time.
      for (int guard = 0; guard < 64; ++guard) {
        const Instant ruleAt = nextOccurrence(rc.rule, after);
        after = ruleAt;
        const Days ruleDay = osloDay(ruleAt);
        const std::string series = "recurring:" + rc.config.name + ":" + formatDate(ruleDay);
        // A holiday moves the meeting to the next working day, same time.
        const Days day = nextWorkingDay(ruleDay);
        const Instant start = fromOslo(LocalTime{day.time_since_epoch()} +
                                       (toOslo(ruleAt) - LocalTime{ruleDay.time_since_epoch()}));
        const int length =
            rc.config.meetingMinutes != 0 ? rc.config.meetingMinutes : settings.meetingMinutes;
        if (queryMeetings(db, "series_id = ?", {series}).empty()) {
          std::vector<Participant> ps;
          for (const auto& [role, sector] : rc.config.participants)
            ps.push_back({role, sector});
          const auto [notify, remind] = timers(start, false);
          Statement st(db,
                       "INSERT INTO scheduler_meetings(meeting_id, series_id, kind, case_id, "
                       "participants, title, place, rule_id, source_event_id, start_s, end_s, "
                       "sequence, status, notify_at_s, remind_at_s, agenda, stamp_s) "
                       "VALUES(?, ?, 'coordination_meeting', ?, ?, ?, ?, 'R13', ?, ?, ?, 0, "
                       "'scheduled', ?, ?, ?, ?);");
          st.bind(1, meetingIdFor(series))
              .bind(2, series)
              .bind(3, "recurring:" + rc.config.name)
              .bind(4, participantsJson(ps))
              .bind(5, rc.config.title)
              .bind(6, rc.config.place.empty() ? settings.place : rc.config.place)
              .bind(7, "config:recurring:" + rc.config.name)
              .bind(8, epochSeconds(start))
              .bind(9, epochSeconds(start + minutes(length)))
              .bind(10, notify);
          if (remind)
            st.bind(11, *remind);
          else
            st.bindNull(11);
          st.bind(12, rc.config.agenda ? "{}" : "");
          st.bind(13, epochSeconds(n));
          st.run();
          ++created;
        }
        if (start - days(settings.leadTimeDays) > n) break;
      }
    }
    return created;
  }

  // ---- notices ----

  Invitation invitation(const Meeting& m) const {
    Invitation inv;
    inv.uid = m.id + "@wayhome";
    inv.sequence = m.sequence;
    inv.cancel = m.status == "cancelled";
    inv.stamp = m.stamp;
    inv.start = m.start;
    inv.end = m.end;
    inv.summary = m.title;
    inv.description = "Case " + m.caseId + " (" + m.kind + ").";
    if (!m.agenda.empty() && m.agenda != "{}") inv.description += "\n" + agendaText(m.agenda);
    inv.location = m.place;
    inv.organizer = settings.organizer;
    inv.personRef = m.personRef;
    inv.participants = m.participants;
    return inv;
  }

  std::string noticeJson(const Meeting& m, bool reminder) const {
    std::string out = "{\"meeting_id\":" + jsonString(m.id) + ",\"kind\":" + jsonString(m.kind);
    if (!m.personRef.empty()) out += ",\"person_ref\":" + jsonString(m.personRef);
    out += ",\"case_id\":" + jsonString(m.caseId);
    out += ",\"participants\":" + m.participantsText;
    out += ",\"start\":" + jsonString(formatOsloRfc3339(m.start));
    out += ",\"end\":" + jsonString(formatOsloRfc3339(m.end));
    out += ",\"time_zone\":\"Europe/Oslo\",\"place\":" + jsonString(m.place);
    out += ",\"sequence\":" + std::to_string(m.sequence);
    out += ",\"status\":" + jsonString(m.status);
    out += m.status == "cancelled" ? ",\"method\":\"CANCEL\"" : ",\"method\":\"REQUEST\"";
    out += ",\"title\":" + jsonString(m.title);
    out += ",\"icalendar\":" + jsonString(writeInvitation(invitation(m)));
    if (!m.agenda.empty() && m.agenda != "{}") out += ",\"agenda\":" + m.agenda;
    if (m.remindAt && !reminder) {
      out += ",\"remind_at\":" + jsonString(formatOsloRfc3339(fromEpochSeconds(*m.remindAt)));
    }
    if (reminder) out += ",\"reminder\":true";
    return out + "}";
  }

  // The sectors with a role in the meeting (each gets notices.<sector>).
  static std::set<std::string> participantSectors(const Meeting& m) {
    std::set<std::string> sectors;
    for (const auto& p : m.participants) {
      if (!p.sector.empty()) sectors.insert(p.sector);
    }
    return sectors;
  }

  // The audit record of notice `eventId` of `m`: what each sector with a role saw.
  bus::CloudEvent noticeAudit(const Meeting& m, const std::string& eventId,
                              const std::string& what) const {
    bus::audit::Entry e;
    e.decision = "notice_sent";
    e.ruleId = m.ruleId;
    e.meetingId = m.id;
    e.topic = topics.meetingNotices();
    e.outputId = eventId;
    for (const auto& s : participantSectors(m)) {
      bus::audit::Disclosure d{
          s, {"meeting_id", "kind", "case_id", "participants", "start", "end", "place", "title"}};
      if (!m.personRef.empty()) d.fields.emplace_back("person_ref");
      if (!m.agenda.empty() && m.agenda != "{}") d.fields.emplace_back("agenda");
      e.disclosed.push_back(std::move(d));
    }
    e.detail = what + ", sequence " + std::to_string(m.sequence) + ", meeting at " +
               formatOsloRfc3339(m.start);
    bus::audit::Record r;
    r.id = "dec-" + eventId;
    r.source = std::string(kSource);
    r.service = "scheduler";
    r.decidedAt = clock.now();
    r.sourceEventId = m.sourceEventId;
    r.personRef = m.personRef;
    r.subject = m.personRef.empty() ? m.id : m.personRef;
    r.decisions.push_back(std::move(e));
    return bus::audit::event(r);
  }

  // Sends one notice of `m` and records it; false if it was sent before.
  bool send(store::Connection& db, const Meeting& m, const std::string& notice,
            bus::AppendOutcome& appended) {
    const std::string eventId = "ntc-" + m.id + "-" + std::to_string(m.sequence) + "-" + notice;
    Statement mark(db,
                   "INSERT INTO scheduler_notices(event_id, meeting_id, sequence, "
                   "notice, sent_ms) VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING;");
    mark.bind(1, eventId).bind(2, m.id).bind(3, m.sequence).bind(4, notice).bind(5, nowMs());
    mark.run();
    if (db.changes() == 0) return false;
    const std::string data = noticeJson(m, notice == "reminder");
    bus::CloudEvent audit = noticeAudit(m, eventId, notice);
    if (auto bad = schemas.validate(kNoticeType, data)) {
      throw std::logic_error("meeting.notice.v1 of " + m.id + " is invalid: " + bad->message);
    }
    if (auto bad = schemas.validate(audit.type, audit.data)) {
      throw std::logic_error("audit of " + m.id + " is invalid: " + bad->message);
    }
    const std::string key = m.personRef.empty() ? m.id : m.personRef;
    std::vector<bus::OutboxEvent> events{
        {topics.meetingNotices(), event(eventId, kNoticeType, key, data)},
        {topics.auditDecisions(), std::move(audit)}};
    // Each sector with a role in the meeting gets its copy on notices.<sector>; a copy
    // has its own event id (an id is unique per topic in the outbox), the same data.
    for (const auto& sector : participantSectors(m)) {
      events.push_back(
          {topics.sectorNotices(sector), event(eventId + "." + sector, kNoticeType, key, data)});
    }
    const auto r = outbox.appendWithin(db, events);
    appended.fresh += r.fresh;
    appended.duplicates += r.duplicates;
    log::info("scheduler", "notice sent",
              {{"meeting_id", m.id},
               {"notice", notice},
               {"sequence", std::to_string(m.sequence)},
               {"start", formatOsloRfc3339(m.start)}});
    return true;
  }

  TickReport fire(store::Connection& db, bus::AppendOutcome& appended) {
    TickReport report;
    report.recurringCreated = materialiseRecurring(db);
    const std::int64_t n = epochSeconds(now());
    for (auto& m : queryMeetings(
             db, "notify_at_s <= ? ORDER BY notify_at_s LIMIT " + std::to_string(kMaxPerTick), {},
             n)) {
      if (m.kind == "coordination_meeting" && !m.agenda.empty() && m.status != "cancelled") {
        m.agenda = agendaJson(db);  // fresh counts when the invitation goes out
      }
      m.stamp = now();
      std::string notice = "invitation";
      if (m.status == "cancelled")
        notice = "cancel";
      else if (m.status == "updated")
        notice = "update";
      if (send(db, m, notice, appended)) {
        (notice == "cancel"   ? report.cancels
         : notice == "update" ? report.updates
                              : report.invitations)++;
      }
      // A reminder that came due together with its invitation (the service was down)
      // would only repeat it.
      Statement st(db,
                   "UPDATE scheduler_meetings SET notified_sequence = sequence, notify_at_s = "
                   "NULL, agenda = ?, stamp_s = ?, remind_at_s = CASE WHEN remind_at_s <= ? "
                   "THEN NULL ELSE remind_at_s END WHERE meeting_id = ?;");
      st.bind(1, m.agenda).bind(2, epochSeconds(m.stamp)).bind(3, n).bind(4, m.id);
      st.run();
    }
    for (const auto& m : queryMeetings(db,
                                       "remind_at_s <= ? AND notify_at_s IS NULL ORDER BY "
                                       "remind_at_s LIMIT " +
                                           std::to_string(kMaxPerTick),
                                       {}, n)) {
      if (m.status != "cancelled" && m.end > now() && send(db, m, "reminder", appended)) {
        ++report.reminders;
      }
      Statement st(db, "UPDATE scheduler_meetings SET remind_at_s = NULL WHERE meeting_id = ?;");
      st.bind(1, m.id);
      st.run();
    }
    return report;
  }

  // ---- ad hoc meetings (the meetings API) ----

  // The first slot from `earliest` (and after now) up to `latest` in working hours that
  // is clear of the citizen's other meetings.
  std::optional<Instant> placeAdHoc(store::Connection& db, Instant earliest,
                                    std::optional<Days> latest, int length,
                                    const std::string& personRef,
                                    const std::string& meetingId) const {
    const Instant n = now();
    const Instant from = std::max(earliest, n);
    const Days to = latest.value_or(osloDay(from) + days(366));
    auto free = [&](Instant s, Instant e) {
      return s >= from && slotFree(db, personRef, meetingId, s, e);
    };
    return placeMeeting(osloDay(from), to, hours, minutes(length), free);
  }

  // The audit record of a case worker's call about meeting `meetingId`.
  bus::CloudEvent auditOf(const std::string& id, const std::string& decision,
                          const std::string& actor, const std::string& personRef,
                          const std::string& meetingId, const std::string& detail) const {
    bus::audit::Record r;
    r.id = id;
    r.source = std::string(kSource);
    r.service = "scheduler";
    r.decidedAt = clock.now();
    r.personRef = personRef;
    r.actor = actor;
    r.subject = personRef.empty() ? meetingId : personRef;
    bus::audit::Entry e;
    e.decision = decision;
    e.meetingId = meetingId;
    e.detail = detail;
    r.decisions.push_back(std::move(e));
    return bus::audit::event(r);
  }

  // Queues `events` after checking each against its schema (a bug, not input, if not).
  void queue(store::Connection& db, const std::vector<bus::OutboxEvent>& events,
             bus::AppendOutcome& appended) {
    for (const auto& e : events) {
      if (auto bad = schemas.validate(e.event.type, e.event.data)) {
        throw std::logic_error(e.event.type + " is invalid: " + bad->message);
      }
    }
    const auto r = outbox.appendWithin(db, events);
    appended.fresh += r.fresh;
    appended.duplicates += r.duplicates;
  }

  static std::string meetingAnswer(const Meeting& m, const std::string& state) {
    return "{\"meeting_id\":" + jsonString(m.id) + ",\"status\":" + jsonString(state) +
           ",\"meeting_status\":" + jsonString(m.status) +
           ",\"start\":" + jsonString(formatOsloRfc3339(m.start)) +
           ",\"end\":" + jsonString(formatOsloRfc3339(m.end)) +
           ",\"sequence\":" + std::to_string(m.sequence) +
           ",\"ics\":" + jsonString("/api/v1/meetings/" + m.id + ".ics") + "}";
  }

  MeetingAnswer requestAdHoc(store::Connection& db, const AdHocRequest& r,
                             bus::AppendOutcome& appended) {
    const std::string series = "adhoc:" + r.sector + ":" + r.requestId;
    const std::string id = meetingIdFor(series);
    if (auto found = queryMeetings(db, "series_id = ?", {series}); !found.empty()) {
      return {200, meetingAnswer(found[0], "duplicate")};
    }
    const int length = r.minutes > 0 ? r.minutes : settings.meetingMinutes;
    const auto start = placeAdHoc(db, r.earliest, r.latest, length, r.personRef, id);
    if (!start) {
      return {409,
              "{\"error\":\"/latest: no free slot in working hours from earliest to "
              "latest; give a later latest\"}"};
    }
    std::vector<Participant> ps;
    std::set<std::string> sectors(r.sectors.begin(), r.sectors.end());
    sectors.insert(r.sector);
    for (const auto& sector : sectors)
      ps.push_back({"case_worker", sector});
    if (!r.personRef.empty()) ps.push_back({"citizen", ""});
    const std::string eventId = "api-mtg-" + bus::stableHexId(series);
    const auto [notify, remind] = timers(*start, true);
    Statement st(db,
                 "INSERT INTO scheduler_meetings(meeting_id, series_id, kind, case_id, "
                 "person_ref, participants, title, place, rule_id, source_event_id, start_s, "
                 "end_s, sequence, status, notify_at_s, remind_at_s, stamp_s) VALUES(?, ?, "
                 "'ad_hoc', ?, ?, ?, ?, ?, 'api', ?, ?, ?, 0, 'scheduled', ?, ?, ?);");
    st.bind(1, id).bind(2, series).bind(3, r.caseId.empty() ? "adhoc:" + r.requestId : r.caseId);
    if (r.personRef.empty())
      st.bindNull(4);
    else
      st.bind(4, r.personRef);
    st.bind(5, participantsJson(ps))
        .bind(6, r.title.empty() ? defaultTitle("ad_hoc") : r.title)
        .bind(7, settings.place)
        .bind(8, eventId)
        .bind(9, epochSeconds(*start))
        .bind(10, epochSeconds(*start + minutes(length)))
        .bind(11, notify);
    if (remind)
      st.bind(12, *remind);
    else
      st.bindNull(12);
    st.bind(13, epochSeconds(now()));
    st.run();
    const auto m = queryMeetings(db, "meeting_id = ?", {id}).at(0);
    const std::string key = m.personRef.empty() ? m.id : m.personRef;
    queue(db,
          {{topics.auditDecisions(),
            auditOf("aud-" + eventId, "meeting_requested", r.actor, m.personRef, m.id,
                    "ad hoc meeting asked for by " + r.sector + ", placed at " +
                        formatOsloRfc3339(m.start))}},
          appended);
    log::info("scheduler", "ad hoc meeting placed",
              {{"meeting_id", id}, {"start", formatOsloRfc3339(m.start)}});
    return {201, meetingAnswer(m, "accepted")};
  }

  // The meeting a change is about, or the refusal: unknown, not the caller's sectors'.
  std::variant<Meeting, MeetingAnswer> changeable(store::Connection& db,
                                                  const MeetingChange& c) const {
    auto found = queryMeetings(db, "meeting_id = ?", {c.meetingId});
    if (found.empty()) return MeetingAnswer{404, "{\"error\":\"no such meeting\"}"};
    const auto sectors = participantSectors(found[0]);
    for (const auto& s : c.sectors) {
      if (sectors.contains(s)) return found[0];
    }
    return MeetingAnswer{403, "{\"error\":\"/meeting_id: token '" + c.actor +
                                  "' speaks for no sector that takes part in this meeting\"}"};
  }

  MeetingAnswer changeAdHoc(store::Connection& db, const MeetingChange& c, bool move,
                            bus::AppendOutcome& appended) {
    auto found = changeable(db, c);
    if (auto* refusal = std::get_if<MeetingAnswer>(&found)) return *refusal;
    const auto& m = std::get<Meeting>(found);
    if (m.kind != "ad_hoc") {
      return {409, "{\"error\":\"/meeting_id: a " + m.kind +
                       " meeting follows its rules; only ad hoc meetings are moved or cancelled "
                       "here\"}"};
    }
    if (m.status == "cancelled") return {409, "{\"error\":\"the meeting is cancelled\"}"};
    if (m.end <= now()) return {409, "{\"error\":\"the meeting is over\"}"};
    const bool announced = m.notifiedSequence >= 0;
    const int sequence = announced ? m.sequence + 1 : m.sequence;
    Instant start = m.start;
    Instant end = m.end;
    if (move) {
      const int length = c.minutes > 0
                             ? c.minutes
                             : static_cast<int>(duration_cast<minutes>(m.end - m.start).count());
      const auto placed = placeAdHoc(db, *c.earliest, c.latest, length, m.personRef, m.id);
      if (!placed) {
        return {409,
                "{\"error\":\"/latest: no free slot in working hours from earliest to "
                "latest\"}"};
      }
      start = *placed;
      end = start + minutes(length);
    }
    // People who have the invitation get the update (or CANCEL) at once; an unsent
    // invitation just carries the new time, and an unsent meeting is withdrawn.
    const std::string status = !move ? "cancelled" : announced ? "updated" : "scheduled";
    const auto [notify, remind] = timers(start, true);
    Statement st(db,
                 "UPDATE scheduler_meetings SET start_s = ?, end_s = ?, sequence = ?, status = ?, "
                 "notify_at_s = ?, remind_at_s = ?, stamp_s = ? WHERE meeting_id = ?;");
    st.bind(1, epochSeconds(start)).bind(2, epochSeconds(end)).bind(3, sequence).bind(4, status);
    if (move || announced)
      st.bind(5, notify);
    else
      st.bindNull(5);
    if (move && remind)
      st.bind(6, *remind);
    else
      st.bindNull(6);
    st.bind(7, epochSeconds(now())).bind(8, m.id);
    st.run();
    const auto after = queryMeetings(db, "meeting_id = ?", {m.id}).at(0);
    const std::string id =
        "api-" + std::string(move ? "mmv-" : "mcn-") +
        bus::stableHexId(m.id + "|" + std::to_string(sequence) + "|" +
                         std::to_string(epochSeconds(start)) + "|" + std::to_string(nowMs()));
    queue(db,
          {{topics.auditDecisions(),
            auditOf("aud-" + id, move ? "meeting_moved" : "meeting_cancelled", c.actor, m.personRef,
                    m.id,
                    std::string(move ? "moved to " : "cancelled; it was at ") +
                        formatOsloRfc3339(after.start) + ", sequence " +
                        std::to_string(after.sequence))}},
          appended);
    log::info("scheduler", move ? "ad hoc meeting moved" : "ad hoc meeting cancelled",
              {{"meeting_id", m.id}, {"sequence", std::to_string(after.sequence)}});
    return {200, meetingAnswer(after, move ? "moved" : "cancelled")};
  }

  MeetingAnswer held(store::Connection& db, const MeetingChange& c, bus::AppendOutcome& appended) {
    auto found = changeable(db, c);
    if (auto* refusal = std::get_if<MeetingAnswer>(&found)) return *refusal;
    const auto& m = std::get<Meeting>(found);
    if (m.status == "cancelled") {
      return {409, "{\"error\":\"/held: the meeting was cancelled\"}"};
    }
    if (m.start > now()) {
      return {409, "{\"error\":\"/held: the meeting has not begun (it starts " +
                       formatOsloRfc3339(m.start) + ")\"}"};
    }
    Statement st(db,
                 "INSERT INTO scheduler_meeting_held(meeting_id, held, recorded_by, recorded_ms) "
                 "VALUES(?, ?, ?, ?) ON CONFLICT(meeting_id) DO UPDATE SET held = excluded.held, "
                 "recorded_by = excluded.recorded_by, recorded_ms = excluded.recorded_ms;");
    st.bind(1, m.id).bind(2, c.held ? 1 : 0).bind(3, c.actor).bind(4, nowMs());
    st.run();
    std::string data = "{\"meeting_id\":" + jsonString(m.id) + ",\"kind\":" + jsonString(m.kind) +
                       ",\"case_id\":" + jsonString(m.caseId);
    if (!m.personRef.empty()) data += ",\"person_ref\":" + jsonString(m.personRef);
    data += ",\"start\":" + jsonString(formatOsloRfc3339(m.start)) +
            ",\"held\":" + (c.held ? "true" : "false") + ",\"participants\":" + m.participantsText +
            ",\"recorded_by\":" + jsonString(c.actor) +
            ",\"recorded_at\":" + jsonString(formatRfc3339(clock.now())) + "}";
    const std::string id = "mhd-" + bus::stableHexId(m.id + "|" + std::to_string(nowMs()) + "|" +
                                                     (c.held ? "1" : "0"));
    const std::string key = m.personRef.empty() ? m.id : m.personRef;
    queue(db,
          {{topics.meetingNotices(), event(id, "meeting.held.v1", key, data)},
           {topics.auditDecisions(),
            auditOf("aud-" + id, "meeting_held", c.actor, m.personRef, m.id,
                    std::string(c.held ? "held" : "not held") + " (" + m.kind + " at " +
                        formatOsloRfc3339(m.start) + ")")}},
          appended);
    return {200, "{\"meeting_id\":" + jsonString(m.id) + ",\"held\":" +
                     (c.held ? "true" : "false") + ",\"event_id\":" + jsonString(id) + "}"};
  }
};

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& schedulerSchema() {
  static const auto kSchema = store::parseModuleSchema("scheduler", kSchedulerTables);
  return kSchema;
}

Scheduler::Scheduler(store::StateStore& state, bus::Outbox& outbox,
                     const schemas::SchemaRegistry& schemas, const bus::Topics& topics,
                     const Clock& clock, SchedulerSettings settings)
    : impl_(std::make_unique<Impl>(state, outbox, schemas, topics, clock, std::move(settings))) {
  state.migrate(schedulerSchema());
}

Scheduler::~Scheduler() = default;

std::string Scheduler::meetingIdFor(std::string_view seriesId) {
  return "mtg_" + bus::stableHexId(seriesId);
}

Result<Outcome> Scheduler::handle(const bus::KafkaRecord& record) {
  auto& s = *impl_;
  Outcome outcome = Outcome::kIgnored;
  bus::AppendOutcome appended;
  try {
    s.state.transaction([&](store::Connection& db) {
      appended = {};
      auto parsed = bus::binding::fromRecord(record);
      if (!parsed) {
        outcome = s.deadLetter(db, record, "not a CloudEvent: " + parsed.error().message, appended);
        return;
      }
      const auto& e = parsed.value();
      const bool request = e.type == kRequestType;
      const bool referral = e.type == "referral.created.v1" ||
                            e.type == "referral.acknowledged.v1" || e.type == "referral.closed.v1";
      if (!request && !referral) return;  // other referral traffic is not ours
      if (auto bad = s.schemas.validate(e.type, e.data)) {
        outcome = s.deadLetter(db, record, e.type + ": " + bad->message, appended);
        return;
      }
      outcome = request ? s.handleRequest(db, record, e, appended) : s.handleReferral(db, e);
    });
  } catch (const std::exception& e) {
    return Error::retry(std::string("scheduler store: ") + e.what());
  }
  if (appended.fresh > 0) s.outbox.committedWithin(appended);
  return outcome;
}

Result<TickReport> Scheduler::tick() {
  auto& s = *impl_;
  TickReport report;
  bus::AppendOutcome appended;
  try {
    s.state.transaction([&](store::Connection& db) {
      appended = {};
      report = s.fire(db, appended);
    });
  } catch (const std::exception& e) {
    return Error::retry(std::string("scheduler tick: ") + e.what());
  }
  if (appended.fresh > 0) s.outbox.committedWithin(appended);
  if (const auto now = s.clock.now(); now >= s.nextPrune) {
    s.nextPrune = now + std::chrono::hours(1);
    if (auto pruned = prune(); !pruned) {
      log::warn("scheduler", "pruning failed; it runs again in an hour",
                {{"error", pruned.error().message}});
    } else if (pruned.value() > 0) {
      log::info("scheduler", "pruned past the retention",
                {{"rows", std::to_string(pruned.value())}});
    }
  }
  return report;
}

Result<std::size_t> Scheduler::prune() {
  auto& s = *impl_;
  if (s.settings.retention.count() <= 0) return std::size_t{0};
  const auto cutoff = s.clock.now() - s.settings.retention;
  const std::int64_t cutoffMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  const std::int64_t cutoffS =
      std::chrono::duration_cast<std::chrono::seconds>(cutoff.time_since_epoch()).count();
  std::size_t deleted = 0;
  try {
    s.state.transaction([&](store::Connection& db) {
      deleted = 0;
      const char* over =
          "SELECT meeting_id FROM scheduler_meetings WHERE end_s < ? AND notify_at_s IS NULL "
          "AND remind_at_s IS NULL";
      // Each statement binds exactly what it uses (PostgreSQL needs a type for every
      // parameter).
      const std::vector<std::pair<std::string, std::int64_t>> deletes{
          {"DELETE FROM scheduler_requests WHERE at_ms < ?;", cutoffMs},
          {"DELETE FROM scheduler_referrals WHERE state = 'closed' AND updated_ms < ?;", cutoffMs},
          {"DELETE FROM scheduler_notices WHERE meeting_id IN (" + std::string(over) + ");",
           cutoffS},
          {"DELETE FROM scheduler_meeting_held WHERE meeting_id IN (" + std::string(over) + ");",
           cutoffS},
          {"DELETE FROM scheduler_meetings WHERE meeting_id IN (" + std::string(over) + ");",
           cutoffS}};
      for (const auto& [sql, cutoffValue] : deletes) {
        Statement st(db, sql.c_str());
        st.bind(1, cutoffValue);
        st.run();
        deleted += static_cast<std::size_t>(db.changes());
      }
    });
  } catch (const std::exception& e) {
    return Error::retry(std::string("scheduler prune: ") + e.what());
  }
  return deleted;
}

std::optional<std::string> Scheduler::calendar(std::string_view meetingId) {
  std::optional<std::string> out;
  impl_->state.transaction([&](store::Connection& db) {
    auto found = queryMeetings(db, "meeting_id = ?", {std::string(meetingId)});
    if (!found.empty()) out = writeInvitation(impl_->invitation(found[0]));
  });
  return out;
}

namespace {

/// Runs `call` in one transaction and queues its events after the commit; a store
/// failure is a 503.
template <typename Call>
MeetingAnswer inTransaction(store::StateStore& state, bus::Outbox& outbox, Call call) {
  MeetingAnswer answer;
  bus::AppendOutcome appended;
  try {
    state.transaction([&](store::Connection& db) {
      appended = {};
      answer = call(db, appended);
    });
  } catch (const std::exception& e) {
    log::error("scheduler", "meetings API: the store failed", {{"error", e.what()}});
    return {503, "{\"error\":\"the state store failed; try again\"}"};
  }
  if (appended.fresh > 0) outbox.committedWithin(appended);
  return answer;
}

}  // namespace

MeetingAnswer Scheduler::requestMeeting(const AdHocRequest& request) {
  auto& s = *impl_;
  return inTransaction(s.state, s.outbox, [&](store::Connection& db, bus::AppendOutcome& appended) {
    return s.requestAdHoc(db, request, appended);
  });
}

MeetingAnswer Scheduler::moveMeeting(const MeetingChange& change) {
  auto& s = *impl_;
  if (!change.earliest) return {400, "{\"error\":\"/earliest: required\"}"};
  return inTransaction(s.state, s.outbox, [&](store::Connection& db, bus::AppendOutcome& appended) {
    return s.changeAdHoc(db, change, true, appended);
  });
}

MeetingAnswer Scheduler::cancelMeeting(const MeetingChange& change) {
  auto& s = *impl_;
  return inTransaction(s.state, s.outbox, [&](store::Connection& db, bus::AppendOutcome& appended) {
    return s.changeAdHoc(db, change, false, appended);
  });
}

MeetingAnswer Scheduler::recordHeld(const MeetingChange& change) {
  auto& s = *impl_;
  return inTransaction(s.state, s.outbox, [&](store::Connection& db, bus::AppendOutcome& appended) {
    return s.held(db, change, appended);
  });
}

std::string Scheduler::listJson(std::string_view personRef, std::string_view caseId) {
  std::string out = "[";
  impl_->state.transaction([&](store::Connection& db) {
    const auto found =
        personRef.empty()
            ? queryMeetings(db, "case_id = ? ORDER BY start_s", {std::string(caseId)})
            : queryMeetings(db, "person_ref = ? ORDER BY start_s", {std::string(personRef)});
    Statement heldQuery(db, "SELECT held FROM scheduler_meeting_held WHERE meeting_id = ?;");
    bool first = true;
    for (const auto& m : found) {
      if (!first) out += ',';
      first = false;
      out += "{\"meeting_id\":" + jsonString(m.id) + ",\"kind\":" + jsonString(m.kind) +
             ",\"case_id\":" + jsonString(m.caseId);
      if (!m.personRef.empty()) out += ",\"person_ref\":" + jsonString(m.personRef);
      out += ",\"title\":" + jsonString(m.title) + ",\"place\":" + jsonString(m.place) +
             ",\"start\":" + jsonString(formatOsloRfc3339(m.start)) +
             ",\"end\":" + jsonString(formatOsloRfc3339(m.end)) +
             ",\"sequence\":" + std::to_string(m.sequence) + ",\"status\":" + jsonString(m.status) +
             ",\"notified\":" + (m.notifiedSequence == m.sequence ? "true" : "false") +
             ",\"participants\":" + m.participantsText;
      heldQuery.reset();
      heldQuery.bind(1, m.id);
      if (heldQuery.step())
        out += heldQuery.columnInt(0) != 0 ? ",\"held\":true" : ",\"held\":false";
      out += ",\"ics\":" + jsonString("/api/v1/meetings/" + m.id + ".ics") + "}";
    }
  });
  return out + "]";
}

}  // namespace wayhome::scheduler
