#include <set>

#include <rapidjson/document.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/scheduler/settings.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kSchedulerSettingsSchema

namespace wayhome::scheduler {
namespace {

void parseHours(const rapidjson::Value& cfg, const services::SettingsSection& section,
                SchedulerSettings& s) {
  const auto it = cfg.FindMember("working_hours");
  if (it == cfg.MemberEnd()) return;
  const auto start = parseClock(schemas::memberText(it->value, "start", ""));
  const auto end = parseClock(schemas::memberText(it->value, "end", ""));
  if (!start) throw section.error("/working_hours/start", "is not HH:MM");
  if (!end) throw section.error("/working_hours/end", "is not HH:MM");
  if (*end <= *start) throw section.error("/working_hours/end", "must be after start");
  s.workStartMinutes = static_cast<int>(start->count());
  s.workEndMinutes = static_cast<int>(end->count());
}

void parseRecurring(const rapidjson::Value& list, const services::SettingsSection& section,
                    const services::ServiceConfig& config, SchedulerSettings& s) {
  s.recurring.clear();
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const auto& item = list[i];
    const std::string at = "/recurring/" + std::to_string(i);
    SchedulerSettings::Recurring r;
    r.name = schemas::memberText(item, "name", "");
    r.rrule = schemas::memberText(item, "rrule", "");
    r.title = schemas::memberText(item, "title", "");
    r.place = schemas::memberText(item, "place", "");
    r.meetingMinutes = static_cast<int>(schemas::memberInt(item, "meeting_minutes", 0));
    r.agenda = schemas::memberFlag(item, "agenda", true);
    r.enabled = schemas::memberFlag(item, "enabled", true);
    if (!names.insert(r.name).second) {
      throw section.error(at + "/name", "'" + r.name + "' is used twice");
    }
    if (auto rule = parseRecurrenceRule(r.rrule); !rule) {
      throw section.error(at + "/rrule", rule.error().message);
    }
    const int length = r.meetingMinutes != 0 ? r.meetingMinutes : s.meetingMinutes;
    if (length > 24 * 60) throw section.error(at + "/meeting_minutes", "is longer than a day");
    const auto& participants = item["participants"];
    for (rapidjson::SizeType j = 0; j < participants.Size(); ++j) {
      const auto& p = participants[j];
      r.participants.emplace_back(schemas::memberText(p, "role", ""),
                                  schemas::memberText(p, "sector", ""));
      if (!r.participants.back().second.empty()) {
        services::checkConfiguredSector(
            config, section.pointer(at + "/participants/" + std::to_string(j) + "/sector"),
            r.participants.back().second);
      }
    }
    s.recurring.push_back(std::move(r));
  }
}

}  // namespace

std::vector<SchedulerSettings::Recurring> defaultRecurringMeetings(
    const std::vector<bus::Sector>& sectors) {
  SchedulerSettings::Recurring r;
  r.name = "coordination";
  r.rrule = "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9;BYMINUTE=0";
  r.title = "Cross-sector coordination meeting";
  r.meetingMinutes = 90;
  for (const auto& s : sectors) {
    if (!s.role.empty()) r.participants.emplace_back(s.role, s.name);
  }
  return {r};
}

SchedulerSettings parseSettings(const services::SettingsSection& section,
                                const services::ServiceConfig& config) {
  const rapidjson::Document cfg = services::readSection(section);
  SchedulerSettings s;
  s.enabled = schemas::memberFlag(cfg, "enabled", s.enabled);
  parseHours(cfg, section, s);
  s.meetingMinutes = static_cast<int>(schemas::memberInt(cfg, "meeting_minutes", s.meetingMinutes));
  if (s.meetingMinutes > s.workEndMinutes - s.workStartMinutes) {
    throw section.error("/meeting_minutes", "is longer than the working day");
  }
  s.leadTimeDays = static_cast<int>(schemas::memberInt(cfg, "lead_time_days", s.leadTimeDays));
  s.reminderHours = static_cast<int>(schemas::memberInt(cfg, "reminder_hours", s.reminderHours));
  s.defaultWindowDays =
      static_cast<int>(schemas::memberInt(cfg, "default_window_days", s.defaultWindowDays));
  s.place = schemas::memberText(cfg, "place", s.place);
  s.organizer = schemas::memberText(cfg, "organizer", s.organizer);
  s.poll = std::chrono::milliseconds(schemas::memberInt(cfg, "poll_ms", s.poll.count()));
  s.retention =
      std::chrono::hours(24 * schemas::memberInt(cfg, "retention_days", s.retention.count() / 24));
  if (const auto it = cfg.FindMember("recurring"); it != cfg.MemberEnd()) {
    parseRecurring(it->value, section, config, s);
  } else {
    s.recurring = defaultRecurringMeetings(config.sectors);
  }
  return s;
}

std::unique_ptr<services::ModuleFactory> makeSchedulerModule() {
  return std::make_unique<services::ModuleOf<SchedulerSettings>>(
      "scheduler", kSchedulerSettingsSchema, parseSettings, makeSchedulerComponent);
}

}  // namespace wayhome::scheduler
