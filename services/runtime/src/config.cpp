#include <fstream>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/core/calendar.hpp>
#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/runtime/http_client.hpp>

#include "config_schema.hpp"  // generated: kConfigSchema

namespace wayhome::services {
namespace {

const schemas::JsonSchema& compiledSchema() {
  static const schemas::JsonSchema schema(kConfigSchema, "wayhome.config.schema.json");
  return schema;
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string str(const rapidjson::Value& obj, const char* key, std::string fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : fallback;
}

std::int64_t integer(const rapidjson::Value& obj, const char* key, std::int64_t fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsInt64() ? v->GetInt64() : fallback;
}

std::string toJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

bool boolean(const rapidjson::Value& obj, const char* key, bool fallback) {
  const auto* v = member(obj, key);
  return v != nullptr && v->IsBool() ? v->GetBool() : fallback;
}

}  // namespace

std::string_view configSchemaText() {
  return kConfigSchema;
}

std::vector<SchedulerSettings::Recurring> defaultRecurringMeetings() {
  SchedulerSettings::Recurring r;
  r.name = "coordination";
  r.rrule = "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9;BYMINUTE=0";
  r.title = "Cross-sector coordination meeting";
  r.meetingMinutes = 90;
  r.participants = {{"housing_contact", "housing"},
                    {"financial_adviser", "finance"},
                    {"care_coordinator", "health_care"},
                    {"nav_adviser", "nav"},
                    {"property_manager", "property"}};
  return {r};
}

namespace {

void parseScheduler(const rapidjson::Value& cfg, const std::string& origin, SchedulerSettings& s) {
  auto fail = [&](const std::string& pointer, const std::string& what) {
    throw ConfigError("config " + origin + ": /scheduler" + pointer + ": " + what);
  };
  s.enabled = boolean(cfg, "enabled", s.enabled);
  if (const auto* hours = member(cfg, "working_hours")) {
    const auto start = scheduler::parseClock(str(*hours, "start", ""));
    const auto end = scheduler::parseClock(str(*hours, "end", ""));
    if (!start) fail("/working_hours/start", "is not HH:MM");
    if (!end) fail("/working_hours/end", "is not HH:MM");
    if (*end <= *start) fail("/working_hours/end", "must be after start");
    s.workStartMinutes = static_cast<int>(start->count());
    s.workEndMinutes = static_cast<int>(end->count());
  }
  s.meetingMinutes = static_cast<int>(integer(cfg, "meeting_minutes", s.meetingMinutes));
  if (s.meetingMinutes > s.workEndMinutes - s.workStartMinutes) {
    fail("/meeting_minutes", "is longer than the working day");
  }
  s.leadTimeDays = static_cast<int>(integer(cfg, "lead_time_days", s.leadTimeDays));
  s.reminderHours = static_cast<int>(integer(cfg, "reminder_hours", s.reminderHours));
  s.defaultWindowDays = static_cast<int>(integer(cfg, "default_window_days", s.defaultWindowDays));
  s.place = str(cfg, "place", s.place);
  s.organizer = str(cfg, "organizer", s.organizer);
  s.poll = std::chrono::milliseconds(integer(cfg, "poll_ms", s.poll.count()));
  const auto* list = member(cfg, "recurring");
  if (list == nullptr) return;
  s.recurring.clear();
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const auto& item = (*list)[i];
    const std::string at = "/recurring/" + std::to_string(i);
    SchedulerSettings::Recurring r;
    r.name = str(item, "name", "");
    r.rrule = str(item, "rrule", "");
    r.title = str(item, "title", "");
    r.place = str(item, "place", "");
    r.meetingMinutes = static_cast<int>(integer(item, "meeting_minutes", 0));
    r.agenda = boolean(item, "agenda", true);
    r.enabled = boolean(item, "enabled", true);
    if (!names.insert(r.name).second) fail(at + "/name", "'" + r.name + "' is used twice");
    if (auto rule = scheduler::parseRecurrenceRule(r.rrule); !rule) {
      fail(at + "/rrule", rule.error().message);
    }
    const int length = r.meetingMinutes != 0 ? r.meetingMinutes : s.meetingMinutes;
    if (length > 24 * 60) fail(at + "/meeting_minutes", "is longer than a day");
    for (const auto& p : (*member(item, "participants")).GetArray()) {
      r.participants.emplace_back(str(p, "role", ""), str(p, "sector", ""));
    }
    s.recurring.push_back(std::move(r));
  }
}

std::string readSecretLine(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

void parseDelivery(const rapidjson::Value& cfg, const std::string& origin, DeliverySettings& d) {
  const auto* list = member(cfg, "webhooks");
  if (list == nullptr) return;
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const auto& item = (*list)[i];
    const std::string where = "config " + origin + ": /delivery/webhooks/" + std::to_string(i);
    WebhookSettings w;
    w.name = str(item, "name", "");
    w.sector = str(item, "sector", "");
    w.url = str(item, "url", "");
    w.caFile = str(item, "ca_file", "");
    w.timeout = std::chrono::milliseconds(integer(item, "timeout_ms", w.timeout.count()));
    w.maxAttempts = static_cast<int>(integer(item, "max_attempts", w.maxAttempts));
    w.initialBackoff =
        std::chrono::milliseconds(integer(item, "initial_backoff_ms", w.initialBackoff.count()));
    w.maxBackoff = std::chrono::milliseconds(integer(item, "max_backoff_ms", w.maxBackoff.count()));
    w.enabled = boolean(item, "enabled", true);
    if (!names.insert(w.name).second) {
      throw ConfigError(where + "/name: '" + w.name + "' is used twice");
    }
    const bool inline_ = member(item, "secret") != nullptr;
    if (inline_ == (member(item, "secret_file") != nullptr)) {
      throw ConfigError(where + "/secret: give exactly one of secret and secret_file");
    }
    if (inline_) {
      w.secret = str(item, "secret", "");
    } else {
      const std::string file = str(item, "secret_file", "");
      w.secret = readSecretLine(file);
      if (w.secret.empty()) {
        throw ConfigError(where + "/secret_file: cannot read " + file + " (or it is empty)");
      }
      if (w.secret.size() < 16) {
        throw ConfigError(where + "/secret_file: the secret must be at least 16 bytes");
      }
    }
    {
      // The schema checks the shape; here: a host, and a port that is a port.
      std::string_view rest(w.url);
      rest.remove_prefix(rest.find("://") + 3);
      rest = rest.substr(0, rest.find('/'));
      const auto colon = rest.rfind(':');
      const bool v6 = rest.starts_with('[');
      const auto host = colon == std::string_view::npos || (v6 && rest.back() == ']')
                            ? rest
                            : rest.substr(0, colon);
      const auto port = host.size() == rest.size() ? std::string_view() : rest.substr(colon + 1);
      const bool portOk =
          port.empty()
              ? host.size() == rest.size()
              : port.size() <= 5 &&
                    port.find_first_not_of("0123456789") == std::string_view::npos &&
                    std::stoi(std::string(port)) > 0 && std::stoi(std::string(port)) <= 65535;
      if (host.empty() || host == "[]" || !portOk) {
        throw ConfigError(where + "/url: needs a host and, if given, a port 1-65535");
      }
    }
    if (auto problem = cleartextProblem(w.url)) throw ConfigError(where + "/url: " + *problem);
    if (w.maxBackoff < w.initialBackoff) {
      throw ConfigError(where + "/max_backoff_ms: must not be less than initial_backoff_ms");
    }
    d.webhooks.push_back(std::move(w));
  }
}

}  // namespace

ServiceConfig defaultConfig() {
  ServiceConfig c;
  c.scheduler.recurring = defaultRecurringMeetings();
  c.schemaDir = defaultSchemaDir();
  c.router.rulesFile = defaultRulesFile();
  return c;
}

ServiceConfig parseConfig(std::string_view text, const std::string& origin) {
  if (auto invalid = compiledSchema().validate(text, {.allowComments = true})) {
    throw ConfigError("config " + origin + ": " + invalid->message);
  }
  rapidjson::Document doc;
  if (auto bad = schemas::parseJson(doc, text, {.allowComments = true})) {
    throw ConfigError("config " + origin + ": " + bad->message);  // validated: not reached
  }

  ServiceConfig c = defaultConfig();
  c.origin = origin;
  c.dataDir = str(doc, "data_dir", c.dataDir.string());
  c.statePath = c.dataDir / "state.db";
  c.identityKeyFile = c.dataDir / "person_ref.key";

  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const auto& logCfg = member(doc, "log") ? *member(doc, "log") : kEmpty;
  (void)log::parseLevel(str(logCfg, "level", "info"), c.logLevel);
  c.logFormat = str(logCfg, "format", "text") == "json" ? log::Format::Json : log::Format::Text;

  const auto& busCfg = member(doc, "bus") ? *member(doc, "bus") : kEmpty;
  c.bus.bootstrapServers = str(busCfg, "bootstrap_servers", "");
  c.bus.embedded = c.bus.bootstrapServers.empty() && boolean(busCfg, "embedded", true);
  if (c.bus.bootstrapServers.empty() && !c.bus.embedded) {
    throw ConfigError("config " + origin +
                      ": /bus/embedded: false needs /bus/bootstrap_servers to name a cluster");
  }
  c.bus.embeddedBrokers = static_cast<int>(integer(busCfg, "embedded_brokers", 3));
  c.bus.topicPrefix = str(busCfg, "topic_prefix", "");
  c.bus.defaultPartitions = static_cast<int>(integer(busCfg, "default_partitions", 6));
  c.createTopics = c.bus.embedded || boolean(busCfg, "create_topics", false);
  if (const auto* client = member(busCfg, "client")) {
    for (const auto& m : client->GetObject()) {
      const std::string key = m.name.GetString();
      if (key == "bootstrap.servers" || key == "group.id" || key == "enable.auto.commit") {
        throw ConfigError("config " + origin + ": /bus/client/" + key +
                          ": is set by wayhome itself and cannot be overridden here");
      }
      c.bus.client[key] = m.value.GetString();
    }
  }

  const auto& httpCfg = member(doc, "http") ? *member(doc, "http") : kEmpty;
  c.http.address = str(httpCfg, "address", c.http.address);
  c.http.port = static_cast<int>(integer(httpCfg, "port", c.http.port));
  c.http.maxBodyBytes = static_cast<std::size_t>(
      integer(httpCfg, "max_body_bytes", static_cast<std::int64_t>(c.http.maxBodyBytes)));
  c.http.requestTimeout = std::chrono::milliseconds(
      integer(httpCfg, "request_timeout_ms", c.http.requestTimeout.count()));
  c.http.headerTimeout = std::chrono::milliseconds(
      integer(httpCfg, "header_timeout_ms", c.http.headerTimeout.count()));
  c.http.idleTimeout =
      std::chrono::milliseconds(integer(httpCfg, "idle_timeout_ms", c.http.idleTimeout.count()));
  c.http.maxConnections = static_cast<std::size_t>(
      integer(httpCfg, "max_connections", static_cast<std::int64_t>(c.http.maxConnections)));
  c.http.maxConnectionsPerAddress =
      static_cast<std::size_t>(integer(httpCfg, "max_connections_per_address",
                                       static_cast<std::int64_t>(c.http.maxConnectionsPerAddress)));
  if (c.http.maxConnectionsPerAddress > c.http.maxConnections) {
    throw ConfigError("config " + origin +
                      ": /http/max_connections_per_address: must not exceed max_connections");
  }
  c.http.threads = static_cast<int>(integer(httpCfg, "threads", c.http.threads));
  if (const auto* tls = member(httpCfg, "tls")) {
    c.http.tlsCertFile = str(*tls, "cert_file", "");
    c.http.tlsKeyFile = str(*tls, "key_file", "");
    for (const auto& [key, file] :
         {std::pair{"cert_file", c.http.tlsCertFile}, std::pair{"key_file", c.http.tlsKeyFile}}) {
      if (!std::ifstream(file)) {
        throw ConfigError("config " + origin + ": /http/tls/" + key + ": cannot read " + file);
      }
    }
  }

  if (const auto* state = member(doc, "state")) c.statePath = str(*state, "path", c.statePath);
  if (const auto* sch = member(doc, "schemas")) c.schemaDir = str(*sch, "dir", c.schemaDir);
  c.shutdownTimeout =
      std::chrono::milliseconds(integer(doc, "shutdown_timeout_ms", c.shutdownTimeout.count()));
  if (const auto* outbox = member(doc, "outbox")) {
    c.outboxMaxBacklog = static_cast<std::size_t>(
        integer(*outbox, "max_backlog", static_cast<std::int64_t>(c.outboxMaxBacklog)));
    c.outboxRetention =
        std::chrono::hours(24 * integer(*outbox, "retention_days", c.outboxRetention.count() / 24));
  }
  if (const auto* identity = member(doc, "identity")) {
    if (const auto* keyFile = member(*identity, "key_file")) {
      c.identityKeyFile = keyFile->GetString();
      c.identityKeyCreate = false;  // an operator's key file must exist
    }
  }
  auto instances = [&](const char* key, std::vector<ServiceConfig::Instance>& into) {
    const auto* list = member(doc, key);
    if (list == nullptr) return;
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const auto& item = (*list)[i];
      ServiceConfig::Instance inst;
      inst.type = str(item, "type", "");
      inst.name = str(item, "name", inst.type);
      inst.enabled = boolean(item, "enabled", true);
      if (const auto* settings = member(item, "settings")) inst.settingsJson = toJson(*settings);
      if (!names.insert(inst.name).second) {
        throw ConfigError("config " + origin + ": /" + key + "/" + std::to_string(i) + "/name: '" +
                          inst.name + "' is used twice");
      }
      into.push_back(std::move(inst));
    }
  };
  if (const auto* router = member(doc, "router")) {
    c.router.enabled = boolean(*router, "enabled", c.router.enabled);
    c.router.rulesFile = str(*router, "rules_file", c.router.rulesFile.string());
  }
  instances("connectors", c.connectors);
  instances("simulators", c.simulators);
  if (const auto* ops = member(doc, "ops")) {
    if (const auto* tokens = member(*ops, "tokens")) {
      std::set<std::string> names;
      for (rapidjson::SizeType i = 0; i < tokens->Size(); ++i) {
        const auto& item = (*tokens)[i];
        const std::string where = "config " + origin + ": /ops/tokens/" + std::to_string(i);
        ServiceConfig::OpsToken t{str(item, "name", ""), str(item, "role", "viewer"),
                                  str(item, "token", "")};
        if (!names.insert(t.name).second) {
          throw ConfigError(where + "/name: '" + t.name + "' is used twice");
        }
        const bool inline_ = member(item, "token") != nullptr;
        if (inline_ == (member(item, "token_file") != nullptr)) {
          throw ConfigError(where + ": give exactly one of token and token_file");
        }
        if (!inline_) {
          const std::string file = str(item, "token_file", "");
          std::ifstream in(file, std::ios::binary);
          if (!in) throw ConfigError(where + "/token_file: cannot read " + file);
          std::getline(in, t.token);
          while (!t.token.empty() && (t.token.back() == '\r' || t.token.back() == ' ')) {
            t.token.pop_back();
          }
          if (t.token.size() < 16) {
            throw ConfigError(where + "/token_file: the token must be at least 16 characters");
          }
        }
        c.opsTokens.push_back(std::move(t));
      }
    }
  }
  if (const auto* sched = member(doc, "scheduler")) parseScheduler(*sched, origin, c.scheduler);
  if (const auto* delivery = member(doc, "delivery")) parseDelivery(*delivery, origin, c.delivery);
  return c;
}

ServiceConfig loadConfigFile(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw ConfigError("config " + file.string() + ": no such file");
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw ConfigError("config " + file.string() + ": cannot be read: " + ec.message());
  if (size > kMaxConfigBytes) {
    throw ConfigError("config " + file.string() + ": is " + std::to_string(size) +
                      " bytes; the limit is " + std::to_string(kMaxConfigBytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("config " + file.string() + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseConfig(ss.str(), file.string());
}

}  // namespace wayhome::services
