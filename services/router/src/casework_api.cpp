#include "casework_api.hpp"

#include <variant>

#include <rapidjson/document.h>

#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/lifecycle.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services {
namespace {

using schemas::jsonString;
using schemas::jsonText;

constexpr const char* kSource = kCaseworkSource;

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || !it->value.IsString()
             ? std::string()
             : std::string(it->value.GetString(), it->value.GetStringLength());
}

void setString(rapidjson::Document& d, const char* key, const std::string& value) {
  rapidjson::Value v(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                     d.GetAllocator());
  if (d.HasMember(key)) {
    d[key] = v;
  } else {
    d.AddMember(rapidjson::Value(key, d.GetAllocator()), v, d.GetAllocator());
  }
}

/// The body as a JSON object, or the refusal.
std::variant<rapidjson::Document, HttpResponse> jsonBody(const HttpRequest& request) {
  const std::string type = request.header("content-type");
  if (type.rfind("application/json", 0) != 0) {
    return HttpResponse::error(415, "Content-Type: must be application/json");
  }
  rapidjson::Document d;
  if (auto bad = schemas::parseJson(d, request.body)) {
    return HttpResponse::error(400, "body: " + bad->message);
  }
  if (!d.IsObject()) return HttpResponse::error(400, "body: must be a JSON object");
  return d;
}

/// The audit entry of a case-work call: what it asked for, in words.
bus::audit::Entry callEntry(const std::string& decision, const std::string& detail) {
  bus::audit::Entry e;
  e.decision = decision;
  e.detail = detail;
  return e;
}

/// The audit record of a case-work call that publishes an event (the rules decide on it
/// later, in their own record): who (the token), what, on which event.
bus::CloudEvent auditRecord(const std::string& eventId, const std::string& subject,
                            const std::string& decision, const std::string& actor,
                            const std::string& detail, Clock::TimePoint at) {
  bus::audit::Record r;
  r.id = bus::audit::idFor("aud-call-", eventId);
  r.source = kSource;
  r.service = "ops";
  r.decidedAt = at;
  r.sourceEventId = eventId;
  if (subject.starts_with("pr_")) r.personRef = subject;
  r.actor = actor;
  r.subject = subject;
  r.decisions.push_back(callEntry(decision, detail));
  return bus::audit::event(r);
}

/// What the rules made of a case event, for the caller: each referral (or the consent
/// it waits for) with its sector and due time.
std::string madeJson(const std::vector<bus::OutboxEvent>& events) {
  std::string out = "[";
  for (const auto& e : events) {
    const bool made = e.event.type == "referral.created.v1";
    if (!made && e.event.type != "referral.consent_needed.v1") continue;
    rapidjson::Document d;
    if (schemas::parseJson(d, e.event.data) || !d.IsObject()) continue;
    if (out.size() > 1) out += ',';
    out += "{\"referral_id\":" + jsonString(str(d, "referral_id")) +
           ",\"to_sector\":" + jsonString(str(d, "to_sector")) +
           ",\"rule_id\":" + jsonString(str(d, "rule_id"));
    out += made ? ",\"state\":\"open\",\"due_by\":" + jsonString(str(d, "due_by"))
                : ",\"state\":\"waiting_for_consent\",\"purpose\":" + jsonString(str(d, "purpose"));
    out += "}";
  }
  return out + "]";
}

/// A rule could not use a case event of the API: the transaction is undone.
struct Undecidable {
  std::string why;
};

class Casework {
 public:
  explicit Casework(const CaseworkContext& c) : c_(c) {}

  /// Evaluates the case event `data` of `type` by the rules now and queues what they
  /// make, the API's audit record and the event's processed mark in one transaction:
  /// 201 with the referrals made, 200 for the same event again, 422 (nothing kept) when
  /// a rule cannot use it.
  HttpResponse decideNow(const std::string& type, const std::string& eventId,
                         const rapidjson::Document& data, const std::string& actor,
                         const std::string& decision, const std::string& detail,
                         const std::string& answer) {
    if (c_.outbox.overloaded()) {
      auto r = HttpResponse::error(503, "the outbox is full while the bus is away; try again");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    const auto at = c_.clock.now();
    const std::string subject = str(data, "person_ref");
    const auto rules = c_.rules();
    if (!rules) return HttpResponse::error(503, "the router is starting; try again");
    std::vector<bus::OutboxEvent> events;
    bool duplicate = false;
    bus::AppendOutcome outcome;
    try {
      c_.state.transaction([&](store::Connection& db) {
        events.clear();
        store::Statement seen(db, "SELECT 1 FROM router_processed WHERE event_id = ?;");
        seen.bind(1, eventId);
        duplicate = seen.step();
        if (duplicate) return;
        router::StoreConsentStore consents(
            db,
            std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count());
        const router::EvalEnv env{at, consents, c_.topics};
        const router::Event event{eventId, type, subject, &data, kSource};
        // One audit record for the call and what the rules decided on it.
        const router::CallAudit call{actor, callEntry(decision, detail)};
        auto decided = router::decide(*rules, event, env, c_.schemas, &call);
        if (!decided) throw Undecidable{decided.error().message};
        events = std::move(decided.value());
        router::trackCreated(db, events, at);
        store::Statement mark(db,
                              "INSERT INTO router_processed(event_id, processed_ms) VALUES(?, ?) "
                              "ON CONFLICT(event_id) DO NOTHING;");
        mark.bind(1, eventId)
            .bind(2, std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch())
                         .count());
        mark.run();
        outcome = c_.outbox.appendWithin(db, events);
      });
    } catch (const Undecidable& u) {
      return HttpResponse::error(
          422, type + " cannot be decided by the rules (nothing was kept): " + u.why);
    } catch (const std::exception& ex) {
      log::error("api", "could not decide a case-work event", {{"error", ex.what()}});
      auto r = HttpResponse::error(503, "the state store failed; try again");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    if (duplicate) {
      return HttpResponse::json(
          200, answer + ",\"event_id\":" + jsonString(eventId) + ",\"status\":\"duplicate\"}");
    }
    c_.outbox.committedWithin(outcome);
    log::info("api", "case-work event decided",
              {{"type", type}, {"event_id", eventId}, {"actor", actor}});
    return HttpResponse::json(
        201, answer + ",\"event_id\":" + jsonString(eventId) +
                 ",\"status\":\"accepted\",\"referrals\":" + madeJson(events) + "}");
  }

  /// The note of a case event with every identity number redacted (kept as text).
  static void redactNote(rapidjson::Document& d) {
    if (auto it = d.FindMember("note"); it != d.MemberEnd() && it->value.IsString()) {
      const std::string note(it->value.GetString(), it->value.GetStringLength());
      if (redact::containsIdentityNumber(note)) setString(d, "note", redact::identityNumbers(note));
    }
  }

  // POST /api/v1/referrals: another service asks housing or finance to take a citizen on.
  HttpResponse requestReferral(const HttpRequest& request, const OpsAuth::Caller& caller) {
    auto body = jsonBody(request);
    if (auto* refusal = std::get_if<HttpResponse>(&body)) return std::move(*refusal);
    auto& d = std::get<rapidjson::Document>(body);
    auto from = sectorOf(d, "from_sector", caller);
    if (auto* refusal = std::get_if<HttpResponse>(&from)) return std::move(*refusal);
    const std::string fromSector = std::get<std::string>(from);
    setString(d, "from_sector", fromSector);
    setString(d, "requested_by", caller.name);
    setString(d, "requested_at", formatRfc3339(c_.clock.now()));
    redactNote(d);
    if (auto invalid = c_.schemas.validate("referral.requested.v1", jsonText(d))) {
      return HttpResponse::error(400, invalid->message);
    }
    const std::string to = str(d, "to_sector");
    if (to == fromSector) {
      return HttpResponse::error(422, "/to_sector: " + to +
                                          " is the asking token's own sector; "
                                          "a referral goes to another service");
    }
    const std::string requestId = str(d, "request_id");
    return decideNow("referral.requested.v1",
                     "api-rrq-" + bus::stableHexId("requested|" + fromSector + "|" + requestId), d,
                     caller.name, "referral_requested",
                     "referral.requested.v1 through the case-work API: " + fromSector + " asks " +
                         to + " (" + str(d, "need") + ", " + str(d, "urgency") + ")",
                     "{\"request_id\":" + jsonString(requestId));
  }

  // POST /api/v1/needs: a housing contact observed a need for another municipal service.
  HttpResponse observeNeed(const HttpRequest& request, const OpsAuth::Caller& caller) {
    auto body = jsonBody(request);
    if (auto* refusal = std::get_if<HttpResponse>(&body)) return std::move(*refusal);
    auto& d = std::get<rapidjson::Document>(body);
    if (!caller.speaksFor("housing")) {
      return HttpResponse::error(403, "/observed_by: token '" + caller.name + "' speaks for " +
                                          joined(caller.sectors) +
                                          "; needs are recorded by housing contacts (housing)");
    }
    setString(d, "observed_by", caller.name);
    if (!d.HasMember("observed_at")) setString(d, "observed_at", formatRfc3339(c_.clock.now()));
    redactNote(d);
    if (auto invalid = c_.schemas.validate("housing.need_observed.v1", jsonText(d))) {
      return HttpResponse::error(400, invalid->message);
    }
    const std::string observationId = str(d, "observation_id");
    return decideNow("housing.need_observed.v1",
                     "api-nob-" + bus::stableHexId("observed|" + observationId), d, caller.name,
                     "need_recorded",
                     "housing.need_observed.v1 through the case-work API: " + str(d, "need") +
                         " (" + str(d, "urgency") + ")",
                     "{\"observation_id\":" + jsonString(observationId));
  }

  /// Validates `data` as `type`, then queues it on `topic` with its audit record, in
  /// one transaction. 202 (or 200 for a call made before: same event id).
  HttpResponse publish(const std::string& topic, const std::string& type,
                       const std::string& eventId, const std::string& subject,
                       const std::string& data, const std::string& actor,
                       const std::string& decision, const std::string& answer) {
    if (auto invalid = c_.schemas.validate(type, data)) {
      return HttpResponse::error(400, invalid->message);
    }
    if (c_.outbox.overloaded()) {
      auto r = HttpResponse::error(503, "the outbox is full while the bus is away; try again");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    const auto at = c_.clock.now();
    const auto now = formatRfc3339(at);
    bus::CloudEvent e;
    e.id = eventId;
    e.source = kSource;
    e.type = type;
    e.time = now;
    e.subject = subject;
    e.data = data;
    const bus::CloudEvent a =
        auditRecord(eventId, subject, decision, actor, type + " through the case-work API", at);
    bus::AppendOutcome outcome;
    try {
      c_.state.transaction([&](store::Connection& db) {
        outcome = c_.outbox.appendWithin(db, {{topic, e}, {c_.topics.auditDecisions(), a}});
      });
    } catch (const std::exception& ex) {
      log::error("api", "could not queue a case-work event", {{"error", ex.what()}});
      auto r = HttpResponse::error(503, "the state store failed; try again");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    c_.outbox.committedWithin(outcome);
    const bool fresh = outcome.fresh > 0;
    log::info("api", fresh ? "case-work event accepted" : "case-work event was accepted before",
              {{"type", type}, {"event_id", eventId}, {"actor", actor}});
    return HttpResponse::json(
        fresh ? 202 : 200, answer + ",\"event_id\":" + jsonString(eventId) +
                               ",\"status\":" + (fresh ? "\"accepted\"" : "\"duplicate\"") + "}");
  }

  // The sector a call speaks for: the body's `field` when given (it must be one of the
  // token's), else the token's only sector.
  static std::variant<std::string, HttpResponse> sectorOf(const rapidjson::Document& d,
                                                          const char* field,
                                                          const OpsAuth::Caller& caller) {
    const std::string given = str(d, field);
    if (!given.empty()) {
      if (!caller.speaksFor(given)) {
        return HttpResponse::error(403, std::string("/") + field + ": token '" + caller.name +
                                            "' speaks for " + joined(caller.sectors) + ", not " +
                                            given);
      }
      return given;
    }
    if (caller.sectors.size() == 1) return caller.sectors.front();
    return HttpResponse::error(400, std::string("/") + field + ": token '" + caller.name +
                                        "' speaks for " + joined(caller.sectors) +
                                        "; name the one this is for");
  }

  HttpResponse grant(const HttpRequest& request, const OpsAuth::Caller& caller) {
    auto body = jsonBody(request);
    if (auto* refusal = std::get_if<HttpResponse>(&body)) return std::move(*refusal);
    auto& d = std::get<rapidjson::Document>(body);
    // The sector giving the consent is the token's: finance cannot record what
    // health_care may share. Who recorded it is the token, whatever the body says.
    auto from = sectorOf(d, "from_sector", caller);
    if (auto* refusal = std::get_if<HttpResponse>(&from)) return std::move(*refusal);
    setString(d, "from_sector", std::get<std::string>(from));
    setString(d, "recorded_by", caller.name);
    const std::string& actor = caller.name;
    const std::string data = jsonText(d);
    const std::string consentId = str(d, "consent_id");
    const std::string validUntil = str(d, "valid_until");
    if (auto invalid = c_.schemas.validate("consent.granted.v1", data)) {
      return HttpResponse::error(400, invalid->message);
    }
    // The schema knows sector names; which sectors exist is configuration.
    if (auto it = d.FindMember("to_sectors"); it != d.MemberEnd() && it->value.IsArray()) {
      for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
        const auto& v = it->value[i];
        const std::string s = v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "";
        if (!c_.topics.hasSector(s)) {
          return HttpResponse::error(422, "/to_sectors/" + std::to_string(i) + ": \"" + s +
                                              "\" is not a configured sector (configured: " +
                                              c_.topics.sectorList() + ")");
        }
      }
    }
    const std::string today = formatRfc3339(c_.clock.now()).substr(0, 10);
    if (validUntil < today) {
      return HttpResponse::error(422, "/valid_until: " + validUntil + " is in the past");
    }
    // A consent id is immutable: the same id with other content would be refused by
    // the router (and, as the same event id, never even sent): say so here.
    std::string sectors = ",";
    if (auto it = d.FindMember("to_sectors"); it != d.MemberEnd() && it->value.IsArray()) {
      for (const auto& v : it->value.GetArray()) {
        if (v.IsString()) sectors += std::string(v.GetString(), v.GetStringLength()) + ",";
      }
    }
    bool conflict = false;
    c_.state.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "SELECT person_ref, from_sector, to_sectors, purpose, valid_until, "
                          "withdrawn FROM router_consents WHERE consent_id = ?;");
      st.bind(1, router::consentKey(kSource, consentId));
      if (st.step()) {
        conflict = st.columnInt(5) != 0 || st.columnText(0) != str(d, "person_ref") ||
                   st.columnText(1) != str(d, "from_sector") || st.columnText(2) != sectors ||
                   st.columnText(3) != str(d, "purpose") || st.columnText(4) != validUntil;
      }
    });
    if (conflict) {
      return HttpResponse::error(409, "/consent_id: consent " + consentId +
                                          " is recorded already (or withdrawn) with other "
                                          "content; a consent id is immutable: use a new one");
    }
    return publish(c_.topics.consentEvents(), "consent.granted.v1",
                   "api-cns-" + bus::stableHexId("granted|" + consentId), str(d, "person_ref"),
                   data, actor, "consent_recorded", "{\"consent_id\":" + jsonString(consentId));
  }

  HttpResponse withdraw(const HttpRequest& request, const OpsAuth::Caller& caller) {
    auto body = jsonBody(request);
    if (auto* refusal = std::get_if<HttpResponse>(&body)) return std::move(*refusal);
    auto& d = std::get<rapidjson::Document>(body);
    const std::string consentId = request.params.at("id");
    const std::string& actor = caller.name;
    // Only a token of the sector that gave the consent withdraws it; the register
    // knows which sector that was (consents of the case-work API's namespace only).
    std::optional<std::string> from;
    c_.state.transaction([&](store::Connection& db) {
      store::Statement st(
          db,
          "SELECT from_sector FROM router_consents WHERE consent_id = ? AND from_sector <> '';");
      st.bind(1, router::consentKey(kSource, consentId));
      if (st.step()) from = st.columnText(0);
    });
    if (!from) {
      return HttpResponse::error(404, "no consent " + consentId +
                                          " recorded through the case-work API (a grant just "
                                          "made may still be on its way; try again)");
    }
    if (!caller.speaksFor(*from)) {
      return HttpResponse::error(403, "consent " + consentId + " was given by " + *from +
                                          "; token '" + actor + "' speaks for " +
                                          joined(caller.sectors));
    }
    d.RemoveMember("from_sector");
    setString(d, "consent_id", consentId);
    if (!d.HasMember("withdrawn_at")) setString(d, "withdrawn_at", formatRfc3339(c_.clock.now()));
    setString(d, "recorded_by", actor);
    return publish(c_.topics.consentEvents(), "consent.withdrawn.v1",
                   "api-cnw-" + bus::stableHexId("withdrawn|" + consentId), str(d, "person_ref"),
                   jsonText(d), actor, "consent_recorded",
                   "{\"consent_id\":" + jsonString(consentId));
  }

  HttpResponse lifecycle(const HttpRequest& request, const OpsAuth::Caller& caller, bool close) {
    auto body = jsonBody(request);
    if (auto* refusal = std::get_if<HttpResponse>(&body)) return std::move(*refusal);
    auto& d = std::get<rapidjson::Document>(body);
    const std::string& actor = caller.name;
    const std::string referralId = request.params.at("id");
    const std::string given = str(d, "sector");
    if (!given.empty() && !caller.speaksFor(given)) {
      return HttpResponse::error(403, "/sector: token '" + actor + "' speaks for " +
                                          joined(caller.sectors) + ", not " + given);
    }
    std::string sector, state, person;
    bool known = false;
    c_.state.transaction([&](store::Connection& db) {
      store::Statement st(
          db, "SELECT sector, state, person_ref FROM router_referrals WHERE referral_id = ?;");
      st.bind(1, referralId);
      if (st.step()) {
        known = true;
        sector = st.columnText(0);
        state = st.columnText(1);
        person = st.columnIsNull(2) ? std::string() : st.columnText(2);
      }
    });
    if (!known) return HttpResponse::error(404, "no referral " + referralId);
    // Only a token of the sector the referral went to acknowledges or closes it.
    if (!caller.speaksFor(sector) || (!given.empty() && given != sector)) {
      return HttpResponse::error(403, "/sector: referral " + referralId + " went to " + sector +
                                          "; token '" + actor + "' speaks for " +
                                          joined(caller.sectors));
    }
    setString(d, "sector", sector);
    setString(d, "referral_id", referralId);
    setString(d, "by", actor);
    setString(d, "at", formatRfc3339(c_.clock.now()));
    const std::string type = close ? "referral.closed.v1" : "referral.acknowledged.v1";
    const std::string data = jsonText(d);
    if (auto invalid = c_.schemas.validate(type, data)) {
      return HttpResponse::error(400, invalid->message);
    }
    if (state == "closed") return HttpResponse::error(409, "the referral is closed already");
    return publish(c_.topics.referrals(sector), type,
                   "api-" + std::string(close ? "rcl-" : "rak-") + bus::stableHexId(referralId),
                   person.empty() ? referralId : person, data, actor,
                   close ? "referral_closed" : "referral_acknowledged",
                   "{\"referral_id\":" + jsonString(referralId));
  }

 private:
  CaseworkContext c_;
};

}  // namespace

void registerCaseworkRoutes(HttpRouter& router, const CaseworkContext& context) {
  auto api = std::make_shared<Casework>(context);
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  auto guard = [&auth](auto handler) {
    return [&auth, handler](const HttpRequest& request) {
      OpsAuth::Caller caller;
      if (auto refusal = auth.check(request, Role::kCaseworker, caller)) {
        return std::move(*refusal);
      }
      if (caller.sectors.empty()) {
        return HttpResponse::error(
            403, "token '" + caller.name + "' is bound to no sector (ops.tokens[].sectors)");
      }
      return handler(request, caller);
    };
  };
  // The same check on the headers alone: no body is read for a caller without a token.
  const Guard beforeBody = [&auth](const HttpRequest& request) {
    std::string actor;
    return auth.check(request, Role::kCaseworker, actor);
  };
  using Caller = OpsAuth::Caller;
  router.add("POST", "/api/v1/consents",
             guard([api](const HttpRequest& r, const Caller& c) { return api->grant(r, c); }),
             beforeBody);
  router.add("POST", "/api/v1/consents/{id}/withdraw",
             guard([api](const HttpRequest& r, const Caller& c) { return api->withdraw(r, c); }),
             beforeBody);
  // Case events are small: a body over 64 KiB is refused on its headers.
  const Guard smallBody = [&auth](const HttpRequest& request) -> std::optional<HttpResponse> {
    std::string actor;
    if (auto refusal = auth.check(request, Role::kCaseworker, actor)) return refusal;
    const std::string length = request.header("content-length");
    if (length.find_first_not_of("0123456789") != std::string::npos || length.size() > 6 ||
        (!length.empty() && std::stoul(length) > 64 * 1024)) {
      return HttpResponse::error(413, "body: at most 65536 bytes");
    }
    return std::nullopt;
  };
  router.add("POST", "/api/v1/referrals", guard([api](const HttpRequest& r, const Caller& c) {
               return api->requestReferral(r, c);
             }),
             smallBody);
  router.add("POST", "/api/v1/needs",
             guard([api](const HttpRequest& r, const Caller& c) { return api->observeNeed(r, c); }),
             smallBody);
  router.add(
      "POST", "/api/v1/referrals/{id}/acknowledge",
      guard([api](const HttpRequest& r, const Caller& c) { return api->lifecycle(r, c, false); }),
      beforeBody);
  router.add(
      "POST", "/api/v1/referrals/{id}/close",
      guard([api](const HttpRequest& r, const Caller& c) { return api->lifecycle(r, c, true); }),
      beforeBody);
}

}  // namespace wayhome::services
