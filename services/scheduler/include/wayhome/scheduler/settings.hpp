#pragma once

// The scheduler's settings: the config section "scheduler", checked against
// services/scheduler/settings.schema.json (compiled in) and parsed here.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wayhome/bus/topics.hpp>
#include <wayhome/runtime/module.hpp>

namespace wayhome::scheduler {

/// The scheduler of meeting notices (config key "scheduler").
struct SchedulerSettings {
  bool enabled = true;
  /// Working hours, Oslo wall-clock minutes after midnight; end exclusive.
  int workStartMinutes = 8 * 60;
  int workEndMinutes = 15 * 60 + 30;
  int meetingMinutes = 60;
  int leadTimeDays = 14;
  /// 0: no reminder.
  int reminderHours = 48;
  int defaultWindowDays = 14;
  std::string place = "Team bolig";
  std::string organizer = "mailto:scheduler@wayhome.invalid";
  std::chrono::milliseconds poll{500};
  /// Requests seen, closed referrals and meetings over with their notices are deleted
  /// this long after (config scheduler.retention_days; 0: never).
  std::chrono::hours retention{24 * 365};
  /// A configured recurring meeting (route R13).
  struct Recurring {
    std::string name;
    std::string rrule;
    std::string title;
    std::string place;       ///< empty: the scheduler's place
    int meetingMinutes = 0;  ///< 0: the scheduler's length
    bool agenda = true;
    bool enabled = true;
    /// (role, sector); sector empty for the citizen.
    std::vector<std::pair<std::string, std::string>> participants;
  };
  /// Empty here means none; a parsed section without "recurring" has
  /// defaultRecurringMeetings() of the configured sectors.
  std::vector<Recurring> recurring;
};

/// The default recurring meetings: the monthly cross-sector coordination meeting, with
/// the role of each of `sectors` that has one.
[[nodiscard]] std::vector<SchedulerSettings::Recurring> defaultRecurringMeetings(
    const std::vector<bus::Sector>& sectors = bus::defaultSectors());

/// The scheduler's settings from its `section` of `config` (which passed
/// its module's schema, settings.schema.json): working hours that are a day, meeting lengths that
/// fit it, RRULEs that parse, unique meeting names, participants of configured sectors. Without
/// "recurring": defaultRecurringMeetings(config.sectors).
/// Errors: throws services::ConfigError naming the key, e.g. "config f.json:
/// /scheduler/recurring/0/rrule: ...".
[[nodiscard]] SchedulerSettings parseSettings(const services::SettingsSection& section,
                                              const services::ServiceConfig& config);

/// The scheduler's named factory ("scheduler"); its component runs with the parsed
/// settings (and logs that it is off when they disable it).
[[nodiscard]] std::unique_ptr<services::ModuleFactory> makeSchedulerModule();

}  // namespace wayhome::scheduler
