#include "meetings_api.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <variant>

#include <rapidjson/document.h>

#include <wayhome/bus/topics.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/schemas/json_parse.hpp>

namespace wayhome::scheduler {
namespace {

using services::HttpRequest;
using services::HttpResponse;
using services::OpsAuth;

constexpr std::size_t kMaxBody = 64 * 1024;

/// A refusal naming the field, or nothing.
using Refusal = std::optional<HttpResponse>;

Refusal bad(const std::string& field, const std::string& why) {
  return HttpResponse::error(400, "/" + field + ": " + why);
}

/// The body as a JSON object whose keys are all in `allowed`, or the refusal.
std::variant<rapidjson::Document, HttpResponse> body(const HttpRequest& request,
                                                     std::initializer_list<const char*> allowed) {
  if (request.header("content-type").rfind("application/json", 0) != 0) {
    return HttpResponse::error(415, "Content-Type: must be application/json");
  }
  rapidjson::Document d;
  if (auto error = schemas::parseJson(d, request.body)) {
    return HttpResponse::error(400, "body: " + error->message);
  }
  if (!d.IsObject()) return HttpResponse::error(400, "body: must be a JSON object");
  for (const auto& m : d.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      return HttpResponse::error(400, "/" + key.substr(0, 64) + ": unknown field");
    }
  }
  return d;
}

/// Reads the optional string `key` matching `pattern` into `out`.
Refusal text(const rapidjson::Value& d, const char* key, const std::regex& pattern,
             const char* shape, std::string& out) {
  auto it = d.FindMember(key);
  if (it == d.MemberEnd()) return std::nullopt;
  if (!it->value.IsString()) return bad(key, std::string("must be a string: ") + shape);
  std::string v(it->value.GetString(), it->value.GetStringLength());
  if (v.size() > 200 || !std::regex_match(v, pattern))
    return bad(key, std::string("must be ") + shape);
  out = std::move(v);
  return std::nullopt;
}

Refusal instant(const rapidjson::Value& d, const char* key, std::optional<Instant>& out) {
  static const std::regex kAny(".{1,40}");
  std::string v;
  if (auto r = text(d, key, kAny, "an RFC 3339 time such as 2027-01-05T09:00:00+01:00", v)) {
    return r;
  }
  if (v.empty()) return std::nullopt;
  out = parseRfc3339(v);
  if (!out) return bad(key, "must be an RFC 3339 time such as 2027-01-05T09:00:00+01:00");
  return std::nullopt;
}

/// `earliest` (required), `latest`, `duration_minutes` of a request or a move.
Refusal window(const rapidjson::Value& d, Instant now, std::optional<Instant>& earliest,
               std::optional<Days>& latest, int& minutes) {
  if (auto r = instant(d, "earliest", earliest)) return r;
  if (!earliest) return bad("earliest", "required: no start before this time (RFC 3339)");
  if (*earliest > now + std::chrono::days(366)) return bad("earliest", "is more than a year ahead");
  static const std::regex kDate("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  std::string day;
  if (auto r = text(d, "latest", kDate, "a date YYYY-MM-DD", day)) return r;
  if (!day.empty()) {
    latest = parseDate(day);
    if (!latest) return bad("latest", "is not a calendar date");
    const Days from = osloDay(std::max(*earliest, now));
    if (*latest < from) return bad("latest", "is before earliest (or today)");
    if (*latest > from + std::chrono::days(366)) return bad("latest", "is more than a year on");
  }
  if (auto it = d.FindMember("duration_minutes"); it != d.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 15 || it->value.GetInt() > 240) {
      return bad("duration_minutes", "must be a whole number from 15 to 240");
    }
    minutes = it->value.GetInt();
  }
  return std::nullopt;
}

Refusal sectors(const rapidjson::Value& d, const bus::Topics& topics,
                std::vector<std::string>& out) {
  auto it = d.FindMember("sectors");
  if (it == d.MemberEnd()) return bad("sectors", "required: the sectors taking part");
  const auto& all = topics.sectorNames();
  if (!it->value.IsArray() || it->value.Empty() || it->value.Size() > all.size()) {
    return bad("sectors", "must be an array of 1 to " + std::to_string(all.size()) + " sectors");
  }
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
    const auto& v = it->value[i];
    const std::string s = v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "";
    if (std::find(all.begin(), all.end(), s) == all.end()) {
      return bad("sectors/" + std::to_string(i),
                 "must be a configured sector (" + topics.sectorList() + ")");
    }
    if (!seen.insert(s).second) return bad("sectors/" + std::to_string(i), "is listed twice");
    out.push_back(s);
  }
  return std::nullopt;
}

class MeetingsApi {
 public:
  MeetingsApi(Scheduler& scheduler, bus::Topics topics)
      : scheduler_(scheduler), topics_(std::move(topics)) {}

  HttpResponse request(const HttpRequest& r, const OpsAuth::Caller& caller, Instant now) {
    auto parsed = body(r, {"request_id", "person_ref", "case_id", "sectors", "earliest", "latest",
                           "duration_minutes", "title"});
    if (auto* refusal = std::get_if<HttpResponse>(&parsed)) return std::move(*refusal);
    const auto& d = std::get<rapidjson::Document>(parsed);
    static const std::regex kId("[A-Za-z0-9._:-]{1,64}");
    static const std::regex kCase("[A-Za-z0-9._:-]{1,128}");
    static const std::regex kPerson("pr_[0-9a-f]{32}");
    static const std::regex kTitle("[^\\x00-\\x1f]{1,200}");
    AdHocRequest a;
    a.actor = caller.name;
    std::optional<Instant> earliest;
    Refusal refusal = text(d, "request_id", kId, "1-64 of A-Z a-z 0-9 . _ : -", a.requestId);
    if (!refusal && a.requestId.empty()) refusal = bad("request_id", "required");
    if (!refusal) refusal = text(d, "person_ref", kPerson, "pr_ and 32 hex digits", a.personRef);
    if (!refusal) refusal = text(d, "case_id", kCase, "1-128 of A-Z a-z 0-9 . _ : -", a.caseId);
    if (!refusal && a.personRef.empty() && a.caseId.empty()) {
      refusal = bad("person_ref", "person_ref or case_id: one is required");
    }
    if (!refusal) refusal = sectors(d, topics_, a.sectors);
    if (!refusal) refusal = window(d, now, earliest, a.latest, a.minutes);
    if (!refusal) refusal = text(d, "title", kTitle, "a line of 1-200 characters", a.title);
    if (!refusal && redact::containsIdentityNumber(a.title)) {
      refusal = bad("title", "must not hold an identity number");
    }
    if (refusal) return std::move(*refusal);
    a.earliest = *earliest;
    a.sector = caller.sectors.front();
    for (const auto& s : caller.sectors) {
      if (std::find(a.sectors.begin(), a.sectors.end(), s) != a.sectors.end()) a.sector = s;
    }
    return answer(scheduler_.requestMeeting(a));
  }

  HttpResponse move(const HttpRequest& r, const OpsAuth::Caller& caller, Instant now) {
    auto parsed = body(r, {"earliest", "latest", "duration_minutes"});
    if (auto* refusal = std::get_if<HttpResponse>(&parsed)) return std::move(*refusal);
    MeetingChange c = change(r, caller);
    if (auto refusal =
            window(std::get<rapidjson::Document>(parsed), now, c.earliest, c.latest, c.minutes)) {
      return std::move(*refusal);
    }
    return answer(scheduler_.moveMeeting(c));
  }

  HttpResponse cancel(const HttpRequest& r, const OpsAuth::Caller& caller) {
    auto parsed = body(r, {});
    if (auto* refusal = std::get_if<HttpResponse>(&parsed)) return std::move(*refusal);
    return answer(scheduler_.cancelMeeting(change(r, caller)));
  }

  HttpResponse held(const HttpRequest& r, const OpsAuth::Caller& caller) {
    auto parsed = body(r, {"held"});
    if (auto* refusal = std::get_if<HttpResponse>(&parsed)) return std::move(*refusal);
    const auto& d = std::get<rapidjson::Document>(parsed);
    auto it = d.FindMember("held");
    if (it == d.MemberEnd() || !it->value.IsBool()) {
      return std::move(*bad("held", "required: true (it was held) or false (it was not)"));
    }
    MeetingChange c = change(r, caller);
    c.held = it->value.GetBool();
    return answer(scheduler_.recordHeld(c));
  }

 private:
  static MeetingChange change(const HttpRequest& r, const OpsAuth::Caller& caller) {
    MeetingChange c;
    c.meetingId = r.params.at("id");
    c.actor = caller.name;
    c.sectors = caller.sectors;
    return c;
  }

  static HttpResponse answer(MeetingAnswer a) {
    auto r = HttpResponse::json(a.status, std::move(a.body));
    if (a.status == 503) r.headers.emplace_back("Retry-After", "5");
    return r;
  }

  Scheduler& scheduler_;
  bus::Topics topics_;
};

}  // namespace

void addMeetingRoutes(services::HttpRouter& http, const OpsAuth* auth, Scheduler& scheduler,
                      const bus::Topics& topics, const Clock& clock) {
  auto api = std::make_shared<MeetingsApi>(scheduler, topics);
  // Mutating calls need a case worker's token of some sector; without tokens nobody.
  auto guard = [auth](auto handler) -> services::Handler {
    return [auth, handler](const HttpRequest& request) {
      if (auth == nullptr) return HttpResponse::error(403, "no tokens are configured");
      OpsAuth::Caller caller;
      if (auto refusal = auth->check(request, OpsAuth::Role::kCaseworker, caller)) {
        return std::move(*refusal);
      }
      if (caller.sectors.empty()) {
        return HttpResponse::error(
            403, "token '" + caller.name + "' is bound to no sector (ops.tokens[].sectors)");
      }
      return handler(request, caller);
    };
  };
  const services::Guard headers = [auth](const HttpRequest& request) -> Refusal {
    if (auth == nullptr) return HttpResponse::error(403, "no tokens are configured");
    std::string actor;
    if (auto refusal = auth->check(request, OpsAuth::Role::kCaseworker, actor)) return refusal;
    const std::string length = request.header("content-length");
    if (length.find_first_not_of("0123456789") != std::string::npos || length.size() > 7 ||
        (!length.empty() && std::stoul(length) > kMaxBody)) {
      return HttpResponse::error(413, "body: at most 65536 bytes");
    }
    return std::nullopt;
  };
  using Caller = OpsAuth::Caller;
  auto now = [&clock] { return std::chrono::floor<std::chrono::seconds>(clock.now()); };
  http.add("POST", "/api/v1/meetings", guard([api, now](const HttpRequest& r, const Caller& c) {
             return api->request(r, c, now());
           }),
           headers);
  http.add(
      "POST", "/api/v1/meetings/{id}/move",
      guard([api, now](const HttpRequest& r, const Caller& c) { return api->move(r, c, now()); }),
      headers);
  http.add("POST", "/api/v1/meetings/{id}/cancel",
           guard([api](const HttpRequest& r, const Caller& c) { return api->cancel(r, c); }),
           headers);
  http.add("POST", "/api/v1/meetings/{id}/held",
           guard([api](const HttpRequest& r, const Caller& c) { return api->held(r, c); }),
           headers);
}

}  // namespace wayhome::scheduler
