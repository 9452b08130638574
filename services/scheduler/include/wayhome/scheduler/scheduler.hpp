#pragma once

// The scheduler of meeting notices: durable timers in the state store, fed by
// notice.requested.v1 (schedule / reschedule / cancel / cancel_case) and by configured
// recurring meetings, firing meeting.notice.v1 with an iCalendar invitation through
// the outbox, once.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/result.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/scheduler/settings.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::scheduler {

/// The scheduler's tables (meetings, requests, notices, referrals on the agenda).
[[nodiscard]] const store::ModuleSchema& schedulerSchema();

/// What became of one consumed record.
enum class Outcome {
  kApplied,    ///< the request or referral changed the store
  kDuplicate,  ///< seen before (same request id); nothing changed
  kIgnored,    ///< not for the scheduler (another event type) or nothing to act on
  kRejected,   ///< bad input: sent to dlq.scheduler with the reason
};

[[nodiscard]] const char* outcomeName(Outcome outcome);

/// What one tick sent.
struct TickReport {
  std::size_t invitations = 0;  ///< first notices (sequence 0 or a silent move)
  std::size_t updates = 0;
  std::size_t cancels = 0;
  std::size_t reminders = 0;
  std::size_t recurringCreated = 0;
  [[nodiscard]] std::size_t notices() const { return invitations + updates + cancels + reminders; }
};

/// An ad hoc coordination meeting a case worker asks for (POST /api/v1/meetings),
/// already checked field by field.
struct AdHocRequest {
  std::string requestId;             ///< the asking system's id: the same again is the same meeting
  std::string actor;                 ///< the case-worker token's name (audited)
  std::string sector;                ///< the asking token's sector (it takes part)
  std::string caseId;                ///< the case, or empty
  std::string personRef;             ///< the citizen, or empty (one of the two is given)
  std::vector<std::string> sectors;  ///< the sectors taking part
  Instant earliest;                  ///< no start before this
  std::optional<Days> latest;        ///< no start after this Oslo day (none: a year on)
  int minutes = 0;                   ///< 0: the scheduler's meeting length
  std::string title;                 ///< empty: "Ad hoc coordination meeting"
};

/// A change to a meeting through the API: move (earliest set), cancel, or held.
struct MeetingChange {
  std::string meetingId;
  std::string actor;
  std::vector<std::string> sectors;  ///< the caller's: one must take part in the meeting
  std::optional<Instant> earliest;   ///< move: no start before this
  std::optional<Days> latest;
  int minutes = 0;  ///< move: 0 keeps the length
  bool held = true;
};

/// What an API call on meetings came to: an HTTP status and its JSON body.
struct MeetingAnswer {
  int status = 200;
  std::string body;
};

/// The scheduler's logic over the state store and the outbox. Every change to the
/// store and the events it causes commit in one SQLite transaction. Thread-safe
/// (the store serialises), though one thread drives it in the service.
class Scheduler {
 public:
  /// Errors: throws std::invalid_argument when a recurring meeting's RRULE is bad.
  Scheduler(store::StateStore& state, bus::Outbox& outbox, const schemas::SchemaRegistry& schemas,
            const bus::Topics& topics, const Clock& clock, SchedulerSettings settings);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Handles one record from notices.requests or referrals.*. Bad input never throws
  /// and is not retried: it goes to dlq.scheduler with a reason naming the field.
  /// Errors: retryable when the store fails (consume the record again later).
  Result<Outcome> handle(const bus::KafkaRecord& record);

  /// Materialises recurring meetings and fires every timer due at the clock's now:
  /// each invitation, update, cancel and reminder exactly once.
  /// Errors: retryable when the store fails.
  Result<TickReport> tick();

  /// Deletes what is past `settings.retention` at the clock's now: requests seen, closed
  /// referrals, meetings that ended with no timer left, and their notice records
  /// (nothing a timer still needs). Returns the rows deleted; 0 with no retention.
  /// Errors: retryable when the store fails.
  Result<std::size_t> prune();

  /// The current iCalendar of a meeting (what was, or is about to be, sent).
  [[nodiscard]] std::optional<std::string> calendar(std::string_view meetingId);
  /// A JSON array of the meetings of a citizen or of a case (one must be given).
  [[nodiscard]] std::string listJson(std::string_view personRef, std::string_view caseId);

  /// Places an ad hoc meeting in working hours from `request.earliest` (clear of the
  /// citizen's other meetings) and queues its invitation at once; audited
  /// (meeting_requested). 201, or 200 with the same meeting for the same request again;
  /// 409 when no slot is free up to `latest`.
  /// Errors: 503 in the answer when the store fails.
  [[nodiscard]] MeetingAnswer requestMeeting(const AdHocRequest& request);
  /// Moves an ad hoc meeting (a new place from `change.earliest`): the same UID, a
  /// higher SEQUENCE once people have the invitation; audited (meeting_moved).
  [[nodiscard]] MeetingAnswer moveMeeting(const MeetingChange& change);
  /// Cancels an ad hoc meeting (METHOD:CANCEL, higher SEQUENCE); audited.
  [[nodiscard]] MeetingAnswer cancelMeeting(const MeetingChange& change);
  /// Records that a meeting that has begun was held or not (meeting.held.v1 on
  /// notices.meetings, audited as meeting_held); a later call corrects it.
  [[nodiscard]] MeetingAnswer recordHeld(const MeetingChange& change);

  /// The meeting id of a series (stable, derived from the series id).
  [[nodiscard]] static std::string meetingIdFor(std::string_view seriesId);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The scheduler as a service component: consumes notices.requests and referrals.*
/// with the group "wayhome-scheduler" (offsets committed after the store), ticks
/// every `poll_ms`, and serves GET /api/v1/meetings and /api/v1/meetings/{id}.ics.
/// (When `settings` disable it, the module makes none.)
[[nodiscard]] std::unique_ptr<services::Component> makeSchedulerComponent(
    SchedulerSettings settings);

}  // namespace wayhome::scheduler
