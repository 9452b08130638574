#include "ops_api.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/runtime/blocking_pool.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/schemas/json_writer.hpp>

#include "dashboard.hpp"  // generated: kDashboardHtml

namespace wayhome::services {
namespace {

using namespace schemas::json;

/// A response whose JSON body `write(JsonWriter&)` writes.
template <class Write>
HttpResponse jsonResponse(int status, Write&& write) {
  return HttpResponse::json(status, schemas::json::text(std::forward<Write>(write)));
}

/// The member `"<name>": [ item, ... ]` with each item written by `writeItem(w, item)`.
template <class Items, class WriteItem>
void writeList(JsonWriter& w, std::string_view name, const Items& items, WriteItem writeItem) {
  key(w, name);
  w.StartArray();
  for (const auto& item : items)
    writeItem(w, item);
  w.EndArray();
}

/// `{"<name>": [ item, ... ]}`.
template <class Items, class WriteItem>
HttpResponse listResponse(std::string_view name, const Items& items, WriteItem writeItem) {
  return jsonResponse(200, [&](JsonWriter& w) {
    w.StartObject();
    writeList(w, name, items, writeItem);
    w.EndObject();
  });
}

void writeStatus(JsonWriter& w, const StatusSnapshot& s) {
  w.StartObject();
  member(w, "name", s.name);
  member(w, "type", s.kind);
  member(w, "health", healthName(s.health));
  member(w, "paused", s.paused);
  key(w, "last_error");
  if (s.lastError.empty()) {
    w.Null();
  } else {
    string(w, s.lastError);
  }
  member(w, "last_error_ms", s.lastErrorMs);
  member(w, "last_success_ms", s.lastSuccessMs);
  key(w, "counts");
  w.StartObject();
  member(w, "in", s.in);
  member(w, "out", s.out);
  member(w, "rejected", s.rejected);
  member(w, "duplicates", s.duplicates);
  w.EndObject();
  w.EndObject();
}

HttpResponse statusResponse(const StatusSnapshot& s) {
  return jsonResponse(200, [&](JsonWriter& w) { writeStatus(w, s); });
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

/// Text that may be anything: a JSON string when it is UTF-8, else `<name>_base64`.
void writeBytes(JsonWriter& w, std::string_view name, std::string_view bytes) {
  if (text::validUtf8(bytes)) {
    member(w, name, bytes);
  } else {
    member(w, std::string(name) + "_base64", base64(bytes));
  }
}

void writeDeadLetter(JsonWriter& w, const DeadLetter& d, bool full) {
  w.StartObject();
  member(w, "id", d.id);
  member(w, "service", d.service);
  member(w, "state", d.state);
  if (!d.actor.empty()) {
    member(w, "actor", d.actor);
    member(w, "action_ms", d.actionMs);
  }
  // Dead letters written before the reason was redacted at the source, or by others.
  writeBytes(w, "reason", redact::identityNumbers(d.reason));
  key(w, "original");
  w.StartObject();
  member(w, "topic", d.originalTopic);
  member(w, "partition", d.originalPartition);
  member(w, "offset", d.originalOffset);
  w.EndObject();
  writeBytes(w, "failed_at", d.failedAt);
  writeBytes(w, "key", d.record.key);
  if (const auto* type = d.record.header("ce_type")) writeBytes(w, "ce_type", *type);
  if (const auto* id = d.record.header("ce_id")) writeBytes(w, "ce_id", *id);
  member(w, "size", d.record.value.size());
  if (full) {
    writeBytes(w, "value", d.record.value);
    key(w, "headers");
    w.StartArray();
    for (const auto& h : d.record.headers) {
      w.StartObject();
      writeBytes(w, "name", h.name);
      writeBytes(w, "value", h.value);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

HttpResponse deadLetterResponse(const DeadLetter& d, bool full) {
  return jsonResponse(200, [&](JsonWriter& w) { writeDeadLetter(w, d, full); });
}

HttpResponse errorFor(const Error& e) {
  const std::string& m = e.message;
  if (m.rfind("not found", 0) == 0) return HttpResponse::error(404, m);
  if (m.rfind("conflict", 0) == 0) return HttpResponse::error(409, m);
  if (e.retryable()) {
    auto r = HttpResponse::error(503, m);
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  return HttpResponse::error(400, m);
}

using Role = OpsAuth::Role;

/// The ops API's routes under /metrics and /api/v1: each handler runs only for a
/// caller with its role and is told who the caller is; a request other than GET is
/// refused on its headers, before its body is read.
class OpsRoutes {
 public:
  using RoleHandler = std::function<HttpResponse(const HttpRequest&, const std::string& actor)>;

  OpsRoutes(HttpRouter& router, const OpsContext& context)
      : router_(router), auth_(context.auth), pool_(context.pool) {}

  /// A handler that answers at once, on an I/O thread.
  void add(const std::string& method, std::string path, Role role, RoleHandler handler) {
    router_.add(method, std::move(path), guarded(role, std::move(handler)),
                bodyGuard(method, role));
  }
  /// A handler that may block (bus scans, replays, restarts): it runs on the pool.
  void addBlocking(const std::string& method, std::string path, Role role, RoleHandler handler) {
    router_.addBlocking(method, std::move(path), guarded(role, std::move(handler)), pool_,
                        bodyGuard(method, role));
  }

 private:
  Handler guarded(Role role, RoleHandler handler) const {
    return [&auth = auth_, role, handler = std::move(handler)](const HttpRequest& request) {
      std::string actor;
      if (auto refusal = auth.check(request, role, actor)) return std::move(*refusal);
      return handler(request, actor);
    };
  }
  // The role check of guarded() on the headers alone, for requests with a body.
  Guard bodyGuard(const std::string& method, Role role) const {
    if (method == "GET") return {};
    return [&auth = auth_, role](const HttpRequest& request) {
      std::string actor;
      return auth.check(request, role, actor);
    };
  }

  HttpRouter& router_;
  const OpsAuth& auth_;
  BlockingPool& pool_;
};

}  // namespace

HttpResponse healthzResponse(std::chrono::steady_clock::duration uptime) {
  return jsonResponse(200, [&](JsonWriter& w) {
    w.StartObject();
    member(w, "status", "ok");
    member(w, "version", WAYHOME_VERSION);
    member(w, "uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
    w.EndObject();
  });
}

HttpResponse readyzResponse(const HealthSnapshot& h, const std::vector<StatusSnapshot>& components,
                            std::string_view bootstrap, bool details) {
  std::string failing;
  for (const auto& c : components) {
    if (c.health == Health::kFailing) failing += (failing.empty() ? "" : ", ") + c.name;
  }
  const bool ready = h.ready() && failing.empty();
  return jsonResponse(ready ? 200 : 503, [&](JsonWriter& w) {
    w.StartObject();
    member(w, "ready", ready);
    key(w, "checks");
    w.StartObject();
    key(w, "bus");
    w.StartObject();
    member(w, "ok", h.busOk);
    // Where the bus is and what failed only for a caller who may read the ops API.
    if (details) {
      member(w, "brokers", h.brokers);
      member(w, "bootstrap", bootstrap);
    }
    if (!h.busOk && details) member(w, "reason", h.busError);
    w.EndObject();
    key(w, "state");
    w.StartObject();
    member(w, "ok", h.stateOk);
    if (details) member(w, "schema_version", h.stateVersion);
    w.EndObject();
    key(w, "schemas");
    w.StartObject();
    member(w, "ok", h.schemaCount > 0);
    member(w, "count", h.schemaCount);
    w.EndObject();
    key(w, "connectors");
    w.StartObject();
    member(w, "ok", failing.empty());
    if (!failing.empty() && details) member(w, "reason", "failing: " + failing);
    w.EndObject();
    w.EndObject();
    w.EndObject();
  });
}

namespace {

/// The `limit` query parameter: `fallback` when absent, else a whole number 1..max.
std::optional<std::size_t> queryLimit(const HttpRequest& request, std::size_t fallback,
                                      long long max) {
  const auto it = request.query.find("limit");
  if (it == request.query.end()) return fallback;
  try {
    std::size_t used = 0;
    const long long n = std::stoll(it->second, &used);
    if (used == it->second.size() && n >= 1 && n <= max) return static_cast<std::size_t>(n);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

void addProbeRoutes(HttpRouter& router, const OpsContext& context) {
  router.add("GET", "/healthz", [startedAt = context.startedAt](const HttpRequest&) {
    return healthzResponse(std::chrono::steady_clock::now() - startedAt);
  });
  router.add("GET", "/readyz",
             [&health = context.health, &status = context.status, &auth = context.auth,
              bootstrap = context.bootstrap](const HttpRequest& request) {
               // Open for orchestrators; the details only for a caller who may read.
               std::string actor;
               const bool details = !auth.check(request, OpsAuth::Role::kViewer, actor);
               return readyzResponse(health.snapshot(), status.snapshot(), bootstrap, details);
             });
}

void addDashboardRoutes(HttpRouter& router, const OpsContext& /*context*/) {
  // The page itself holds no data; what it shows comes from the API below, with the
  // operator's token.
  auto dashboard = [](const HttpRequest&) {
    HttpResponse r;
    r.contentType = "text/html; charset=utf-8";
    r.body = kDashboardHtml;
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'unsafe-inline'; style-src "
                           "'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  };
  router.add("GET", "/", dashboard);
  router.add("GET", "/dashboard", dashboard);
}

void addMetricsRoute(OpsRoutes& routes, const OpsContext& context) {
  routes.add("GET", "/metrics", Role::kViewer,
             [&metrics = context.metrics](const HttpRequest&, const std::string&) {
               HttpResponse r;
               r.contentType = "text/plain; version=0.0.4; charset=utf-8";
               r.body = metrics.render();
               return r;
             });
}

void addConnectorRoutes(OpsRoutes& routes, const OpsContext& context) {
  routes.add("GET", "/api/v1/connectors", Role::kViewer,
             [&status = context.status](const HttpRequest&, const std::string&) {
               return listResponse("connectors", status.snapshot(), writeStatus);
             });
  routes.add("GET", "/api/v1/connectors/{name}", Role::kViewer,
             [&status = context.status](const HttpRequest& request, const std::string&) {
               const std::string& name = request.params.at("name");
               for (const auto& s : status.snapshot()) {
                 if (s.name == name) return statusResponse(s);
               }
               return HttpResponse::error(404, "no connector called '" + name + "'");
             });

  auto pause = [&status = context.status](bool paused) {
    return [&status, paused](const HttpRequest& request, const std::string& actor) {
      const std::string& name = request.params.at("name");
      auto entry = status.find(name);
      if (!entry) return HttpResponse::error(404, "no connector called '" + name + "'");
      entry->setPaused(paused);
      log::info("ops", paused ? "connector paused" : "connector resumed",
                {{"connector", name}, {"actor", actor}});
      return statusResponse(entry->snapshot());
    };
  };
  routes.addBlocking(
      "POST", "/api/v1/connectors/{name}/restart", Role::kAdmin,
      [&status = context.status](const HttpRequest& request, const std::string& actor) {
        const std::string& name = request.params.at("name");
        auto entry = status.find(name);
        if (!entry) return HttpResponse::error(404, "no connector called '" + name + "'");
        log::info("ops", "connector restart asked", {{"connector", name}, {"actor", actor}});
        const auto failed = entry->restart();
        if (!failed) {
          return HttpResponse::error(409, "'" + name + "' cannot be restarted");
        }
        if (!failed->empty()) {
          return HttpResponse::error(500, "restart of '" + name + "' failed: " + *failed);
        }
        return statusResponse(entry->snapshot());
      });
  routes.add("POST", "/api/v1/connectors/{name}/pause", Role::kAdmin, pause(true));
  routes.add("POST", "/api/v1/connectors/{name}/resume", Role::kAdmin, pause(false));
}

void addReloadRoute(OpsRoutes& routes, const OpsContext& context) {
  routes.add("POST", "/api/v1/reload", Role::kAdmin,
             [reload = context.reload](const HttpRequest&, const std::string& actor) {
               log::info("ops", "reload requested", {{"actor", actor}});
               const auto answers = reload();
               std::string refusals;
               for (const auto& a : answers) {
                 if (!a.outcome.reloaded) {
                   refusals +=
                       (refusals.empty() ? "" : "; ") + a.component + ": " + a.outcome.detail;
                 }
               }
               // 422: something was refused and keeps running as it was.
               return jsonResponse(refusals.empty() ? 200 : 422, [&](JsonWriter& w) {
                 w.StartObject();
                 key(w, "components");
                 w.StartArray();
                 for (const auto& a : answers) {
                   w.StartObject();
                   member(w, "component", a.component);
                   member(w, "reloaded", a.outcome.reloaded);
                   member(w, "detail", a.outcome.detail);
                   w.EndObject();
                 }
                 w.EndArray();
                 if (!refusals.empty()) member(w, "error", refusals);
                 w.EndObject();
               });
             });
}

void writeTopic(JsonWriter& w, const TopicInfo& t) {
  w.StartObject();
  member(w, "name", t.name);
  member(w, "messages", t.messages);
  member(w, "written", t.written);
  member(w, "rate_per_second", t.ratePerSecond);
  if (!t.error.empty()) member(w, "error", t.error);
  key(w, "partitions");
  w.StartArray();
  for (const auto& p : t.partitions) {
    w.StartObject();
    member(w, "partition", p.id);
    member(w, "low_watermark", p.low);
    member(w, "high_watermark", p.high);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

/// A message of the live tail: where it is and what it is, not what it says.
void writeMessageSummary(JsonWriter& w, const bus::KafkaRecord& r) {
  w.StartObject();
  member(w, "partition", r.partition);
  member(w, "offset", r.offset);
  member(w, "timestamp_ms", r.timestampMs);
  writeBytes(w, "key", r.key);
  for (const char* h : {"ce_type", "ce_id", "ce_source", "ce_time"}) {
    if (const auto* v = r.header(h)) writeBytes(w, h, *v);
  }
  member(w, "size", r.value.size());
  w.EndObject();
}

void addTopicRoutes(OpsRoutes& routes, const OpsContext& context) {
  routes.add("GET", "/api/v1/topics", Role::kViewer,
             [&monitor = context.topicMonitor](const HttpRequest&, const std::string&) {
               return listResponse("topics", monitor.snapshot(), writeTopic);
             });

  // The newest messages of one of our topics, without their data: the live tail shows
  // what flows (type, key = person_ref, time), not what it says.
  routes.addBlocking(
      "GET", "/api/v1/topics/{name}/messages", Role::kViewer,
      [&topics = context.topics, &busClient = context.busClient, &producer = context.producer](
          const HttpRequest& request, const std::string&) {
        const std::string& name = request.params.at("name");
        bool known = false;
        for (const auto& t : topics.all(1))
          known = known || t.name == name;
        if (!known) return HttpResponse::error(404, "no topic called '" + name + "'");
        const auto limit = queryLimit(request, 20, 1000);
        if (!limit) {
          return HttpResponse::error(400, "limit: must be a whole number from 1 to 1000");
        }
        auto records = readNewest(busClient, producer, name, *limit);
        if (!records.ok()) return errorFor(records.error());
        auto& all = records.value();
        std::sort(all.begin(), all.end(),
                  [](const auto& a, const auto& b) { return a.timestampMs > b.timestampMs; });
        if (all.size() > *limit) all.resize(*limit);
        return jsonResponse(200, [&](JsonWriter& w) {
          w.StartObject();
          member(w, "topic", name);
          writeList(w, "messages", all, writeMessageSummary);
          w.EndObject();
        });
      });
}

void addSchemaRoutes(OpsRoutes& routes, const OpsContext& context) {
  routes.add("GET", "/api/v1/schemas", Role::kViewer,
             [&schemas = context.schemas](const HttpRequest&, const std::string&) {
               return listResponse("schemas", schemas.types(),
                                   [](JsonWriter& w, const std::string& type) {
                                     w.StartObject();
                                     member(w, "type", type);
                                     member(w, "href", "/api/v1/schemas/" + type);
                                     w.EndObject();
                                   });
             });
  routes.add("GET", "/api/v1/schemas/{type}", Role::kViewer,
             [&schemas = context.schemas](const HttpRequest& request, const std::string&) {
               const std::string& type = request.params.at("type");
               const auto* schema = schemas.find(type);
               if (schema == nullptr) {
                 return HttpResponse::error(404, "no schema for type '" + type + "'");
               }
               auto r = HttpResponse::json(200, schema->text());
               r.contentType = "application/schema+json";
               return r;
             });
  routes.add("POST", "/api/v1/schemas/{type}/validate", Role::kViewer,
             [&schemas = context.schemas](const HttpRequest& request, const std::string&) {
               const std::string& type = request.params.at("type");
               if (!schemas.has(type)) {
                 return HttpResponse::error(404, "no schema for type '" + type + "'");
               }
               const auto invalid = schemas.validate(type, request.body);
               if (!invalid) return HttpResponse::json(200, "{\"valid\":true}");
               std::string extra = "\"valid\":false,\"pointer\":";
               schemas::appendJsonString(extra, invalid->pointer);
               extra += ",\"keyword\":";
               schemas::appendJsonString(extra, invalid->keyword);
               // Text that cannot be read (not JSON, too deep) is a bad request;
               // JSON that breaks the schema is unprocessable.
               return HttpResponse::error(invalid->keyword == "parse" ? 400 : 422, invalid->message,
                                          extra);
             });

  routes.add(
      "GET", "/api/v1/asyncapi", Role::kViewer,
      [document = asyncApiDocument(context.schemas, context.topics)](
          const HttpRequest&, const std::string&) { return HttpResponse::json(200, document); });
}

void addDeadLetterRoutes(OpsRoutes& routes, const OpsContext& context) {
  auto& dlq = context.deadLetters;
  routes.addBlocking(
      "GET", "/api/v1/dlq", Role::kViewer, [&dlq](const HttpRequest& request, const std::string&) {
        const auto limit = queryLimit(request, 100, 10000);
        if (!limit) {
          return HttpResponse::error(400, "limit: must be a whole number from 1 to 10000");
        }
        const auto service =
            request.query.contains("service") ? request.query.at("service") : std::string();
        auto letters = dlq.list(service, *limit);
        if (!letters.ok()) return errorFor(letters.error());
        return listResponse(
            "dead_letters", letters.value(),
            [](JsonWriter& w, const DeadLetter& d) { writeDeadLetter(w, d, false); });
      });
  routes.addBlocking(
      "GET", "/api/v1/dlq/{id}", Role::kViewer,
      [&dlq, &auth = context.auth](const HttpRequest& request, const std::string& actor) {
        auto d = dlq.find(request.params.at("id"));
        if (!d.ok()) return errorFor(d.error());
        // The value holds a whole referral: only admins see it, and
        // each such read is audited first.
        const bool full = auth.isAdmin(request);
        if (full) {
          if (auto audited = dlq.auditRead(d.value(), actor); !audited) {
            return errorFor(audited.error());
          }
        }
        return deadLetterResponse(d.value(), full);
      });
  auto action = [&dlq](bool replay) {
    return [&dlq, replay](const HttpRequest& request, const std::string& actor) {
      auto d = replay ? dlq.replay(request.params.at("id"), actor)
                      : dlq.discard(request.params.at("id"), actor);
      if (!d.ok()) return errorFor(d.error());
      return deadLetterResponse(d.value(), false);
    };
  };
  routes.addBlocking("POST", "/api/v1/dlq/{id}/replay", Role::kAdmin, action(true));
  routes.addBlocking("POST", "/api/v1/dlq/{id}/discard", Role::kAdmin, action(false));
}

}  // namespace

void registerOpsRoutes(HttpRouter& router, const OpsContext& context) {
  addProbeRoutes(router, context);
  addDashboardRoutes(router, context);
  OpsRoutes routes(router, context);
  addMetricsRoute(routes, context);
  addConnectorRoutes(routes, context);
  addReloadRoute(routes, context);
  addTopicRoutes(routes, context);
  addSchemaRoutes(routes, context);
  addDeadLetterRoutes(routes, context);
}

void registerServiceMetrics(const OpsContext& context) {
  Metrics& m = context.metrics;
  m.gauge("wayhome_build_info", "Build information; always 1.", {{"version", WAYHOME_VERSION}})
      .set(1);
  m.addCollector(
      "wayhome_uptime_seconds", "Seconds since the process started.", "gauge",
      [startedAt = context.startedAt] {
        return std::vector<Metrics::Sample>{
            {{},
             std::chrono::duration<double>(std::chrono::steady_clock::now() - startedAt).count()}};
      });
  auto perConnector = [&status = context.status](auto field) {
    return [&status, field] {
      std::vector<Metrics::Sample> out;
      for (const auto& s : status.snapshot()) {
        out.push_back({{{"connector", s.name}, {"type", s.kind}}, static_cast<double>(field(s))});
      }
      return out;
    };
  };
  m.addCollector("wayhome_connector_records_in_total", "Records received from the source.",
                 "counter", perConnector([](const StatusSnapshot& s) { return s.in; }));
  m.addCollector("wayhome_connector_events_out_total", "Events accepted into the outbox.",
                 "counter", perConnector([](const StatusSnapshot& s) { return s.out; }));
  m.addCollector("wayhome_connector_records_rejected_total", "Records refused as bad input.",
                 "counter", perConnector([](const StatusSnapshot& s) { return s.rejected; }));
  m.addCollector("wayhome_connector_records_duplicate_total",
                 "Records seen before (no second event).", "counter",
                 perConnector([](const StatusSnapshot& s) { return s.duplicates; }));
  m.addCollector(
      "wayhome_connector_up",
      "1 while the connector is running, 0.5 degraded, 0 failing or stopped.", "gauge",
      perConnector([](const StatusSnapshot& s) {
        return s.health == Health::kRunning ? 1.0 : s.health == Health::kDegraded ? 0.5 : 0.0;
      }));
  // One unlabelled sample: what `field(outbox)` reads.
  auto ofOutbox = [&outbox = context.outbox](auto field) {
    return [&outbox, field] {
      return std::vector<Metrics::Sample>{{{}, static_cast<double>(field(outbox))}};
    };
  };
  m.addCollector("wayhome_outbox_backlog", "Events accepted but not yet confirmed by the bus.",
                 "gauge", ofOutbox([](bus::Outbox& o) { return o.backlog(); }));
  m.addCollector("wayhome_outbox_oldest_age_seconds",
                 "Age of the oldest event waiting for the bus; 0 when none waits.", "gauge",
                 ofOutbox([](bus::Outbox& o) { return o.oldestPendingAgeMs() / 1000.0; }));
  m.addCollector("wayhome_outbox_appended_total", "Events appended to the outbox since start.",
                 "counter", ofOutbox([](bus::Outbox& o) { return o.appendedTotal(); }));
  m.addCollector("wayhome_outbox_published_total", "Events the bus confirmed since start.",
                 "counter", ofOutbox([](bus::Outbox& o) { return o.publishedTotal(); }));
  m.addCollector("wayhome_consumer_lag",
                 "Messages a consumer group of this process has not read yet, per partition.",
                 "gauge", [] {
                   std::vector<Metrics::Sample> out;
                   for (const auto& l : bus::Consumer::lagOfGroupMembers()) {
                     out.push_back({{{"group", l.group},
                                     {"topic", l.partition.topic},
                                     {"partition", std::to_string(l.partition.partition)}},
                                    static_cast<double>(l.partition.lag())});
                   }
                   return out;
                 });
  auto& monitor = context.topicMonitor;
  // A sample per topic the monitor could read: what `field(topic)` reads.
  auto perTopic = [&monitor](auto field) {
    return [&monitor, field] {
      std::vector<Metrics::Sample> out;
      for (const auto& t : monitor.snapshot()) {
        if (t.error.empty()) out.push_back({{{"topic", t.name}}, static_cast<double>(field(t))});
      }
      return out;
    };
  };
  m.addCollector("wayhome_topic_messages", "Messages held by a topic (high - low watermark).",
                 "gauge", perTopic([](const TopicInfo& t) { return t.messages; }));
  m.addCollector("wayhome_topic_written_total", "Messages ever written to a topic.", "counter",
                 perTopic([](const TopicInfo& t) { return t.written; }));
  m.addCollector("wayhome_dlq_messages", "Dead letters held, per service.", "gauge",
                 [&monitor, &topics = context.topics] {
                   std::vector<Metrics::Sample> out;
                   const auto all = monitor.snapshot();
                   for (const auto& service : bus::Topics::services()) {
                     for (const auto& t : all) {
                       if (t.name == topics.deadLetters(service) && t.error.empty()) {
                         out.push_back({{{"service", service}}, static_cast<double>(t.messages)});
                       }
                     }
                   }
                   return out;
                 });
}

}  // namespace wayhome::services
