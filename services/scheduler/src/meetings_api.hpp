#pragma once

// The meetings API of case workers (issue 15, item 4: "Meetings are conducted on fixed
// frequencies, and random if necessary"):
//
//   POST /api/v1/meetings                 ask for an ad hoc meeting (placed, invited)
//   POST /api/v1/meetings/{id}/move       a new place from `earliest` (update, SEQUENCE+1)
//   POST /api/v1/meetings/{id}/cancel     METHOD:CANCEL with the same UID
//   POST /api/v1/meetings/{id}/held       held or not (meeting.held.v1)
//
// Only for case-worker tokens; a change only by a sector that takes part. A body is
// checked field by field (unknown keys refused) and every refusal names the field.

#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/scheduler/scheduler.hpp>

namespace wayhome::scheduler {

/// Adds the four routes; `auth` null (no tokens configured) refuses every call (403).
/// `clock` (the scheduler's) bounds `earliest` and `latest`; `topics` knows the
/// configured sectors a meeting may name.
void addMeetingRoutes(services::HttpRouter& http, const services::OpsAuth* auth,
                      Scheduler& scheduler, const bus::Topics& topics, const Clock& clock);

}  // namespace wayhome::scheduler
