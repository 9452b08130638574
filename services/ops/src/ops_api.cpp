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

#include "dashboard.hpp"  // generated: kDashboardHtml
#include "json_writer.hpp"

namespace wayhome::services {
namespace {

using ops_json::JsonWriter;
using ops_json::key;
using ops_json::string;

std::string finish(const rapidjson::StringBuffer& buf) {
  return {buf.GetString(), buf.GetSize()};
}

void writeStatus(JsonWriter& w, const StatusSnapshot& s) {
  w.StartObject();
  key(w, "name");
  string(w, s.name);
  key(w, "type");
  string(w, s.kind);
  key(w, "health");
  string(w, healthName(s.health));
  key(w, "paused");
  w.Bool(s.paused);
  key(w, "last_error");
  if (s.lastError.empty()) {
    w.Null();
  } else {
    string(w, s.lastError);
  }
  key(w, "last_error_ms");
  w.Int64(s.lastErrorMs);
  key(w, "last_success_ms");
  w.Int64(s.lastSuccessMs);
  key(w, "counts");
  w.StartObject();
  key(w, "in");
  w.Uint64(s.in);
  key(w, "out");
  w.Uint64(s.out);
  key(w, "rejected");
  w.Uint64(s.rejected);
  key(w, "duplicates");
  w.Uint64(s.duplicates);
  w.EndObject();
  w.EndObject();
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
    key(w, name);
    string(w, bytes);
  } else {
    key(w, std::string(name) + "_base64");
    string(w, base64(bytes));
  }
}

void writeDeadLetter(JsonWriter& w, const DeadLetter& d, bool full) {
  w.StartObject();
  key(w, "id");
  string(w, d.id);
  key(w, "service");
  string(w, d.service);
  key(w, "state");
  string(w, d.state);
  if (!d.actor.empty()) {
    key(w, "actor");
    string(w, d.actor);
    key(w, "action_ms");
    w.Int64(d.actionMs);
  }
  // Dead letters written before the reason was redacted at the source, or by others.
  writeBytes(w, "reason", redact::identityNumbers(d.reason));
  key(w, "original");
  w.StartObject();
  key(w, "topic");
  string(w, d.originalTopic);
  key(w, "partition");
  w.Int(d.originalPartition);
  key(w, "offset");
  w.Int64(d.originalOffset);
  w.EndObject();
  writeBytes(w, "failed_at", d.failedAt);
  writeBytes(w, "key", d.record.key);
  if (const auto* type = d.record.header("ce_type")) writeBytes(w, "ce_type", *type);
  if (const auto* id = d.record.header("ce_id")) writeBytes(w, "ce_id", *id);
  key(w, "size");
  w.Uint64(d.record.value.size());
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

/// Wraps a handler so that it runs only for a caller with `role`.
Handler guarded(const OpsAuth& auth, OpsAuth::Role role,
                std::function<HttpResponse(const HttpRequest&, const std::string& actor)> handler) {
  return [&auth, role, handler = std::move(handler)](const HttpRequest& request) {
    std::string actor;
    if (auto refusal = auth.check(request, role, actor)) return std::move(*refusal);
    return handler(request, actor);
  };
}

/// The role check of guarded() on the headers alone: a caller without the role is
/// refused before the body is read.
Guard roleGuard(const OpsAuth& auth, OpsAuth::Role role) {
  return [&auth, role](const HttpRequest& request) {
    std::string actor;
    return auth.check(request, role, actor);
  };
}

}  // namespace

HttpResponse healthzResponse(std::chrono::steady_clock::duration uptime) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  key(w, "status");
  string(w, "ok");
  key(w, "version");
  string(w, WAYHOME_VERSION);
  key(w, "uptime_seconds");
  w.Int64(std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
  w.EndObject();
  return HttpResponse::json(200, finish(buf));
}

HttpResponse readyzResponse(const HealthSnapshot& h, const std::vector<StatusSnapshot>& components,
                            std::string_view bootstrap, bool details) {
  std::string failing;
  for (const auto& c : components) {
    if (c.health == Health::kFailing) failing += (failing.empty() ? "" : ", ") + c.name;
  }
  const bool ready = h.ready() && failing.empty();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  key(w, "ready");
  w.Bool(ready);
  key(w, "checks");
  w.StartObject();
  key(w, "bus");
  w.StartObject();
  key(w, "ok");
  w.Bool(h.busOk);
  // Where the bus is and what failed only for a caller who may read the ops API.
  if (details) {
    key(w, "brokers");
    w.Int(h.brokers);
    key(w, "bootstrap");
    string(w, bootstrap);
  }
  if (!h.busOk && details) {
    key(w, "reason");
    string(w, h.busError);
  }
  w.EndObject();
  key(w, "state");
  w.StartObject();
  key(w, "ok");
  w.Bool(h.stateOk);
  if (details) {
    key(w, "schema_version");
    w.Int64(h.stateVersion);
  }
  w.EndObject();
  key(w, "schemas");
  w.StartObject();
  key(w, "ok");
  w.Bool(h.schemaCount > 0);
  key(w, "count");
  w.Uint64(h.schemaCount);
  w.EndObject();
  key(w, "connectors");
  w.StartObject();
  key(w, "ok");
  w.Bool(failing.empty());
  if (!failing.empty() && details) {
    key(w, "reason");
    string(w, "failing: " + failing);
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return HttpResponse::json(ready ? 200 : 503, finish(buf));
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

void addMetricsRoute(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  router.add("GET", "/metrics",
             guarded(auth, Role::kViewer,
                     [&metrics = context.metrics](const HttpRequest&, const std::string&) {
                       HttpResponse r;
                       r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                       r.body = metrics.render();
                       return r;
                     }));
}

void addConnectorRoutes(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  BlockingPool& pool = context.pool;
  router.add("GET", "/api/v1/connectors",
             guarded(auth, Role::kViewer,
                     [&status = context.status](const HttpRequest&, const std::string&) {
                       rapidjson::StringBuffer buf;
                       JsonWriter w(buf);
                       w.StartObject();
                       key(w, "connectors");
                       w.StartArray();
                       for (const auto& s : status.snapshot())
                         writeStatus(w, s);
                       w.EndArray();
                       w.EndObject();
                       return HttpResponse::json(200, finish(buf));
                     }));
  router.add("GET", "/api/v1/connectors/{name}",
             guarded(auth, Role::kViewer,
                     [&status = context.status](const HttpRequest& request, const std::string&) {
                       const std::string& name = request.params.at("name");
                       for (const auto& s : status.snapshot()) {
                         if (s.name != name) continue;
                         rapidjson::StringBuffer buf;
                         JsonWriter w(buf);
                         writeStatus(w, s);
                         return HttpResponse::json(200, finish(buf));
                       }
                       return HttpResponse::error(404, "no connector called '" + name + "'");
                     }));

  auto pause = [&status = context.status](bool paused) {
    return [&status, paused](const HttpRequest& request, const std::string& actor) {
      const std::string& name = request.params.at("name");
      auto entry = status.find(name);
      if (!entry) return HttpResponse::error(404, "no connector called '" + name + "'");
      entry->setPaused(paused);
      log::info("ops", paused ? "connector paused" : "connector resumed",
                {{"connector", name}, {"actor", actor}});
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      writeStatus(w, entry->snapshot());
      return HttpResponse::json(200, finish(buf));
    };
  };
  router.addBlocking(
      "POST", "/api/v1/connectors/{name}/restart",
      guarded(
          auth, Role::kAdmin,
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
            rapidjson::StringBuffer buf;
            JsonWriter w(buf);
            writeStatus(w, entry->snapshot());
            return HttpResponse::json(200, finish(buf));
          }),
      pool, roleGuard(auth, Role::kAdmin));
  router.add("POST", "/api/v1/connectors/{name}/pause", guarded(auth, Role::kAdmin, pause(true)),
             roleGuard(auth, Role::kAdmin));
  router.add("POST", "/api/v1/connectors/{name}/resume", guarded(auth, Role::kAdmin, pause(false)),
             roleGuard(auth, Role::kAdmin));
}

void addReloadRoute(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  router.add("POST", "/api/v1/reload",
             guarded(auth, Role::kAdmin,
                     [reload = context.reload](const HttpRequest&, const std::string& actor) {
                       log::info("ops", "reload requested", {{"actor", actor}});
                       const auto answers = reload();
                       std::string refusals;
                       rapidjson::StringBuffer buf;
                       JsonWriter w(buf);
                       w.StartObject();
                       key(w, "components");
                       w.StartArray();
                       for (const auto& a : answers) {
                         if (!a.outcome.reloaded) {
                           refusals += (refusals.empty() ? "" : "; ") + a.component + ": " +
                                       a.outcome.detail;
                         }
                         w.StartObject();
                         key(w, "component");
                         w.String(a.component.c_str());
                         key(w, "reloaded");
                         w.Bool(a.outcome.reloaded);
                         key(w, "detail");
                         w.String(a.outcome.detail.c_str());
                         w.EndObject();
                       }
                       w.EndArray();
                       if (!refusals.empty()) {
                         key(w, "error");
                         w.String(refusals.c_str());
                       }
                       w.EndObject();
                       // 422: something was refused and keeps running as it was.
                       return HttpResponse::json(refusals.empty() ? 200 : 422, finish(buf));
                     }),
             roleGuard(auth, Role::kAdmin));
}

void addTopicRoutes(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  BlockingPool& pool = context.pool;
  router.add("GET", "/api/v1/topics",
             guarded(auth, Role::kViewer,
                     [&monitor = context.topicMonitor](const HttpRequest&, const std::string&) {
                       rapidjson::StringBuffer buf;
                       JsonWriter w(buf);
                       w.StartObject();
                       key(w, "topics");
                       w.StartArray();
                       for (const auto& t : monitor.snapshot()) {
                         w.StartObject();
                         key(w, "name");
                         string(w, t.name);
                         key(w, "messages");
                         w.Int64(t.messages);
                         key(w, "written");
                         w.Int64(t.written);
                         key(w, "rate_per_second");
                         w.Double(t.ratePerSecond);
                         if (!t.error.empty()) {
                           key(w, "error");
                           string(w, t.error);
                         }
                         key(w, "partitions");
                         w.StartArray();
                         for (const auto& p : t.partitions) {
                           w.StartObject();
                           key(w, "partition");
                           w.Int(p.id);
                           key(w, "low_watermark");
                           w.Int64(p.low);
                           key(w, "high_watermark");
                           w.Int64(p.high);
                           w.EndObject();
                         }
                         w.EndArray();
                         w.EndObject();
                       }
                       w.EndArray();
                       w.EndObject();
                       return HttpResponse::json(200, finish(buf));
                     }));

  // The newest messages of one of our topics, without their data: the live tail shows
  // what flows (type, key = person_ref, time), not what it says.
  router.addBlocking(
      "GET", "/api/v1/topics/{name}/messages",
      guarded(auth, Role::kViewer,
              [&topics = context.topics, &busClient = context.busClient,
               &producer = context.producer](const HttpRequest& request, const std::string&) {
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
                std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
                  return a.timestampMs > b.timestampMs;
                });
                if (all.size() > *limit) all.resize(*limit);
                rapidjson::StringBuffer buf;
                JsonWriter w(buf);
                w.StartObject();
                key(w, "topic");
                string(w, name);
                key(w, "messages");
                w.StartArray();
                for (const auto& r : all) {
                  w.StartObject();
                  key(w, "partition");
                  w.Int(r.partition);
                  key(w, "offset");
                  w.Int64(r.offset);
                  key(w, "timestamp_ms");
                  w.Int64(r.timestampMs);
                  writeBytes(w, "key", r.key);
                  for (const char* h : {"ce_type", "ce_id", "ce_source", "ce_time"}) {
                    if (const auto* v = r.header(h)) writeBytes(w, h, *v);
                  }
                  key(w, "size");
                  w.Uint64(r.value.size());
                  w.EndObject();
                }
                w.EndArray();
                w.EndObject();
                return HttpResponse::json(200, finish(buf));
              }),
      pool);
}

void addSchemaRoutes(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  router.add("GET", "/api/v1/schemas",
             guarded(auth, Role::kViewer,
                     [&schemas = context.schemas](const HttpRequest&, const std::string&) {
                       rapidjson::StringBuffer buf;
                       JsonWriter w(buf);
                       w.StartObject();
                       key(w, "schemas");
                       w.StartArray();
                       for (const auto& type : schemas.types()) {
                         w.StartObject();
                         key(w, "type");
                         string(w, type);
                         key(w, "href");
                         string(w, "/api/v1/schemas/" + type);
                         w.EndObject();
                       }
                       w.EndArray();
                       w.EndObject();
                       return HttpResponse::json(200, finish(buf));
                     }));
  router.add("GET", "/api/v1/schemas/{type}",
             guarded(auth, Role::kViewer,
                     [&schemas = context.schemas](const HttpRequest& request, const std::string&) {
                       const std::string& type = request.params.at("type");
                       const auto* schema = schemas.find(type);
                       if (schema == nullptr) {
                         return HttpResponse::error(404, "no schema for type '" + type + "'");
                       }
                       auto r = HttpResponse::json(200, schema->text());
                       r.contentType = "application/schema+json";
                       return r;
                     }));
  router.add("POST", "/api/v1/schemas/{type}/validate",
             guarded(auth, Role::kViewer,
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
                       return HttpResponse::error(invalid->keyword == "parse" ? 400 : 422,
                                                  invalid->message, extra);
                     }),
             roleGuard(auth, Role::kViewer));

  router.add("GET", "/api/v1/asyncapi",
             guarded(auth, Role::kViewer,
                     [document = asyncApiDocument(context.schemas, context.topics)](
                         const HttpRequest&, const std::string&) {
                       return HttpResponse::json(200, document);
                     }));
}

void addDeadLetterRoutes(HttpRouter& router, const OpsContext& context) {
  using Role = OpsAuth::Role;
  const OpsAuth& auth = context.auth;
  BlockingPool& pool = context.pool;
  auto& dlq = context.deadLetters;
  router.addBlocking(
      "GET", "/api/v1/dlq",
      guarded(auth, Role::kViewer,
              [&dlq](const HttpRequest& request, const std::string&) {
                const auto limit = queryLimit(request, 100, 10000);
                if (!limit) {
                  return HttpResponse::error(400, "limit: must be a whole number from 1 to 10000");
                }
                const auto service =
                    request.query.contains("service") ? request.query.at("service") : std::string();
                auto letters = dlq.list(service, *limit);
                if (!letters.ok()) return errorFor(letters.error());
                rapidjson::StringBuffer buf;
                JsonWriter w(buf);
                w.StartObject();
                key(w, "dead_letters");
                w.StartArray();
                for (const auto& d : letters.value())
                  writeDeadLetter(w, d, false);
                w.EndArray();
                w.EndObject();
                return HttpResponse::json(200, finish(buf));
              }),
      pool);
  router.addBlocking("GET", "/api/v1/dlq/{id}",
                     guarded(auth, Role::kViewer,
                             [&dlq, &auth](const HttpRequest& request, const std::string& actor) {
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
                               rapidjson::StringBuffer buf;
                               JsonWriter w(buf);
                               writeDeadLetter(w, d.value(), full);
                               return HttpResponse::json(200, finish(buf));
                             }),
                     pool);
  auto action = [&dlq](bool replay) {
    return [&dlq, replay](const HttpRequest& request, const std::string& actor) {
      auto d = replay ? dlq.replay(request.params.at("id"), actor)
                      : dlq.discard(request.params.at("id"), actor);
      if (!d.ok()) return errorFor(d.error());
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      writeDeadLetter(w, d.value(), false);
      return HttpResponse::json(200, finish(buf));
    };
  };
  router.addBlocking("POST", "/api/v1/dlq/{id}/replay", guarded(auth, Role::kAdmin, action(true)),
                     pool, roleGuard(auth, Role::kAdmin));
  router.addBlocking("POST", "/api/v1/dlq/{id}/discard", guarded(auth, Role::kAdmin, action(false)),
                     pool, roleGuard(auth, Role::kAdmin));
}

}  // namespace

void registerOpsRoutes(HttpRouter& router, const OpsContext& context) {
  addProbeRoutes(router, context);
  addDashboardRoutes(router, context);
  addMetricsRoute(router, context);
  addConnectorRoutes(router, context);
  addReloadRoute(router, context);
  addTopicRoutes(router, context);
  addSchemaRoutes(router, context);
  addDeadLetterRoutes(router, context);
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
  auto& outbox = context.outbox;
  m.addCollector("wayhome_outbox_backlog", "Events accepted but not yet confirmed by the bus.",
                 "gauge", [&outbox] {
                   return std::vector<Metrics::Sample>{{{}, static_cast<double>(outbox.backlog())}};
                 });
  m.addCollector("wayhome_outbox_oldest_age_seconds",
                 "Age of the oldest event waiting for the bus; 0 when none waits.", "gauge",
                 [&outbox] {
                   return std::vector<Metrics::Sample>{
                       {{}, static_cast<double>(outbox.oldestPendingAgeMs()) / 1000.0}};
                 });
  m.addCollector(
      "wayhome_outbox_appended_total", "Events appended to the outbox since start.", "counter",
      [&outbox] {
        return std::vector<Metrics::Sample>{{{}, static_cast<double>(outbox.appendedTotal())}};
      });
  m.addCollector(
      "wayhome_outbox_published_total", "Events the bus confirmed since start.", "counter",
      [&outbox] {
        return std::vector<Metrics::Sample>{{{}, static_cast<double>(outbox.publishedTotal())}};
      });
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
  m.addCollector("wayhome_topic_messages", "Messages held by a topic (high - low watermark).",
                 "gauge", [&monitor] {
                   std::vector<Metrics::Sample> out;
                   for (const auto& t : monitor.snapshot()) {
                     if (t.error.empty()) {
                       out.push_back({{{"topic", t.name}}, static_cast<double>(t.messages)});
                     }
                   }
                   return out;
                 });
  m.addCollector("wayhome_topic_written_total", "Messages ever written to a topic.", "counter",
                 [&monitor] {
                   std::vector<Metrics::Sample> out;
                   for (const auto& t : monitor.snapshot()) {
                     if (t.error.empty()) {
                       out.push_back({{{"topic", t.name}}, static_cast<double>(t.written)});
                     }
                   }
                   return out;
                 });
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
