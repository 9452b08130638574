#include "casework_api.hpp"

#include <variant>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/router/consent_store.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services {
namespace {

using schemas::jsonString;

constexpr const char* kSource = kCaseworkSource;

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
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

class Casework {
 public:
  explicit Casework(const CaseworkContext& c) : c_(c) {}

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
    const auto now = formatRfc3339(c_.clock.now());
    bus::CloudEvent e;
    e.id = eventId;
    e.source = kSource;
    e.type = type;
    e.time = now;
    e.subject = subject;
    e.data = data;
    const std::string audit =
        "{\"decision_id\":" + jsonString("aud-" + eventId) + ",\"decided_at\":" + jsonString(now) +
        ",\"service\":\"ops\",\"decision\":" + jsonString(decision) +
        ",\"actor\":" + jsonString(actor) + ",\"source_event_id\":" + jsonString(eventId) +
        ",\"disclosed\":[],\"detail\":" + jsonString(type + " through the case-work API") + "}";
    bus::CloudEvent a;
    a.id = "aud-" + eventId;
    a.source = kSource;
    a.type = "audit.decision.v1";
    a.time = now;
    a.subject = subject;
    a.data = audit;
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
    const std::string data = text(d);
    const std::string consentId = str(d, "consent_id");
    const std::string validUntil = str(d, "valid_until");
    if (auto invalid = c_.schemas.validate("consent.granted.v1", data)) {
      return HttpResponse::error(400, invalid->message);
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
                   text(d), actor, "consent_recorded", "{\"consent_id\":" + jsonString(consentId));
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
    const std::string data = text(d);
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
