#include <arpa/inet.h>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/schemas/json_schema.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "config_schema.hpp"  // generated: kConfigSchema

namespace wayhome::services {
namespace {

using schemas::member;

const schemas::JsonSchema& compiledSchema() {
  static const schemas::JsonSchema schema(kConfigSchema, "wayhome.config.schema.json");
  return schema;
}

}  // namespace

bool isLoopbackAddress(std::string_view address) {
  if (address == "localhost") return true;
  const std::string a(address);
  in_addr v4{};
  if (::inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;
  }
  return false;
}

std::filesystem::path defaultIdentityKeyFile(const std::filesystem::path& dataDir) {
  auto dir = dataDir;
  if (!dir.has_filename()) dir = dir.parent_path();  // "var/wayhome/" names "var/wayhome"
  return std::filesystem::path(dir.string() + ".keys") / "person_ref.key";
}

void checkSecretFilePermissions(const std::filesystem::path& file, const std::string& what) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    throw ConfigError(what + ": " + file.string() + " cannot be read");
  }
  if (!S_ISREG(st.st_mode)) throw ConfigError(what + ": " + file.string() + " is not a file");
  // Others never; the group only when it is the service's own (root:wayhome 0640, the
  // packaged layout), so no other user of the machine can read it.
  const bool groupOk = (st.st_mode & S_IRWXG) == 0 || st.st_gid == ::getegid();
  if ((st.st_mode & S_IRWXO) != 0 || !groupOk) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw ConfigError(what + ": " + file.string() + " has mode " + mode +
                      ": group or others may read it; chmod 600 it");
  }
}

std::string_view configSchemaText() {
  return kConfigSchema;
}

const std::vector<std::string>& requiredSectors() {
  static const std::vector<std::string> kRequired{"housing", "health_care", "finance", "property"};
  return kRequired;
}

std::string SettingsSection::pointer(std::string_view inside) const {
  return "/" + key + std::string(inside);
}

std::string SettingsSection::where(std::string_view inside) const {
  return "config " + origin + ": " + pointer(inside);
}

ConfigError SettingsSection::error(std::string_view pointer, std::string_view what) const {
  return ConfigError(where(pointer) + ": " + std::string(what));
}

SettingsSection ServiceConfig::section(std::string_view key) const {
  SettingsSection s{.key = std::string(key), .origin = origin};
  if (auto it = modules.find(key); it != modules.end()) {
    s.json = it->second;
    s.present = true;
  }
  return s;
}

void checkConfiguredSector(const ServiceConfig& config, const std::string& pointer,
                           const std::string& sector) {
  const bus::Topics topics(config.bus.topicPrefix, config.sectors);
  if (!topics.hasSector(sector)) {
    throw ConfigError("config " + config.origin + ": " + pointer + ": \"" + sector +
                      "\" is not a configured sector (configured: " + topics.sectorList() + ")");
  }
}

namespace {

store::PostgresOptions postgresSettings(const rapidjson::Value& cfg, const std::string& origin) {
  const std::string at = "config " + origin + ": /state/postgres";
  store::PostgresOptions o;
  o.url = schemas::memberText(cfg, "url", "");
  o.passwordFile = schemas::memberText(cfg, "password_file", "");
  o.pool = static_cast<int>(schemas::memberInt(cfg, "pool", o.pool));
  try {
    (void)store::describePostgresUrl(o.url);
  } catch (const store::StateError& e) {
    throw ConfigError(at + "/url: " + e.what());
  }
  if (!o.passwordFile.empty()) {
    if (!std::ifstream(o.passwordFile)) {
      throw ConfigError(at + "/password_file: cannot read " + o.passwordFile.string());
    }
    checkSecretFilePermissions(o.passwordFile, at + "/password_file");
  }
  return o;
}

std::string readSecretLine(const std::string& file, const std::string& where) {
  checkSecretFilePermissions(file, where);
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

void parseBus(const rapidjson::Value& busCfg, const std::string& origin, ServiceConfig& c) {
  c.bus.bootstrapServers = schemas::memberText(busCfg, "bootstrap_servers", "");
  c.bus.embedded = c.bus.bootstrapServers.empty() && schemas::memberFlag(busCfg, "embedded", true);
  if (c.bus.bootstrapServers.empty() && !c.bus.embedded) {
    throw ConfigError("config " + origin +
                      ": /bus/embedded: false needs /bus/bootstrap_servers to name a cluster");
  }
  c.bus.embeddedBrokers = static_cast<int>(schemas::memberInt(busCfg, "embedded_brokers", 3));
  c.bus.topicPrefix = schemas::memberText(busCfg, "topic_prefix", "");
  c.bus.defaultPartitions = static_cast<int>(schemas::memberInt(busCfg, "default_partitions", 6));
  c.createTopics = c.bus.embedded || schemas::memberFlag(busCfg, "create_topics", false);
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
  if (const auto* passwordFile = member(busCfg, "sasl_password_file")) {
    if (c.bus.client.contains("sasl.password")) {
      throw ConfigError("config " + origin +
                        ": /bus/sasl_password_file: give the password inline "
                        "(/bus/client/sasl.password) or in a file, not both");
    }
    c.bus.client["sasl.password"] =
        readSecretLine(passwordFile->GetString(), "config " + origin + ": /bus/sasl_password_file");
    if (c.bus.client["sasl.password"].empty()) {
      throw ConfigError("config " + origin +
                        ": /bus/sasl_password_file: " + passwordFile->GetString() + " is empty");
    }
  }
}

// Operators' and case workers' tokens: distinct values, case workers bound to sectors.
// The schema checked each item's shape; here: unique names, the required ones present.
void parseSectors(const rapidjson::Value& list, const std::string& origin, ServiceConfig& c) {
  const std::string at = "config " + origin + ": /sectors";
  c.sectors.clear();
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const auto& item = list[i];
    bus::Sector s;
    s.name = schemas::memberText(item, "name", "");
    s.description = schemas::memberText(item, "description", "");
    s.role = schemas::memberText(item, "role", "");
    if (const auto* topics = member(item, "topics")) {
      if (const auto* p = member(*topics, "partitions")) s.topics.partitions = p->GetInt();
      s.topics.retentionDays =
          static_cast<int>(schemas::memberInt(*topics, "retention_days", s.topics.retentionDays));
    }
    if (!bus::isSectorName(s.name)) {  // the schema's pattern; kept for parseConfig's callers
      throw ConfigError(at + "/" + std::to_string(i) + "/name: \"" + s.name.substr(0, 40) +
                        "\" is not a sector name (a-z, 0-9, _; at most 32; a letter first)");
    }
    if (!names.insert(s.name).second) {
      throw ConfigError(at + "/" + std::to_string(i) + "/name: \"" + s.name + "\" is used twice");
    }
    c.sectors.push_back(std::move(s));
  }
  for (const auto& required : requiredSectors()) {
    if (!names.contains(required)) {
      throw ConfigError(at + ": must include \"" + required +
                        "\" (wayhome names housing, health_care, finance and property itself)");
    }
  }
}

// Every host key that names a sector names a configured one (modules check their own).
ServiceConfig checkSectorReferences(ServiceConfig c) {
  for (std::size_t i = 0; i < c.opsTokens.size(); ++i) {
    for (std::size_t j = 0; j < c.opsTokens[i].sectors.size(); ++j) {
      checkConfiguredSector(c, "/ops/tokens/" + std::to_string(i) + "/sectors/" + std::to_string(j),
                            c.opsTokens[i].sectors[j]);
    }
  }
  return c;
}

// Every top-level object the host's schema does not name is a module's section, kept
// as raw JSON for the module (the schema lets only objects through there).
void collectModuleSections(const rapidjson::Value& doc, ServiceConfig& c) {
  static const std::set<std::string> kHostKeys = [] {
    rapidjson::Document schema;
    (void)schemas::parseJson(schema, kConfigSchema);
    std::set<std::string> keys;
    for (const auto& m : schema["properties"].GetObject())
      keys.emplace(m.name.GetString(), m.name.GetStringLength());
    return keys;
  }();
  for (const auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!kHostKeys.contains(key)) c.modules.emplace(std::move(key), schemas::jsonText(m.value));
  }
}

void parseState(const rapidjson::Value& state, const std::string& origin, ServiceConfig& c) {
  c.statePath = schemas::memberText(state, "path", c.statePath);
  c.stateRetention = std::chrono::hours(
      24 * schemas::memberInt(state, "retention_days", c.stateRetention.count() / 24));
  if (const auto* pg = member(state, "postgres")) c.statePostgres = postgresSettings(*pg, origin);
  if (c.statePostgres && member(state, "path") != nullptr) {
    throw ConfigError("config " + origin +
                      ": /state: give either path (SQLite) or postgres, not both");
  }
}

void parseOpsTokens(const rapidjson::Value& ops, const std::string& origin, ServiceConfig& c) {
  if (const auto* tokens = member(ops, "tokens")) {
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < tokens->Size(); ++i) {
      const auto& item = (*tokens)[i];
      const std::string where = "config " + origin + ": /ops/tokens/" + std::to_string(i);
      ServiceConfig::OpsToken t{schemas::memberText(item, "name", ""),
                                schemas::memberText(item, "role", "viewer"),
                                schemas::memberText(item, "token", "")};
      if (const auto* sectors = member(item, "sectors")) {
        for (const auto& v : sectors->GetArray())
          t.sectors.emplace_back(v.GetString());
      }
      if (t.role == "caseworker" && t.sectors.empty()) {
        throw ConfigError(where +
                          "/sectors: a caseworker token needs the sectors it records and "
                          "acknowledges for");
      }
      if (t.role != "caseworker" && !t.sectors.empty()) {
        throw ConfigError(where + "/sectors: only caseworker tokens have sectors");
      }
      if (!names.insert(t.name).second) {
        throw ConfigError(where + "/name: '" + t.name + "' is used twice");
      }
      const bool inline_ = member(item, "token") != nullptr;
      if (inline_ == (member(item, "token_file") != nullptr)) {
        throw ConfigError(where + ": give exactly one of token and token_file");
      }
      if (!inline_) {
        const std::string file = schemas::memberText(item, "token_file", "");
        t.token = readSecretLine(file, where + "/token_file");
        if (t.token.size() < 16) {
          throw ConfigError(where + "/token_file: the token must be at least 16 characters");
        }
      }
      for (const auto& other : c.opsTokens) {
        // One value, two names (or roles): which one acts would be a matter of order.
        if (other.token == t.token) {
          throw ConfigError(where + ": has the same token value as '" + other.name +
                            "'; every token must be different");
        }
      }
      c.opsTokens.push_back(std::move(t));
    }
  }
}

void parseIdentity(const rapidjson::Value& identity, ServiceConfig& c) {
  if (const auto* keyFile = member(identity, "key_file")) {
    c.identityKeyFile = keyFile->GetString();
    c.identityKeyCreate = false;  // an operator's key file must exist
  }
  if (const auto* re = member(identity, "reidentification")) {
    c.identityVaultKeyFile = schemas::memberText(*re, "key_file", "");
    c.identityVaultRetention =
        std::chrono::hours(24 * schemas::memberInt(*re, "retention_days", 400));
    c.identityResolvePerMinute = static_cast<int>(schemas::memberInt(*re, "per_minute", 20));
  }
}

}  // namespace

std::string readSecretFile(const std::filesystem::path& file, const std::string& what) {
  return readSecretLine(file.string(), what);
}

ServiceConfig defaultConfig() {
  ServiceConfig c;
  c.schemaDir = defaultSchemaDir();
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
  c.dataDir = schemas::memberText(doc, "data_dir", c.dataDir.string());
  c.statePath = c.dataDir / "state.db";
  c.identityKeyFile = defaultIdentityKeyFile(c.dataDir);
  c.insecureDemo = schemas::memberFlag(doc, "insecure_demo", false);

  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const auto& logCfg = member(doc, "log") ? *member(doc, "log") : kEmpty;
  (void)log::parseLevel(schemas::memberText(logCfg, "level", "info"), c.logLevel);
  c.logFormat = schemas::memberText(logCfg, "format", "text") == "json" ? log::Format::Json
                                                                        : log::Format::Text;

  parseBus(member(doc, "bus") ? *member(doc, "bus") : kEmpty, origin, c);
  if (const auto* sectors = member(doc, "sectors")) parseSectors(*sectors, origin, c);

  const auto& httpCfg = member(doc, "http") ? *member(doc, "http") : kEmpty;
  c.http.address = schemas::memberText(httpCfg, "address", c.http.address);
  c.http.port = static_cast<int>(schemas::memberInt(httpCfg, "port", c.http.port));
  c.http.maxBodyBytes = static_cast<std::size_t>(schemas::memberInt(
      httpCfg, "max_body_bytes", static_cast<std::int64_t>(c.http.maxBodyBytes)));
  c.http.requestTimeout = std::chrono::milliseconds(
      schemas::memberInt(httpCfg, "request_timeout_ms", c.http.requestTimeout.count()));
  c.http.headerTimeout = std::chrono::milliseconds(
      schemas::memberInt(httpCfg, "header_timeout_ms", c.http.headerTimeout.count()));
  c.http.idleTimeout = std::chrono::milliseconds(
      schemas::memberInt(httpCfg, "idle_timeout_ms", c.http.idleTimeout.count()));
  c.http.maxConnections = static_cast<std::size_t>(schemas::memberInt(
      httpCfg, "max_connections", static_cast<std::int64_t>(c.http.maxConnections)));
  c.http.maxConnectionsPerAddress = static_cast<std::size_t>(
      schemas::memberInt(httpCfg, "max_connections_per_address",
                         static_cast<std::int64_t>(c.http.maxConnectionsPerAddress)));
  if (c.http.maxConnectionsPerAddress > c.http.maxConnections) {
    throw ConfigError("config " + origin +
                      ": /http/max_connections_per_address: must not exceed max_connections");
  }
  c.http.threads = static_cast<int>(schemas::memberInt(httpCfg, "threads", c.http.threads));
  if (const auto* tls = member(httpCfg, "tls")) {
    c.http.tlsCertFile = schemas::memberText(*tls, "cert_file", "");
    c.http.tlsKeyFile = schemas::memberText(*tls, "key_file", "");
    for (const auto& [key, file] :
         {std::pair{"cert_file", c.http.tlsCertFile}, std::pair{"key_file", c.http.tlsKeyFile}}) {
      if (!std::ifstream(file)) {
        throw ConfigError("config " + origin + ": /http/tls/" + key + ": cannot read " + file);
      }
    }
    checkSecretFilePermissions(c.http.tlsKeyFile, "config " + origin + ": /http/tls/key_file");
  }

  if (const auto* state = member(doc, "state")) parseState(*state, origin, c);
  if (const auto* sch = member(doc, "schemas"))
    c.schemaDir = schemas::memberText(*sch, "dir", c.schemaDir);
  c.shutdownTimeout = std::chrono::milliseconds(
      schemas::memberInt(doc, "shutdown_timeout_ms", c.shutdownTimeout.count()));
  if (const auto* outbox = member(doc, "outbox")) {
    c.outboxMaxBacklog = static_cast<std::size_t>(
        schemas::memberInt(*outbox, "max_backlog", static_cast<std::int64_t>(c.outboxMaxBacklog)));
    c.outboxRetention = std::chrono::hours(
        24 * schemas::memberInt(*outbox, "retention_days", c.outboxRetention.count() / 24));
  }
  if (const auto* identity = member(doc, "identity")) parseIdentity(*identity, c);
  if (c.statePostgres && c.identityKeyCreate) {
    throw ConfigError("config " + origin +
                      ": /identity/key_file: required with state.postgres, so that every "
                      "instance makes the same person_ref (give each instance a copy of one key "
                      "file)");
  }
  if (c.insecureDemo && !isLoopbackAddress(c.http.address)) {
    throw ConfigError("config " + origin +
                      ": /insecure_demo: unauthenticated intakes are allowed on a loopback "
                      "http.address only, not on " +
                      c.http.address);
  }
  auto instances = [&](const char* key, std::vector<ServiceConfig::Instance>& into) {
    const auto* list = member(doc, key);
    if (list == nullptr) return;
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const auto& item = (*list)[i];
      ServiceConfig::Instance inst;
      inst.type = schemas::memberText(item, "type", "");
      inst.name = schemas::memberText(item, "name", inst.type);
      inst.enabled = schemas::memberFlag(item, "enabled", true);
      if (const auto* settings = member(item, "settings"))
        inst.settingsJson = schemas::jsonText(*settings);
      if (!names.insert(inst.name).second) {
        throw ConfigError("config " + origin + ": /" + key + "/" + std::to_string(i) + "/name: '" +
                          inst.name + "' is used twice");
      }
      into.push_back(std::move(inst));
    }
  };
  instances("connectors", c.connectors);
  instances("simulators", c.simulators);
  if (const auto* ops = member(doc, "ops")) parseOpsTokens(*ops, origin, c);
  if (!isLoopbackAddress(c.http.address) && c.opsTokens.empty()) {
    throw ConfigError("config " + origin + ": /http/address: " + c.http.address +
                      " is reachable from other machines and there are no /ops/tokens: every "
                      "read would be anonymous; configure tokens or listen on 127.0.0.1");
  }
  collectModuleSections(doc, c);
  return checkSectorReferences(std::move(c));
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
