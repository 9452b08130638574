#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/schemas/json_writer.hpp>
#include <wayhome/simulators/plania_simulator.hpp>

#include "plania_simulator_schema.hpp"  // generated from plania.schema.json: kPlaniaSimulatorSchema

namespace wayhome::connectors::plania {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::int64_t kDayMs = 86400000;
constexpr std::size_t kMaxRequestsKept = 10000;

/// splitmix64: the same numbers for a seed on every platform and library (std's
/// distributions are not specified bit for bit).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  int between(int lo, int hi) { return lo + below(hi - lo + 1); }

 private:
  std::uint64_t state_;
};

/// A synthetic Tenor identity number (month + 80): valid check digits, never a real
/// person's number.
std::string syntheticNin(Rng& rng) {
  for (;;) {
    const int day = rng.between(1, 28);
    const int month = rng.between(1, 12) + 80;
    const int year = rng.between(40, 99);
    const int individual = rng.between(0, 499);  // 1900-1999
    char base[10];
    std::snprintf(base, sizeof base, "%02d%02d%02d%03d", day, month, year, individual);
    static constexpr int kW1[] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
    static constexpr int kW2[] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
    int s = 0;
    for (int i = 0; i < 9; ++i)
      s += (base[i] - '0') * kW1[i];
    int k1 = 11 - s % 11;
    if (k1 == 11) k1 = 0;
    if (k1 == 10) continue;
    std::string n(base, 9);
    n += static_cast<char>('0' + k1);
    s = 0;
    for (int i = 0; i < 10; ++i)
      s += (n[static_cast<std::size_t>(i)] - '0') * kW2[i];
    int k2 = 11 - s % 11;
    if (k2 == 11) k2 = 0;
    if (k2 == 10) continue;
    n += static_cast<char>('0' + k2);
    if (validateNin(n)) return n;
  }
}

/// A JSON object built member by member (values as JSON text).
class Fields {
 public:
  Fields& str(const char* k, const std::string& v) { return raw(k, quote(v)); }
  Fields& num(const char* k, std::int64_t v) { return raw(k, std::to_string(v)); }
  Fields& flag(const char* k, bool v) { return raw(k, v ? "true" : "false"); }
  Fields& null(const char* k) { return raw(k, "null"); }
  [[nodiscard]] std::string text() const { return "{" + body_ + "}"; }

 private:
  static std::string quote(const std::string& v) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.String(v);
    return buf.GetString();
  }
  Fields& raw(const char* k, const std::string& v) {
    if (!body_.empty()) body_ += ',';
    body_ += quote(k) + ":" + v;
    return *this;
  }
  std::string body_;
};

struct Record {
  std::int64_t updatedMs = 0;
  std::string body;  ///< JSON object without id/updated, or the verbatim item
  bool verbatim = false;
};

enum class Stage { kNone, kApplied, kApproved, kAllocated, kTenant };

struct Household {
  std::string customerId;
  std::string contractId;  ///< current contract, "" if none
  std::string unitId;
  Stage stage = Stage::kNone;
  int nextDay = 0;
  int contracts = 0;
  int startDay = 0;
  int months = 0;
  std::int64_t arrears = 0;
  std::string scheduledEnd;
  int number = 0;        ///< of the current contract: picks its variant without the rng
  bool planned = false;  ///< a waiting-list plan is recorded
  bool warned = false;   ///< warned of termination for arrears
};

struct Unit {
  std::string id;
  std::int64_t rent = 0;
  bool vacant = true;
  bool reserved = false;
};

struct Job {
  std::string id;
  std::string unitId;
  int stage = 0;  // 0 registered, 1 planned, 2 done
  int nextDay = 0;
  bool moveOut = false;
  std::string type;
};

}  // namespace

struct PlaniaSimulator::Impl {
  explicit Impl(SimulatorSettings s) : settings(std::move(s)), rng(settings.seed) {
    baseMs = *parseRfc3339Ms("2026-01-05T08:00:00Z");
  }

  SimulatorSettings settings;
  mutable std::mutex mutex;
  Rng rng;
  std::int64_t baseMs = 0;
  int day = 0;
  std::int64_t seq = 0;
  std::map<Entity, std::map<std::string, Record>> records;
  std::vector<Household> households;
  std::vector<Unit> units;
  std::vector<Job> jobs;
  int nextJob = 1;
  int nextContract = 1;

  std::optional<Fault> fault;
  int faultCount = 0;
  std::chrono::milliseconds faultDelay{0};
  std::vector<SeenRequest> seenRequests;

  std::unique_ptr<services::HttpServer> server;
  services::HttpRouter router;
  Worker stepper;

  std::string date(int d) const { return formatRfc3339Ms(baseMs + d * kDayMs).substr(0, 10); }
  std::string yearsLater(const std::string& date, int years) const {
    // Adding years to the text keeps month and day; 29 February becomes the 28th.
    std::string out = std::to_string(std::stoi(date.substr(0, 4)) + years) + date.substr(4);
    if (out.substr(5) == "02-29") out = out.substr(0, 5) + "02-28";
    return out;
  }

  std::int64_t nowMs() { return baseMs + day * kDayMs + (++seq); }

  std::string putLocked(Entity e, const std::string& id, const std::string& fieldsJson) {
    rapidjson::Document change;
    change.Parse(fieldsJson.c_str(), fieldsJson.size());
    if (change.HasParseError() || !change.IsObject()) {
      throw std::invalid_argument("plania simulator: fields must be a JSON object");
    }
    auto& rec = records[e][id];
    rapidjson::Document body;
    if (!rec.verbatim && !rec.body.empty()) {
      body.Parse(rec.body.c_str(), rec.body.size());
    } else {
      body.SetObject();
    }
    for (auto& m : change.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key == "id" || key == "updated") continue;
      rapidjson::Value copy(m.value, body.GetAllocator());
      if (auto it = body.FindMember(key.c_str()); it != body.MemberEnd()) {
        it->value = copy;
      } else {
        body.AddMember(rapidjson::Value(key.c_str(), body.GetAllocator()), copy,
                       body.GetAllocator());
      }
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    body.Accept(w);
    rec.body = buf.GetString();
    rec.verbatim = false;
    rec.updatedMs = nowMs();
    return formatRfc3339Ms(rec.updatedMs);
  }

  std::string render(const std::string& id, const Record& r) const {
    if (r.verbatim) return r.body;
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.String(id);
    std::string out = "{\"id\":" + std::string(buf.GetString()) + ",\"updated\":\"" +
                      formatRfc3339Ms(r.updatedMs) + "\"";
    if (r.body.size() > 2) out += "," + r.body.substr(1, r.body.size() - 2);
    return out + "}";
  }

  // ---- the synthetic world --------------------------------------------------------

  void seedWorld() {
    for (int i = 0; i < settings.units; ++i) {
      Unit u{"AREA-" + std::to_string(1001 + i), 6500 + 250 * rng.below(24), true, false};
      units.push_back(u);
      putLocked(Entity::kArea, u.id,
                Fields()
                    .flag("isHousing", true)
                    .str("rentalStatus", "VACANT")
                    .num("monthlyRent", u.rent)
                    .flag("rentToOwn", rng.below(3) == 0)
                    .str("availableFrom", date(0))
                    .str("address", "Synthetic street " + std::to_string(i + 1))
                    .text());
    }
    for (int i = 0; i < settings.households; ++i) {
      Household h;
      h.customerId = "CUS-" + std::to_string(2001 + i);
      putLocked(Entity::kCustomer, h.customerId,
                Fields()
                    .str("nationalIdentityNumber", syntheticNin(rng))
                    .num("householdSize", rng.between(1, 5))
                    .str("customerType", "PRIVATE")
                    .text());
      h.nextDay = rng.between(0, 3);
      households.push_back(h);
    }
  }

  Unit* unitById(const std::string& id) {
    for (auto& u : units) {
      if (u.id == id) return &u;
    }
    return nullptr;
  }

  void planJob(const std::string& unitId, bool moveOut, const std::string& type) {
    Job j{"WO-" + std::to_string(5000 + nextJob++), unitId, 0, day + 1, moveOut, type};
    putLocked(Entity::kWorkOrder, j.id,
              Fields()
                  .str("areaId", unitId)
                  .str("type", type)
                  .str("status", "REGISTERED")
                  .null("plannedStart")
                  .null("plannedEnd")
                  .flag("tenantMustMoveOut", moveOut)
                  .text());
    jobs.push_back(j);
  }

  void advanceHousehold(Household& h) {
    if (day < h.nextDay) return;
    const std::string today = date(day);
    switch (h.stage) {
      case Stage::kNone: {
        h.number = nextContract++;
        h.contractId = "CON-" + std::to_string(3000 + h.number);
        h.unitId.clear();
        h.months = 0;
        h.arrears = 0;
        h.planned = false;
        h.warned = false;
        putLocked(Entity::kContract, h.contractId,
                  Fields()
                      .str("status", "APPLICATION")
                      .str("customerId", h.customerId)
                      .null("areaId")
                      .str("applicationRegisteredDate", today)
                      .flag("wantsFinancialAdvice", rng.below(2) == 0)
                      .null("startDate")
                      .null("scheduledEndDate")
                      .null("endDate")
                      .num("monthsOverdue", 0)
                      .num("arrearsAmount", 0)
                      .text());
        h.stage = Stage::kApplied;
        h.nextDay = day + rng.between(1, 2);
        break;
      }
      case Stage::kApplied:
        putLocked(Entity::kContract, h.contractId,
                  Fields().str("status", "APPROVED").str("approvalDate", today).text());
        h.stage = Stage::kApproved;
        h.nextDay = day + rng.between(1, 2);
        break;
      case Stage::kApproved: {
        Unit* free = nullptr;
        for (auto& u : units) {
          if (u.vacant && !u.reserved) {
            free = &u;
            break;
          }
        }
        if (free == nullptr) {
          // The waiting list: for every other household housing records a plan.
          if (!h.planned && h.number % 2 == 1) {
            h.planned = true;
            putLocked(Entity::kContract, h.contractId,
                      Fields().str("housingPlanDate", today).text());
          }
          h.nextDay = day + 1;
          break;
        }
        free->reserved = true;
        h.unitId = free->id;
        putLocked(Entity::kArea, free->id, Fields().str("rentalStatus", "RESERVED").text());
        putLocked(Entity::kContract, h.contractId,
                  Fields()
                      .str("status", "ALLOCATED")
                      .str("allocationDate", today)
                      .str("areaId", free->id)
                      .text());
        h.stage = Stage::kAllocated;
        h.nextDay = day + rng.between(1, 2);
        break;
      }
      case Stage::kAllocated: {
        Unit* u = unitById(h.unitId);
        u->vacant = false;
        u->reserved = false;
        const std::string start = date(day + 1);
        // Every third contract is a one-year term (its renewal is near at once); every
        // fourth is signed before the guidance folder was handed over.
        h.scheduledEnd = yearsLater(start, h.number % 3 == 0 ? 1 : 3);
        h.startDay = day;
        Fields f;
        f.str("status", "ACTIVE")
            .str("startDate", start)
            .str("scheduledEndDate", h.scheduledEnd)
            .flag("fixedTerm", true)
            .flag("guidanceFolderHandedOver", h.number % 4 != 1);
        if (rng.below(4) == 0) {
          f.null("housingContactId");
        } else {
          f.str("housingContactId", "HC-" + std::to_string(rng.between(1, 3)));
        }
        putLocked(Entity::kContract, h.contractId, f.text());
        putLocked(Entity::kArea, h.unitId,
                  Fields().str("rentalStatus", "LET").null("availableFrom").text());
        h.stage = Stage::kTenant;
        h.nextDay = day + rng.between(2, 3);
        break;
      }
      case Stage::kTenant:
        advanceTenant(h);
        break;
    }
  }

  // A tenant's month: arrears grow or are cleared, the contract is renewed, a job is
  // planned, or (after a while) the tenancy ends.
  void advanceTenant(Household& h) {
    const int roll = rng.below(100);
    const Unit* u = unitById(h.unitId);
    if (roll < 30) {
      h.months += 1;
      h.arrears += u->rent;
      Fields f;
      f.num("monthsOverdue", h.months).num("arrearsAmount", h.arrears);
      if (h.months >= 2 && !h.warned) {
        // Two months behind: a warning of termination for arrears.
        h.warned = true;
        f.str("terminationWarningDate", date(day))
            .str("terminationWarningReason", "HUSLEIERESTANSE");
      }
      putLocked(Entity::kContract, h.contractId, f.text());
    } else if (roll < 40 && h.months > 0) {
      h.months = 0;
      h.arrears = 0;
      putLocked(Entity::kContract, h.contractId,
                Fields().num("monthsOverdue", 0).num("arrearsAmount", 0).text());
    } else if (roll < 55) {
      h.scheduledEnd = yearsLater(h.scheduledEnd, 3);
      putLocked(Entity::kContract, h.contractId,
                Fields().str("scheduledEndDate", h.scheduledEnd).text());
    } else if (roll < 70) {
      const bool moveOut = rng.below(2) == 0;
      planJob(h.unitId, moveOut, moveOut ? "Bathroom renovation" : "Window replacement");
    } else if (day - h.startDay >= 6) {
      static constexpr const char* kReasons[] = {"FRAFLYTTET", "KJOPT_EGEN_BOLIG", "UTKASTELSE",
                                                 "ANNET"};
      const std::string end = date(day + 14);
      putLocked(Entity::kContract, h.contractId,
                Fields()
                    .str("status", "TERMINATED")
                    .str("endDate", end)
                    .str("terminationReason", kReasons[rng.below(4)])
                    .text());
      Unit* unit = unitById(h.unitId);
      unit->vacant = true;
      putLocked(Entity::kArea, h.unitId,
                Fields().str("rentalStatus", "VACANT").str("availableFrom", date(day + 15)).text());
      if (rng.below(2) == 0) planJob(h.unitId, false, "Refurbishment before re-letting");
      h.stage = Stage::kNone;
      h.nextDay = day + rng.between(3, 6);
      return;
    }
    h.nextDay = day + rng.between(2, 3);
  }

  void advanceJob(Job& j) {
    if (j.stage >= 2 || day < j.nextDay) return;
    if (j.stage == 0) {
      putLocked(Entity::kWorkOrder, j.id,
                Fields()
                    .str("status", "PLANNED")
                    .str("plannedStart", date(day + 7))
                    .str("plannedEnd", date(day + 7 + rng.between(2, 10)))
                    .text());
      j.stage = 1;
      j.nextDay = day + rng.between(4, 8);
    } else {
      putLocked(Entity::kWorkOrder, j.id, Fields().str("status", "DONE").text());
      j.stage = 2;
    }
  }

  void stepLocked() {
    ++day;
    seq = 0;
    for (auto& h : households)
      advanceHousehold(h);
    for (auto& j : jobs)
      advanceJob(j);
  }

  // ---- the REST API ---------------------------------------------------------------

  bool authorised(const services::HttpRequest& req) const {
    return crypto::constantTimeEquals(req.header("authorization"), "Bearer " + settings.token);
  }

  static services::HttpResponse unauthorised() {
    auto r = services::HttpResponse::error(401, "missing or invalid API token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }

  /// The fault for this request, if one is armed.
  std::optional<services::HttpResponse> faultResponse() {
    std::chrono::milliseconds delay{0};
    std::optional<Fault> f;
    {
      std::lock_guard lock(mutex);
      if (!fault || faultCount <= 0) return std::nullopt;
      f = fault;
      delay = faultDelay;
      if (--faultCount == 0) fault.reset();
    }
    switch (*f) {
      case Fault::kUnauthorized:
        return unauthorised();
      case Fault::kHtml: {
        services::HttpResponse r;
        r.contentType = "text/html; charset=utf-8";
        r.body = "<!DOCTYPE html><html><body><h1>Plania</h1><p>Please log in</p></body></html>";
        return r;
      }
      case Fault::kGarbage:
        return services::HttpResponse::json(200, "{\"items\": [{\"id\": \"C");
      case Fault::kWrongShape:
        return services::HttpResponse::json(200, R"({"items": "none today", "page": 1})");
      case Fault::kServerError: {
        auto r = services::HttpResponse::error(503, "maintenance window");
        r.headers.emplace_back("Retry-After", "0");
        return r;
      }
      case Fault::kSlow:
        std::this_thread::sleep_for(delay);
        return std::nullopt;
    }
    return std::nullopt;
  }

  static std::int64_t wallMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Records a request served to the connector: who asked (User-Agent) and from when to
  // when its answer was made, so a test can tell whether two instances polled at once.
  void seen(const services::HttpRequest& req, std::string collection, std::string updatedSince,
            int page, std::int64_t startedMs) {
    std::lock_guard lock(mutex);
    if (seenRequests.size() >= kMaxRequestsKept) return;
    seenRequests.push_back({std::move(collection), std::move(updatedSince), page,
                            req.header("user-agent"), startedMs, wallMs()});
  }

  services::HttpResponse list(const services::HttpRequest& req) {
    const std::int64_t started = wallMs();
    std::optional<SeenRequest> served;
    auto response = listAnswer(req, served);
    if (served) {
      seen(req, std::move(served->collection), std::move(served->updatedSince), served->page,
           started);
    }
    return response;
  }

  // `served` is set when the request asked for a page this API has (not refused, not
  // answered with a fault).
  services::HttpResponse listAnswer(const services::HttpRequest& req,
                                    std::optional<SeenRequest>& served) {
    if (!authorised(req)) return unauthorised();
    if (auto f = faultResponse()) return *f;
    const auto entity = entityFromPath(req.params.at("collection"));
    if (!entity) return services::HttpResponse::error(404, "no such collection");
    auto intParam = [&](const char* name, int def, int min, int max, bool& ok) {
      auto it = req.query.find(name);
      if (it == req.query.end()) return def;
      try {
        std::size_t used = 0;
        const int v = std::stoi(it->second, &used);
        if (used == it->second.size() && v >= min && v <= max) return v;
      } catch (const std::exception&) {
      }
      ok = false;
      return def;
    };
    bool ok = true;
    const int page = intParam("page", 1, 1, 1000000, ok);
    if (!ok) return services::HttpResponse::error(400, "page: must be a whole number >= 1");
    const int pageSize = intParam("pageSize", 100, 1, 1000, ok);
    if (!ok) return services::HttpResponse::error(400, "pageSize: must be 1-1000");
    std::optional<std::int64_t> since;
    std::string sinceText;
    if (auto it = req.query.find("updatedSince"); it != req.query.end()) {
      sinceText = it->second;
      since = parseRfc3339Ms(sinceText);
      if (!since) return services::HttpResponse::error(400, "updatedSince: not an RFC 3339 time");
    }

    served = SeenRequest{req.params.at("collection"), sinceText, page, {}, 0, 0};
    std::lock_guard lock(mutex);
    std::vector<std::pair<std::int64_t, std::string>> order;
    for (const auto& [id, rec] : records[*entity]) {
      if (!since || rec.updatedMs >= *since) order.emplace_back(rec.updatedMs, id);
    }
    std::sort(order.begin(), order.end());
    const auto total = static_cast<std::int64_t>(order.size());
    const std::int64_t totalPages = (total + pageSize - 1) / pageSize;
    std::string body = "{\"items\":[";
    const std::int64_t from = static_cast<std::int64_t>(page - 1) * pageSize;
    for (std::int64_t i = from; i < std::min(total, from + pageSize); ++i) {
      if (i > from) body += ',';
      const auto& id = order[static_cast<std::size_t>(i)].second;
      body += render(id, records[*entity][id]);
    }
    body += "],\"page\":" + std::to_string(page) + ",\"pageSize\":" + std::to_string(pageSize) +
            ",\"totalItems\":" + std::to_string(total) +
            ",\"totalPages\":" + std::to_string(totalPages) + "}";
    return services::HttpResponse::json(200, std::move(body));
  }

  services::HttpResponse one(const services::HttpRequest& req) {
    const std::int64_t started = wallMs();
    bool served = false;
    auto response = oneAnswer(req, served);
    if (served) seen(req, req.params.at("collection") + "/" + req.params.at("id"), "", 0, started);
    return response;
  }

  services::HttpResponse oneAnswer(const services::HttpRequest& req, bool& served) {
    if (!authorised(req)) return unauthorised();
    if (auto f = faultResponse()) return *f;
    const auto entity = entityFromPath(req.params.at("collection"));
    if (!entity) return services::HttpResponse::error(404, "no such collection");
    served = true;
    std::lock_guard lock(mutex);
    auto& m = records[*entity];
    auto it = m.find(req.params.at("id"));
    if (it == m.end()) return services::HttpResponse::error(404, "no such record");
    return services::HttpResponse::json(200, render(it->first, it->second));
  }
};

PlaniaSimulator::PlaniaSimulator(SimulatorSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {
  {
    std::lock_guard seeding(impl_->mutex);
    impl_->seedWorld();
  }
  auto* impl = impl_.get();
  impl->router.add("GET", "/api/v1/{collection}",
                   [impl](const services::HttpRequest& r) { return impl->list(r); });
  impl->router.add("GET", "/api/v1/{collection}/{id}",
                   [impl](const services::HttpRequest& r) { return impl->one(r); });
  impl->router.add("POST", "/admin/step", [this, impl](const services::HttpRequest& r) {
    if (!impl->authorised(r)) return Impl::unauthorised();
    int days = 1;
    if (auto it = r.query.find("days"); it != r.query.end()) {
      try {
        days = std::stoi(it->second);
      } catch (const std::exception&) {
        days = 0;
      }
    }
    if (days < 1 || days > 10000)
      return services::HttpResponse::error(400, "days: must be 1-10000");
    step(days);
    return services::HttpResponse::json(200, "{\"day\":" + std::to_string(day()) + "}");
  });
  impl->router.add("GET", "/admin/requests", [impl](const services::HttpRequest& r) {
    if (!impl->authorised(r)) return Impl::unauthorised();
    std::lock_guard lock(impl->mutex);
    namespace json = schemas::json;
    return services::HttpResponse::json(200, json::text([&](json::JsonWriter& w) {
                                          w.StartObject();
                                          json::member(w, "day", impl->day);
                                          json::key(w, "requests");
                                          w.StartArray();
                                          for (const auto& s : impl->seenRequests) {
                                            w.StartObject();
                                            json::member(w, "collection", s.collection);
                                            json::member(w, "updatedSince", s.updatedSince);
                                            json::member(w, "page", s.page);
                                            json::member(w, "user_agent", s.userAgent);
                                            json::member(w, "started_ms", s.startedMs);
                                            json::member(w, "finished_ms", s.finishedMs);
                                            w.EndObject();
                                          }
                                          w.EndArray();
                                          w.EndObject();
                                        }));
  });
}

PlaniaSimulator::~PlaniaSimulator() {
  stop();
}

void PlaniaSimulator::start(const SimulatorContext& /*context*/) {
  services::HttpServerOptions options;
  options.address = impl_->settings.address;
  options.port = static_cast<std::uint16_t>(impl_->settings.port);
  options.threads = 4;  // a slow answer (Fault::kSlow) must not hold up the others
  auto* impl = impl_.get();
  impl_->server = std::make_unique<services::HttpServer>(
      options, [impl](services::HttpRequest req, services::Responder respond) {
        impl->router.handle(std::move(req), std::move(respond));
      });
  impl_->server->start();
  if (impl_->settings.stepInterval.count() > 0) {
    impl_->stepper.every("plania-simulator", impl_->settings.stepInterval, [impl] {
      std::lock_guard lock(impl->mutex);
      impl->stepLocked();
    });
  }
  log::info("plania-simulator", "serving the Plania API",
            {{"url", baseUrl()},
             {"step_interval_ms", std::to_string(impl_->settings.stepInterval.count())}});
}

void PlaniaSimulator::stop() {
  impl_->stepper.stop();
  if (impl_->server) {
    impl_->server->stop(std::chrono::milliseconds(1000));
    impl_->server.reset();
  }
}

std::uint16_t PlaniaSimulator::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

std::string PlaniaSimulator::baseUrl() const {
  return "http://" + impl_->settings.address + ":" + std::to_string(port());
}

void PlaniaSimulator::step(int days) {
  std::lock_guard lock(impl_->mutex);
  for (int i = 0; i < days; ++i)
    impl_->stepLocked();
}

int PlaniaSimulator::day() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->day;
}

std::string PlaniaSimulator::dateOf(int day) const {
  return impl_->date(day);
}

std::string PlaniaSimulator::put(Entity entity, const std::string& id,
                                 const std::string& fieldsJson) {
  std::lock_guard lock(impl_->mutex);
  return impl_->putLocked(entity, id, fieldsJson);
}

std::string PlaniaSimulator::putVerbatim(Entity entity, const std::string& id,
                                         std::string itemJson) {
  std::lock_guard lock(impl_->mutex);
  auto& rec = impl_->records[entity][id];
  // A valid `updated` in the item orders it (several records may share one time);
  // otherwise it is ordered as if changed now.
  std::optional<std::int64_t> given;
  if (auto head = parseHead(itemJson)) given = head.value().updatedMs;
  rec.body = std::move(itemJson);
  rec.verbatim = true;
  rec.updatedMs = given ? *given : impl_->nowMs();
  return formatRfc3339Ms(rec.updatedMs);
}

std::optional<std::string> PlaniaSimulator::get(Entity entity, const std::string& id) const {
  std::lock_guard lock(impl_->mutex);
  const auto& m = impl_->records[entity];
  auto it = m.find(id);
  if (it == m.end()) return std::nullopt;
  return impl_->render(id, it->second);
}

std::vector<std::string> PlaniaSimulator::ids(Entity entity) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& [id, rec] : impl_->records[entity])
    out.push_back(id);
  return out;
}

void PlaniaSimulator::injectFault(Fault fault, int count, std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->fault = fault;
  impl_->faultCount = count;
  impl_->faultDelay = delay;
}

std::vector<SeenRequest> PlaniaSimulator::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seenRequests;
}

std::string_view simulatorSettingsSchema() {
  return kPlaniaSimulatorSchema;
}

SimulatorSettings parseSimulatorSettings(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  SimulatorSettings s;
  if (d.HasParseError() || !d.IsObject()) return s;
  if (d.HasMember("address")) s.address = d["address"].GetString();
  if (d.HasMember("port")) s.port = d["port"].GetInt();
  if (d.HasMember("token")) s.token = d["token"].GetString();
  if (d.HasMember("step_interval_ms")) {
    s.stepInterval = std::chrono::milliseconds(d["step_interval_ms"].GetInt64());
  }
  if (d.HasMember("seed")) s.seed = d["seed"].GetUint64();
  if (d.HasMember("households")) s.households = d["households"].GetInt();
  if (d.HasMember("units")) s.units = d["units"].GetInt();
  return s;
}

std::unique_ptr<Simulator> PlaniaSimulatorFactory::create(std::string_view settingsJson) const {
  return std::make_unique<PlaniaSimulator>(parseSimulatorSettings(settingsJson));
}

}  // namespace wayhome::connectors::plania
