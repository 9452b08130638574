#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/connectors/settings.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/plania/connector.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "plania_settings_schema.hpp"  // generated from settings.schema.json: kPlaniaSettingsSchema

namespace wayhome::connectors::plania {
namespace {

constexpr int kMaxPagesPerPass = 10000;

std::string trimRight(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string toJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

// A record as it is now and as it was last seen (nothing: first seen, or no longer
// readable).
template <class Record>
struct Versions {
  Record current;
  std::optional<Record> previous;
};

// Parses `item` and `previousJson` with `parse`; nothing, with `rejection` set, when
// `item` does not parse.
template <class Record>
std::optional<Versions<Record>> parseVersions(Result<Record> (*parse)(std::string_view),
                                              const std::string& item,
                                              const std::optional<std::string>& previousJson,
                                              std::optional<std::string>& rejection) {
  auto current = parse(item);
  if (!current) {
    rejection = current.error().message;
    return std::nullopt;
  }
  Versions<Record> out{std::move(current.value()), std::nullopt};
  if (previousJson) {
    if (auto previous = parse(*previousJson)) out.previous = std::move(previous.value());
  }
  return out;
}

}  // namespace

std::string_view settingsSchema() {
  return kPlaniaSettingsSchema;
}

Settings parseSettings(std::string_view json) {
  rapidjson::Document d;
  readSettings(d, json);
  Settings s;
  s.baseUrl = d["base_url"].GetString();
  while (s.baseUrl.ends_with('/'))
    s.baseUrl.pop_back();
  if (auto problem = services::cleartextProblem(s.baseUrl)) {
    throw ConnectorConfigError("/base_url: " + *problem);
  }
  if (d.HasMember("ca_file")) {
    s.caFile = d["ca_file"].GetString();
    if (!std::ifstream(s.caFile)) throw ConnectorConfigError("/ca_file: cannot read " + s.caFile);
  }
  if (d.HasMember("token")) {
    s.token = d["token"].GetString();
  } else {
    const std::string file = d["token_file"].GetString();
    try {
      services::checkSecretFilePermissions(file, "/token_file");
    } catch (const services::ConfigError& e) {
      throw ConnectorConfigError(e.what());
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConnectorConfigError("/token_file: cannot read " + file);
    std::ostringstream ss;
    ss << in.rdbuf();
    s.token = trimRight(ss.str());
    if (s.token.empty()) throw ConnectorConfigError("/token_file: " + file + " is empty");
    for (char c : s.token) {
      if (c < '!' || c > '~') {
        throw ConnectorConfigError("/token_file: " + file +
                                   " holds characters a header cannot carry");
      }
    }
  }
  auto ms = [&](const char* key, std::chrono::milliseconds def) {
    return d.HasMember(key) ? std::chrono::milliseconds(d[key].GetInt64()) : def;
  };
  s.pollInterval = ms("poll_interval_ms", s.pollInterval);
  s.requestTimeout = ms("request_timeout_ms", s.requestTimeout);
  s.maxBackoff = ms("max_backoff_ms", s.maxBackoff);
  if (d.HasMember("page_size")) s.pageSize = d["page_size"].GetInt();
  if (d.HasMember("entities")) {
    s.entities.clear();
    // Poll in dependency order whatever order the settings list them in.
    for (auto e : kAllEntities) {
      for (const auto& v : d["entities"].GetArray()) {
        if (entityName(e) == v.GetString()) s.entities.push_back(e);
      }
    }
  }
  return s;
}

ConnectorPtr PlaniaConnectorFactory::create(const std::string& instanceName,
                                            std::string_view configJson) const {
  return std::make_unique<PlaniaConnector>(instanceName, parseSettings(configJson));
}

struct PlaniaConnector::Page {
  std::vector<std::string> items;
  std::optional<std::int64_t> totalPages;
};

PlaniaConnector::PlaniaConnector(std::string instanceName, Settings settings)
    : instance_(std::move(instanceName)), settings_(std::move(settings)) {}

PlaniaConnector::~PlaniaConnector() {
  stop(std::chrono::steady_clock::now());
}

void PlaniaConnector::start(ConnectorContext& context) {
  context_ = &context;
  seen_ = std::make_unique<SeenStore>(context.service.state, instance_);
  // Which instance asks, for the source's access log (and the test that checks that
  // one instance at a time polls).
  userAgent_ = context.service.instance.empty()
                   ? std::string("wayhome")
                   : "wayhome (instance " + context.service.instance + ")";
  poller_ = std::make_unique<services::SoleJob>(context.service.state, "plania:" + instance_,
                                                context.service.instance);
  waitingList_ = &context.service.metrics.gauge(
      "wayhome_waiting_list",
      "Approved housing applications waiting for a unit (Plania), per connector.",
      {{"connector", instance_}});
  waitingList_->set(static_cast<double>(seen_->waitingListSize()));
  for (auto e : settings_.entities) {
    const auto wm = seen_->watermark(e);
    log::info("plania", "resuming",
              {{"instance", instance_},
               {"entity", std::string(entityName(e))},
               {"watermark", wm.value_or("none")}});
  }
  worker_.start("plania", [this](const std::stop_token&) { run(); });
}

void PlaniaConnector::stop(std::chrono::steady_clock::time_point /*deadline*/) {
  // A request in flight is bounded by request_timeout_ms; a pass stops between pages
  // and records, after what it already submitted is recorded.
  stopping_ = true;
  worker_.stop();
  poller_.reset();
}

void PlaniaConnector::run() {
  while (!stopping()) {
    if (!poller_->mine()) {  // another instance polls; its watermark is ours too
      context_->status.setHealth(services::Health::kRunning);
      worker_.sleepFor(std::chrono::seconds(1));
      continue;
    }
    std::optional<PassError> failure;
    try {
      failure = cycle();
    } catch (const std::exception& e) {
      // The state store failing (disk full, I/O): nothing was recorded past it.
      failure = PassError{Error::retry(std::string("state store: ") + e.what()),
                          services::Health::kFailing};
    }
    if (failure) {
      const int n = ++failures_;
      context_->status.failed(failure->error.message, failure->health);
      if (n == 1 || n % 20 == 0) {
        log::warn("plania", "poll failed; retrying with back-off",
                  {{"instance", instance_},
                   {"error", failure->error.message},
                   {"attempt", std::to_string(n)}});
      }
    } else {
      if (failures_.exchange(0) > 0) {
        log::info("plania", "source answers again", {{"instance", instance_}});
      }
      context_->status.setHealth(services::Health::kRunning);
    }
    ++cycles_;
    worker_.sleepFor(delayAfter(failure));
  }
}

std::chrono::milliseconds PlaniaConnector::delayAfter(
    const std::optional<PassError>& failure) const {
  if (!failure) return settings_.pollInterval;
  const int shift = std::min(failures_.load() - 1, 20);
  auto delay = settings_.pollInterval * (std::int64_t{1} << std::max(shift, 0));
  delay = std::min(delay, settings_.maxBackoff);
  return std::max(delay, failure->retryAfter);
}

std::optional<PlaniaConnector::PassError> PlaniaConnector::cycle() {
  std::optional<PassError> first;
  for (auto entity : settings_.entities) {
    if (stopping()) break;
    // Every entity gets its turn: one refusing a page must not starve the others.
    if (auto failure = pollEntity(entity); failure && !first) first = failure;
  }
  return first;
}

Result<PlaniaConnector::Page> PlaniaConnector::fetchPage(Entity entity,
                                                         const std::optional<std::string>& since,
                                                         int page, PassError& failure) {
  services::ClientRequest req;
  req.caFile = settings_.caFile;
  req.url = settings_.baseUrl + "/api/v1/" + std::string(entityPath(entity)) +
            "?page=" + std::to_string(page) + "&pageSize=" + std::to_string(settings_.pageSize);
  if (since) req.url += "&updatedSince=" + *since;
  req.headers = {{"Authorization", "Bearer " + settings_.token},
                 {"Accept", "application/json"},
                 {"User-Agent", userAgent_}};
  req.timeout = settings_.requestTimeout;
  const std::string what =
      "GET " + std::string(entityPath(entity)) + " page " + std::to_string(page);
  auto fail = [&](std::string message, services::Health health = services::Health::kDegraded) {
    failure = PassError{Error::retry(what + ": " + message), health};
    return failure.error;
  };

  auto res = services::httpRequest(req);
  if (!res) return fail(res.error().message);
  const auto& r = res.value();
  if (r.status == 401 || r.status == 403) {
    return fail("the source refused the API token (HTTP " + std::to_string(r.status) + ")",
                services::Health::kFailing);
  }
  if (r.status != 200) {
    fail("the source answered HTTP " + std::to_string(r.status));
    const auto retryAfter = r.header("retry-after");
    if (!retryAfter.empty() && retryAfter.size() < 7 &&
        std::all_of(retryAfter.begin(), retryAfter.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      failure.retryAfter = std::chrono::seconds(std::stoll(retryAfter));
    }
    return failure.error;
  }
  const auto contentType = r.header("content-type");
  if (contentType.find("json") == std::string::npos) {
    return fail("the source answered with '" + printable(contentType, 80) + "', not JSON");
  }
  rapidjson::Document d;
  if (auto bad = schemas::parseJson(d, r.body)) return fail("the answer: " + bad->message);
  if (!d.IsObject()) return fail("the answer is not a JSON object");
  auto items = d.FindMember("items");
  if (items == d.MemberEnd() || !items->value.IsArray()) {
    return fail("items: missing or not an array");
  }
  Page out;
  if (auto tp = d.FindMember("totalPages"); tp != d.MemberEnd() && !tp->value.IsNull()) {
    if (!tp->value.IsInt64()) return fail("totalPages: expected a whole number");
    out.totalPages = tp->value.GetInt64();
  }
  out.items.reserve(items->value.Size());
  for (const auto& item : items->value.GetArray())
    out.items.push_back(toJson(item));
  return out;
}

void PlaniaConnector::reject(Entity entity, const std::string& id, const std::string& reason) {
  const std::string message = std::string(entityName(entity)) + " " + id + ": " + reason;
  context_->status.rejected(message);
  log::warn("plania", "record rejected",
            {{"instance", instance_},
             {"entity", std::string(entityName(entity))},
             {"id", id},
             {"reason", reason}});
}

std::optional<CustomerSeen> PlaniaConnector::customerOnDemand(const std::string& customerId,
                                                              std::optional<PassError>& failure,
                                                              std::string& rejection) {
  services::ClientRequest req;
  req.caFile = settings_.caFile;
  req.url = settings_.baseUrl + "/api/v1/customers/" + customerId;
  req.headers = {{"Authorization", "Bearer " + settings_.token},
                 {"Accept", "application/json"},
                 {"User-Agent", userAgent_}};
  req.timeout = settings_.requestTimeout;
  auto res = services::httpRequest(req);
  const std::string what = "GET customers/" + customerId + ": ";
  if (!res) {
    failure = PassError{Error::retry(what + res.error().message), services::Health::kDegraded};
    return std::nullopt;
  }
  const auto& r = res.value();
  if (r.status == 404) {
    rejection = "customerId: no such customer in Plania";
    return std::nullopt;
  }
  if (r.status != 200 || r.header("content-type").find("json") == std::string::npos) {
    failure = PassError{Error::retry(what + "the source answered HTTP " + std::to_string(r.status)),
                        r.status == 401 || r.status == 403 ? services::Health::kFailing
                                                           : services::Health::kDegraded};
    return std::nullopt;
  }
  context_->status.received();
  auto customer = parseCustomer(r.body);
  if (!customer) {
    reject(Entity::kCustomer, customerId, customer.error().message);
    rejection = "customer " + customerId + " is unusable (" + customer.error().message + ")";
    return std::nullopt;
  }
  auto ref = context_->intake.personRef(customer.value().nationalIdentityNumber);
  if (!ref) {
    const std::string reason = "nationalIdentityNumber: " + ref.error().message;
    reject(Entity::kCustomer, customerId, reason);
    rejection = "customer " + customerId + " has no valid national identity number";
    return std::nullopt;
  }
  CustomerSeen seen{ref.value(), customer.value().householdSize};
  // Not the customer watermark: the customer poll will still pass over this record.
  seen_->commit(Entity::kCustomer, {{customerId, toSeenJson(seen), customer.value().head.updated}},
                std::nullopt);
  return seen;
}

struct PlaniaConnector::Planned {
  std::string id;
  std::string updated;
  std::optional<std::string> seenJson;  // nothing: rejected, or nothing to record
  std::vector<Derived> events;
  std::optional<std::string> rejection;
  std::optional<std::string> retryError;
  std::size_t fresh = 0;
  std::size_t duplicates = 0;
};

std::optional<PlaniaConnector::Planned> PlaniaConnector::plan(Entity entity,
                                                              const std::string& item,
                                                              const std::string& where,
                                                              std::optional<PassError>& stopAt) {
  auto& intake = context_->intake;
  auto head = parseHead(item);
  if (!head) {
    // Without an id and a time it can be neither recorded nor ordered.
    reject(entity, where, head.error().message);
    return std::nullopt;
  }
  Planned pl{head.value().id, head.value().updated, {}, {}, {}, {}, 0, 0};
  const auto previousJson = seen_->seen(entity, pl.id);

  switch (entity) {
    case Entity::kCustomer: {
      auto c = parseCustomer(item);
      if (!c) {
        pl.rejection = c.error().message;
        break;
      }
      auto ref = intake.personRef(c.value().nationalIdentityNumber);
      if (!ref) {
        pl.rejection = "nationalIdentityNumber: " + ref.error().message;
        break;
      }
      pl.seenJson = toSeenJson(CustomerSeen{ref.value(), c.value().householdSize});
      break;
    }
    case Entity::kArea: {
      auto a = parseVersions(parseArea, item, previousJson, pl.rejection);
      if (!a) break;
      pl.events = deriveArea(a->previous, a->current);
      pl.seenJson = toSeenJson(a->current);
      break;
    }
    case Entity::kContract: {
      auto c = parseVersions(parseContract, item, previousJson, pl.rejection);
      if (!c) break;
      std::optional<CustomerSeen> customer;
      if (auto sj = seen_->seen(Entity::kCustomer, c->current.customerId)) {
        customer = customerSeenFromJson(*sj);
      }
      if (!customer) {
        std::string rejection;
        customer = customerOnDemand(c->current.customerId, stopAt, rejection);
        if (stopAt) return pl;
        if (!customer) {
          pl.rejection = rejection;
          break;
        }
      }
      auto derived = deriveContract(c->previous, c->current,
                                    ContractParty{customer->personRef, customer->householdSize});
      if (!derived) {
        pl.rejection = derived.error().message;
        break;
      }
      pl.events = std::move(derived.value());
      pl.seenJson = toSeenJson(c->current, customer->personRef);
      break;
    }
    case Entity::kWorkOrder: {
      auto w = parseVersions(parseWorkOrder, item, previousJson, pl.rejection);
      if (!w) break;
      std::optional<Tenancy> tenancy;
      if (auto t = seen_->tenancyOn(w->current.areaId)) {
        const auto ref = personRefOfSeenContract(t->stateJson);
        if (!ref.empty()) tenancy = Tenancy{t->id, ref};
      }
      pl.events = deriveWorkOrder(w->previous, w->current, tenancy);
      pl.seenJson = toSeenJson(w->current);
      break;
    }
  }
  if (stopAt) return pl;
  // The overlap re-reads the record at the watermark: same state, nothing to write.
  if (pl.seenJson && previousJson && *pl.seenJson == *previousJson && pl.events.empty()) {
    pl.seenJson.reset();
  }
  return pl;
}

void PlaniaConnector::submit(std::vector<Planned>& planned) {
  auto& intake = context_->intake;
  // Submit everything the page derived at once, so the outbox commits it together.
  std::mutex m;
  std::condition_variable cv;
  std::size_t pending = 0;
  for (std::size_t r = 0; r < planned.size(); ++r) {
    auto& pl = planned[r];
    if (pl.rejection) continue;
    for (auto& d : pl.events) {
      {
        std::lock_guard lock(m);
        ++pending;
      }
      auto queued = intake.submit(pl.id, d.version, {d.event}, [&, r](Result<IntakeOutcome> res) {
        std::lock_guard lock(m);
        auto& target = planned[r];
        if (!res) {
          if (res.error().retryable()) {
            target.retryError = res.error().message;
          } else {
            target.rejection = res.error().message;
          }
        } else {
          target.fresh += res.value().fresh;
          target.duplicates += res.value().duplicates;
        }
        --pending;
        cv.notify_all();
      });
      if (!queued) {
        std::lock_guard lock(m);
        --pending;
        if (queued.error().retryable()) {
          pl.retryError = queued.error().message;
        } else {
          pl.rejection = queued.error().message;
        }
      }
    }
  }
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return pending == 0; });
  }
}

std::optional<PlaniaConnector::PassError> PlaniaConnector::pollEntity(Entity entity) {
  std::optional<std::string> since = seen_->watermark(entity);
  for (int page = 1, fetched = 0; !stopping() && fetched < kMaxPagesPerPass; ++fetched) {
    PassError fetchFailure{Error::retry(""), services::Health::kDegraded};
    auto fetched_page = fetchPage(entity, since, page, fetchFailure);
    if (!fetched_page) return fetchFailure;
    const Page& p = fetched_page.value();

    std::vector<Planned> planned;
    std::optional<PassError> stopAt;
    for (std::size_t i = 0; i < p.items.size() && !stopping() && !stopAt; ++i) {
      context_->status.received();
      const std::string where =
          "(page " + std::to_string(page) + " item " + std::to_string(i + 1) + ")";
      if (auto pl = plan(entity, p.items[i], where, stopAt); pl && !stopAt) {
        planned.push_back(std::move(*pl));
      }
    }
    submit(planned);

    // Record the prefix of the page whose events are durable; the watermark never
    // passes a record that still has to be done.
    std::vector<SeenStore::Row> rows;
    std::optional<std::string> watermark;
    std::size_t fresh = 0;
    std::size_t duplicates = 0;
    for (auto& pl : planned) {
      if (pl.retryError) {
        if (!stopAt) {
          stopAt = PassError{
              Error::retry(std::string(entityName(entity)) + " " + pl.id + ": " + *pl.retryError),
              services::Health::kDegraded};
        }
        break;
      }
      if (pl.rejection) {
        reject(entity, pl.id, *pl.rejection);
      } else if (pl.seenJson) {
        rows.push_back({pl.id, *pl.seenJson, pl.updated});
      }
      fresh += pl.fresh;
      duplicates += pl.duplicates;
      if (!watermark || pl.updated > *watermark) watermark = pl.updated;
    }
    seen_->commit(entity, rows, watermark);
    if (entity == Entity::kContract && !rows.empty()) {
      waitingList_->set(static_cast<double>(seen_->waitingListSize()));
    }
    if (fresh > 0 || duplicates > 0) context_->status.succeeded(fresh, duplicates);
    if (stopAt) return stopAt;

    const bool last = p.items.size() < static_cast<std::size_t>(settings_.pageSize) ||
                      (p.totalPages && page >= *p.totalPages);
    if (last) break;
    if (watermark && (!since || *watermark > *since)) {
      // Start again from the newest record seen: records that changed while we paged
      // moved behind it, and page numbers would skip them.
      since = watermark;
      page = 1;
    } else {
      ++page;  // a full page of one timestamp: only paging gets past it
    }
  }
  return std::nullopt;
}

}  // namespace wayhome::connectors::plania
