#include "identity_api.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <regex>
#include <variant>

#include <rapidjson/document.h>

#include <wayhome/bus/audit.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "json_out.hpp"

namespace wayhome::services {
namespace {

using router::JsonObject;
using schemas::jsonString;
constexpr const char* kSource = "/wayhome/api";

std::int64_t millis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string joinedPurposes() {
  std::string out;
  for (const char* p : kResolvePurposes)
    out += std::string(out.empty() ? "" : ", ") + p;
  return out;
}

/// What one resolve call is about, as far as it got.
struct Ask {
  std::string referralId;
  std::string purpose;
  std::string personRef;
  std::string sector;
};

/// Audit text from what a caller sent: nothing that looks like an identity number (the
/// audit schema refuses it), at most 1000 characters.
std::string withheld(const std::string& text) {
  static const std::regex kNumber("[0-9]{6} ?[0-9]{5}");
  return std::regex_replace(redact::identityNumbers(text.substr(0, 900)), kNumber, "[withheld]");
}

class IdentityApi {
 public:
  explicit IdentityApi(const IdentityContext& c) : c_(c) {}

  HttpResponse resolve(const HttpRequest& request, const OpsAuth::Caller& caller) {
    Ask ask;
    static const std::regex kId("[A-Za-z0-9._:-]{1,128}");
    const bool isJson = request.header("content-type").rfind("application/json", 0) == 0;
    rapidjson::Document d;
    const auto bad = isJson ? schemas::parseJson(d, request.body) : std::nullopt;
    // The referral asked about, as far as the body names one, for the audit record.
    const bool object = isJson && !bad && d.IsObject();
    const auto id = object ? d.FindMember("referral_id") : d.MemberEnd();
    const bool idOk = object && id != d.MemberEnd() && id->value.IsString() &&
                      std::regex_match(std::string(id->value.GetString()), kId);
    if (idOk) ask.referralId = id->value.GetString();
    if (!allowed(caller.name)) {
      auto r = refuse(
          caller, ask, 429,
          "more than " + std::to_string(c_.perMinute) + " resolve calls a minute by this token");
      r.headers.emplace_back("Retry-After", "60");
      return r;
    }
    if (!isJson) return refuse(caller, ask, 415, "Content-Type: must be application/json");
    if (bad) return refuse(caller, ask, 400, "body: " + bad->message);
    if (!object) return refuse(caller, ask, 400, "body: must be a JSON object");
    for (const auto& m : d.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key != "referral_id" && key != "purpose") {
        return refuse(caller, ask, 400, "/" + key.substr(0, 64) + ": unknown field");
      }
    }
    if (!idOk) return refuse(caller, ask, 400, "/referral_id: required, a referral id");
    auto purpose = d.FindMember("purpose");
    if (purpose == d.MemberEnd() || !purpose->value.IsString()) {
      return refuse(caller, ask, 400, "/purpose: required, one of " + joinedPurposes());
    }
    const std::string p(purpose->value.GetString(), purpose->value.GetStringLength());
    if (std::none_of(std::begin(kResolvePurposes), std::end(kResolvePurposes),
                     [&](const char* known) { return p == known; })) {
      return refuse(caller, ask, 422,
                    "/purpose: is not a purpose (known: " + joinedPurposes() + ")");
    }
    ask.purpose = p;
    return decide(caller, ask);
  }

  HttpResponse forget(const HttpRequest& request, const std::string& actor) {
    static const std::regex kPerson("pr_[0-9a-f]{32}");
    const std::string person = request.params.at("person_ref");
    if (!std::regex_match(person, kPerson)) {
      return HttpResponse::error(400, "person_ref: must be pr_ and 32 hex digits");
    }
    if (c_.vault == nullptr) return notConfigured();
    const bool had = c_.vault->erase(person);
    const auto now = c_.clock.now();
    bus::audit::Entry entry;
    entry.decision = "identity_deleted";
    entry.detail = had ? "the kept identity number was deleted on request"
                       : "no identity number was kept for this person";
    if (!queueAudit(nextId("aud-idd-", actor + "|" + person, now), actor, person, std::move(entry)))
      return storeFailed();
    log::info("identity", "identity deleted on request",
              {{"person_ref", person}, {"actor", actor}, {"found", had ? "yes" : "no"}});
    return HttpResponse::json(200, "{\"person_ref\":" + jsonString(person) +
                                       ",\"deleted\":" + (had ? "true" : "false") + "}");
  }

 private:
  // The referral decides: its sector, its state, its citizen.
  HttpResponse decide(const OpsAuth::Caller& caller, Ask& ask) {
    if (c_.vault == nullptr) {
      (void)refuse(caller, ask, 503, "re-identification is not configured");
      return notConfigured();
    }
    bool known = false;
    std::string state;
    c_.state.transaction([&](store::Connection& db) {
      store::Statement st(
          db, "SELECT sector, state, person_ref FROM router_referrals WHERE referral_id = ?;");
      st.bind(1, ask.referralId);
      if (st.step()) {
        known = true;
        ask.sector = st.columnText(0);
        state = st.columnText(1);
        ask.personRef = st.columnIsNull(2) ? std::string() : st.columnText(2);
      }
    });
    if (!known) return refuse(caller, ask, 404, "/referral_id: no referral " + ask.referralId);
    if (!caller.speaksFor(ask.sector)) {
      return refuse(caller, ask, 403,
                    "/referral_id: the referral went to " + ask.sector + "; token '" + caller.name +
                        "' does not speak for it");
    }
    if (state == "closed") {
      return refuse(caller, ask, 409, "/referral_id: the referral is closed");
    }
    if (ask.personRef.empty()) {
      return refuse(caller, ask, 422, "/referral_id: the referral is about no citizen");
    }
    const auto number = c_.vault->get(ask.personRef);
    if (!number) {
      return refuse(caller, ask, 404, "no identity number is kept for this citizen");
    }
    if (!audit(caller, ask, true, "granted for " + ask.purpose)) return storeFailed();
    log::info("identity", "identity resolved",
              {{"referral_id", ask.referralId}, {"actor", caller.name}, {"purpose", ask.purpose}});
    auto r = HttpResponse::json(200, "{\"referral_id\":" + jsonString(ask.referralId) +
                                         ",\"person_ref\":" + jsonString(ask.personRef) +
                                         ",\"purpose\":" + jsonString(ask.purpose) +
                                         ",\"national_id\":" + jsonString(*number) + "}");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  // Audits a refusal, then refuses (even when the audit could not be kept).
  HttpResponse refuse(const OpsAuth::Caller& caller, const Ask& ask, int status,
                      const std::string& why) {
    (void)audit(caller, ask, false, "refused (" + std::to_string(status) + "): " + why);
    log::info("identity", "identity resolve refused",
              {{"actor", caller.name}, {"status", std::to_string(status)}});
    return HttpResponse::error(status, why);
  }

  bool audit(const OpsAuth::Caller& caller, const Ask& ask, bool granted,
             const std::string& detail) {
    const auto now = c_.clock.now();
    bus::audit::Entry entry;
    entry.decision = granted ? "identity_resolved" : "identity_refused";
    entry.detail = withheld("purpose " + (ask.purpose.empty() ? "-" : ask.purpose) + ": " + detail);
    static const std::regex kId("[A-Za-z0-9._:-]{1,128}");
    if (std::regex_match(ask.referralId, kId)) entry.referralId = ask.referralId;
    if (granted) {
      entry.toSector = ask.sector;
      entry.disclosed.push_back({ask.sector, {"national_id"}});
    }
    return queueAudit(nextId("aud-idr-", caller.name + "|" + ask.referralId, now), caller.name,
                      ask.personRef, std::move(entry));
  }

  // The call's audit record, durable before the answer.
  bool queueAudit(const std::string& id, const std::string& actor, const std::string& personRef,
                  bus::audit::Entry entry) {
    bus::audit::Record r;
    r.id = id;
    r.source = kSource;
    r.service = "ops";
    r.decidedAt = c_.clock.now();
    r.personRef = personRef;
    r.actor = actor;
    r.decisions.push_back(std::move(entry));
    const bus::CloudEvent e = bus::audit::event(r);
    bus::AppendOutcome outcome;
    try {
      c_.state.transaction([&](store::Connection& db) {
        outcome = c_.outbox.appendWithin(db, {{c_.topics.auditDecisions(), e}});
      });
    } catch (const std::exception& ex) {
      log::error("identity", "the audit record could not be kept", {{"error", ex.what()}});
      return false;
    }
    c_.outbox.committedWithin(outcome);
    return true;
  }

  std::string nextId(const std::string& prefix, const std::string& material, Clock::TimePoint now) {
    return prefix + bus::stableHexId(material + "|" + std::to_string(millis(now)) + "|" +
                                     std::to_string(counter_++));
  }

  // A sliding minute per token.
  bool allowed(const std::string& token) {
    const auto now = c_.clock.now();
    std::lock_guard lock(mutex_);
    auto& calls = calls_[token];
    while (!calls.empty() && now - calls.front() >= std::chrono::minutes(1))
      calls.pop_front();
    if (calls.size() >= static_cast<std::size_t>(c_.perMinute)) return false;
    calls.push_back(now);
    return true;
  }

  static HttpResponse notConfigured() {
    return HttpResponse::error(503,
                               "re-identification is not configured "
                               "(identity.reidentification)");
  }
  static HttpResponse storeFailed() {
    auto r = HttpResponse::error(503, "the audit record could not be kept; try again");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }

  IdentityContext c_;
  std::atomic<std::uint64_t> counter_{0};
  std::mutex mutex_;
  std::map<std::string, std::deque<Clock::TimePoint>> calls_;
};

}  // namespace

void registerIdentityRoutes(HttpRouter& router, const IdentityContext& context) {
  auto api = std::make_shared<IdentityApi>(context);
  const OpsAuth& auth = context.auth;
  using Role = OpsAuth::Role;
  auto headers = [&auth](Role role) -> Guard {
    return [&auth, role](const HttpRequest& request) -> std::optional<HttpResponse> {
      std::string actor;
      if (auto refusal = auth.check(request, role, actor)) return refusal;
      const std::string length = request.header("content-length");
      if (length.find_first_not_of("0123456789") != std::string::npos || length.size() > 5) {
        return HttpResponse::error(413, "body: at most 4096 bytes");
      }
      if (!length.empty() && std::stoul(length) > 4096) {
        return HttpResponse::error(413, "body: at most 4096 bytes");
      }
      return std::nullopt;
    };
  };
  router.add(
      "POST", "/api/v1/identity/resolve",
      [&auth, api](const HttpRequest& request) {
        OpsAuth::Caller caller;
        if (auto refusal = auth.check(request, Role::kCaseworker, caller)) {
          return std::move(*refusal);
        }
        if (caller.sectors.empty()) {
          return HttpResponse::error(403, "token '" + caller.name + "' is bound to no sector");
        }
        return api->resolve(request, caller);
      },
      headers(Role::kCaseworker));
  router.add(
      "POST", "/api/v1/identity/{person_ref}/delete",
      [&auth, api](const HttpRequest& request) {
        std::string actor;
        if (auto refusal = auth.check(request, Role::kAdmin, actor)) return std::move(*refusal);
        return api->forget(request, actor);
      },
      headers(Role::kAdmin));
}

}  // namespace wayhome::services
