#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <wayhome/bus/admin.hpp>
#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/blocking_pool.hpp>
#include <wayhome/runtime/health.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/identity_vault.hpp>
#include <wayhome/runtime/notify.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/runtime/sole_job.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {
namespace {

/// The re-identification vault when identity.reidentification is configured.
/// Errors: throws ConfigError for a key file that is missing, open to others, short,
/// or the person_ref key's.
std::unique_ptr<IdentityVault> openVault(const ServiceConfig& c, store::StateStore& state) {
  if (c.identityVaultKeyFile.empty()) return nullptr;
  const std::string where = "config: /identity/reidentification/key_file";
  std::error_code ec;
  if (std::filesystem::equivalent(c.identityVaultKeyFile, c.identityKeyFile, ec)) {
    throw ConfigError(where + ": is the person_ref key file; the vault needs a key of its own");
  }
  auto vault =
      IdentityVault::fromKeyFile(c.identityVaultKeyFile, where, state, SystemClock::instance());
  log::info("identity", "re-identification vault open",
            {{"key_file", c.identityVaultKeyFile.string()}});
  return vault;
}

// Seconds since the epoch at which the PEM certificate in `file` expires; nothing if
// it cannot be read (the listener has refused it already then).
std::optional<double> certificateNotAfter(const std::string& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(file.c_str(), "r"), &std::fclose);
  if (!in) return std::nullopt;
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) return std::nullopt;
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())) != 1) {
    return std::nullopt;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<double>(now) + days * 86400.0 + seconds;
}

// Unique among the instances sharing a store, and readable in its lease table.
std::string instanceName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  std::random_device random;
  char tail[16];
  std::snprintf(tail, sizeof tail, "%08x", random());
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + tail;
}

}  // namespace

bool isLoopbackHostHeader(std::string_view host) {
  if (host.empty()) return true;  // HTTP/1.0 clients send none; browsers always do
  std::string_view name = host;
  if (name.starts_with('[')) {
    const auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    const auto rest = name.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.substr(1).find_first_not_of("0123456789") !=
                                                     std::string_view::npos)) {
      return false;
    }
    name = name.substr(1, close - 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    if (name.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    name = name.substr(0, colon);
  }
  std::string lower(name);
  for (auto& ch : lower)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower == "localhost" || lower.ends_with(".localhost") || isLoopbackAddress(lower);
}

namespace {

// Reads open to anyone, or intakes without authentication, only on loopback.
// Errors: throws ConfigError (also for configs made in code, not parsed).
void refuseOpenNetworkAccess(const ServiceConfig& c) {
  if (c.opsTokens.empty() && !isLoopbackAddress(c.http.address)) {
    throw ConfigError("http.address " + c.http.address +
                      " is reachable from other machines and there are no ops.tokens: every "
                      "read would be anonymous; configure tokens or listen on 127.0.0.1");
  }
  if (c.insecureDemo && !isLoopbackAddress(c.http.address)) {
    throw ConfigError("insecure_demo is allowed with a loopback http.address only");
  }
}

// The listener's handler: the router, behind the Host check of a loopback listener.
AsyncHandler dispatch(HttpRouter& router, bool loopback) {
  return [&router, loopback](HttpRequest req, Responder respond) {
    // DNS rebinding: a web page whose name now resolves to 127.0.0.1 reaches a
    // loopback listener with its own name in Host. Only loopback names are ours.
    bool foreign = false;
    for (const auto& [name, value] : req.headers) {
      foreign = foreign || (name == "host" && !isLoopbackHostHeader(value));
    }
    if (loopback && foreign) {
      return respond(HttpResponse::error(
          421,
          "Host: this service answers to loopback names only (127.0.0.1, localhost, "
          "[::1])"));
    }
    router.handle(std::move(req), std::move(respond));
  };
}

void warnNoOpsTokens() {
  log::warn("ops",
            "no operator tokens configured: the ops API is open for reading and "
            "refuses admin actions (set ops.tokens)");
}

}  // namespace

struct Service::Impl {
  ServiceConfig config;
  bus::Topics topics;
  std::string bootstrap;
  std::string instance;  // among instances sharing a PostgreSQL store; empty on SQLite
  std::chrono::steady_clock::time_point startedAt = std::chrono::steady_clock::now();

  // Declared in the order they are built; destroyed in reverse: HTTP first, the
  // embedded cluster last.
  std::optional<schemas::SchemaRegistry> registry;
  std::unique_ptr<store::StateStore> state;
  std::unique_ptr<bus::EmbeddedCluster> cluster;
  std::unique_ptr<bus::Producer> producer;
  std::unique_ptr<bus::Outbox> outbox;
  std::unique_ptr<bus::OutboxRelay> relay;
  StatusBoard status;
  Metrics metrics;
  std::unique_ptr<OpsAuth> auth;
  std::unique_ptr<HealthMonitor> health;
  std::unique_ptr<IdentityVault> vault;
  std::unique_ptr<BlockingPool> blocking;
  std::unique_ptr<HttpRouter> router;
  bus::ClientProperties busClient;
  std::unique_ptr<ServiceContext> context;
  std::vector<std::unique_ptr<Component>> components;
  std::size_t componentsStarted = 0;
  // Reloads (signal thread, HTTP threads) against stop: never reload a stopping part.
  std::mutex lifecycle;
  std::unique_ptr<HttpServer> http;
  // Deletes grown state past state.retention_days (each module's Retention entries).
  Worker pruner;

  std::unique_ptr<SoleJob> pruneJob;

  // Hourly, by one instance of those sharing the store: the lease outlives the hour,
  // so its holder keeps it, and another takes over within three hours of its death.
  void startPruner() {
    pruneJob = std::make_unique<SoleJob>(*state, "state-pruner", instance, SystemClock::instance(),
                                         std::chrono::hours(3));
    pruner.every("state-pruner", std::chrono::hours(1), [this] {
      if (!pruneJob->mine()) return;
      const auto cutoff =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              (SystemClock::instance().now() - config.stateRetention).time_since_epoch())
              .count();
      if (const auto n = state->prune(cutoff); n > 0) {
        log::info("state", "rows past the retention deleted", {{"rows", std::to_string(n)}});
      }
    });
  }

  bool started = false;
  bool stopped = false;

  // The outbox and its relay; with a shared store the relay leads by lease.
  void startOutbox() {
    outbox = std::make_unique<bus::Outbox>(*state,
                                           bus::OutboxOptions{.maxBacklog = config.outboxMaxBacklog,
                                                              .retention = config.outboxRetention});
    if (config.statePostgres) instance = instanceName();
    relay = std::make_unique<bus::OutboxRelay>(*outbox, busClient,
                                               bus::RelayOptions{.instance = instance});
    relay->start();
    if (outbox->backlog() > 0) {
      log::info("outbox", "events from before the last stop wait for the bus",
                {{"backlog", std::to_string(outbox->backlog())}});
    }
  }

  void writeRuntimeFile() const {
    std::string body = "{\"pid\":" + std::to_string(::getpid()) + ",\"bootstrap_servers\":";
    schemas::appendJsonString(body, bootstrap);
    body += ",\"http\":";
    schemas::appendJsonString(body, config.http.address + ":" + std::to_string(http->port()));
    body += ",\"topic_prefix\":";
    schemas::appendJsonString(body, config.bus.topicPrefix);
    body += "}\n";
    const auto file = config.dataDir / "runtime.json";
    const auto tmp = config.dataDir / "runtime.json.tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << body;
    }
    std::filesystem::rename(tmp, file);
  }
};

Service::Service(ServiceConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->topics = bus::Topics(impl_->config.bus.topicPrefix, impl_->config.sectors);
}

Service::~Service() {
  stop();
}

void Service::add(std::unique_ptr<Component> component) {
  impl_->components.push_back(std::move(component));
}

void Service::start() {
  auto& s = *impl_;
  const auto& c = s.config;
  refuseOpenNetworkAccess(c);
  log::setLevel(c.logLevel);
  log::setFormat(c.logFormat);
  log::info("service", "starting",
            {{"config", c.origin.empty() ? "built-in defaults" : c.origin},
             {"data_dir", c.dataDir.string()}});

  s.registry = schemas::SchemaRegistry::loadDirectory(c.schemaDir);
  log::info("schemas", "schemas loaded",
            {{"count", std::to_string(s.registry->size())}, {"dir", c.schemaDir.string()}});

  std::filesystem::create_directories(c.dataDir);
  s.state = c.statePostgres ? std::make_unique<store::StateStore>(*c.statePostgres)
                            : std::make_unique<store::StateStore>(c.statePath);
  log::info("state", "state store open",
            {{"store", s.state->describe()},
             {"schema_version", std::to_string(s.state->schemaVersion())}});

  if (c.bus.embedded) {
    s.cluster = std::make_unique<bus::EmbeddedCluster>(c.bus.embeddedBrokers);
    s.bootstrap = s.cluster->bootstrapServers();
    for (const auto& t : s.topics.all(c.bus.defaultPartitions)) {
      s.cluster->createTopic(t.name, t.partitions);
    }
    log::info("bus", "embedded Kafka cluster started",
              {{"bootstrap", s.bootstrap},
               {"brokers", std::to_string(c.bus.embeddedBrokers)},
               {"hint", "kcat -b " + s.bootstrap + " -L"}});
  } else {
    s.bootstrap = c.bus.bootstrapServers;
    log::info("bus", "using external Kafka cluster", {{"bootstrap", s.bootstrap}});
  }
  s.busClient = bus::clientProperties(c.bus, s.bootstrap);
  const auto& props = s.busClient;
  s.producer = std::make_unique<bus::Producer>(
      props, bus::ProducerOptions{.name = "wayhome", .registry = &*s.registry});
  if (!c.bus.embedded && c.createTopics) {
    bus::createTopics(props, s.topics.all(c.bus.defaultPartitions));
  }

  s.startOutbox();

  s.health = std::make_unique<HealthMonitor>(*s.producer, *s.state, *s.registry);
  // The relay never dies of an error; readiness says when it keeps failing.
  s.health->watchWorker(s.status.add("outbox-relay", "relay"),
                        [relay = s.relay.get()] { return relay->consecutiveFailures(); });
  s.router = std::make_unique<HttpRouter>();
  s.auth = std::make_unique<OpsAuth>(c.opsTokens);
  // Two threads: a slow operator call never waits behind another one for long, and
  // the I/O threads never wait at all.
  s.blocking = std::make_unique<BlockingPool>(2, 64);
  if (c.opsTokens.empty()) warnNoOpsTokens();

  s.vault = openVault(c, *s.state);
  s.context = std::make_unique<ServiceContext>(ServiceContext{
      .config = c,
      .schemas = *s.registry,
      .state = *s.state,
      .producer = *s.producer,
      .outbox = *s.outbox,
      .status = s.status,
      .busClient = s.busClient,
      .topics = s.topics,
      .http = *s.router,
      .clock = SystemClock::instance(),
      .metrics = s.metrics,
      .auth = s.auth.get(),
      .health = s.health.get(),
      .bootstrap = s.bootstrap,
      .startedAt = s.startedAt,
      .reload = [this] { return reload(); },
      .blocking = s.blocking.get(),
      .instance = s.instance,
      .vault = s.vault.get(),
  });
  for (auto& component : s.components) {
    log::info("service", "starting component", {{"component", component->name()}});
    component->start(*s.context);
    ++s.componentsStarted;
  }
  s.startPruner();

  HttpServerOptions ho(c.http);
  // Unknown routes, wrong methods and refused credentials are answered on the headers;
  // no body is read for them.
  ho.admit = [router = s.router.get()](const HttpRequest& req) { return router->admit(req); };
  s.http = std::make_unique<HttpServer>(ho, dispatch(*s.router, isLoopbackAddress(c.http.address)));
  s.http->start();
  if (!c.http.tlsCertFile.empty()) {
    // For the certificate-expiry alert (deploy/prometheus/alerts.yml).
    if (const auto notAfter = certificateNotAfter(c.http.tlsCertFile)) {
      s.metrics
          .gauge("wayhome_tls_certificate_expiry_timestamp_seconds",
                 "When the HTTPS listener's certificate expires (seconds since the epoch).",
                 {{"file", c.http.tlsCertFile}})
          .set(*notAfter);
    }
  }
  s.writeRuntimeFile();
  s.started = true;
  log::info("service", "wayhome is ready",
            {{"http", (c.http.tlsCertFile.empty() ? "http://" : "https://") + c.http.address + ":" +
                          std::to_string(s.http->port())},
             {"bootstrap", s.bootstrap}});
  // systemd (Type=notify) starts what depends on us only now.
  notifyServiceManager("READY=1\nSTATUS=ready, HTTP on port " + std::to_string(s.http->port()));
}

bool Service::stop() {
  auto& s = *impl_;
  if (s.stopped) return true;
  s.stopped = true;
  const auto deadline = std::chrono::steady_clock::now() + s.config.shutdownTimeout;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  bool clean = true;
  if (s.started) {
    log::info("service", "stopping");
    notifyServiceManager("STOPPING=1\nSTATUS=stopping");
  }
  if (s.http) s.http->stop(std::min(remaining(), std::chrono::milliseconds(3000)));
  // Slow handlers still queued answer (to closed sockets) before their components go.
  if (s.blocking) s.blocking->stop();
  {
    std::lock_guard lock(s.lifecycle);
    for (std::size_t i = s.componentsStarted; i > 0; --i) {
      s.components[i - 1]->stop(deadline);
    }
    s.componentsStarted = 0;
  }
  s.pruner.stop();
  s.pruneJob.reset();
  if (s.relay) s.relay->stop(deadline);
  if (s.outbox && s.outbox->backlog() > 0) {
    log::info("outbox", "events wait for the bus until the next start",
              {{"backlog", std::to_string(s.outbox->backlog())}});
  }
  if (s.health) s.health->stop();
  if (s.producer) {
    if (!s.producer->flush(remaining())) {
      log::error("service", "producer did not flush in time",
                 {{"queued", std::to_string(s.producer->queued())}});
      clean = false;
    }
  }
  s.http.reset();
  s.components.clear();
  s.context.reset();
  s.router.reset();
  s.blocking.reset();
  s.health.reset();
  s.relay.reset();
  s.outbox.reset();
  s.producer.reset();
  s.cluster.reset();
  s.state.reset();
  std::error_code ec;
  std::filesystem::remove(s.config.dataDir / "runtime.json", ec);
  if (s.started) log::info("service", clean ? "stopped" : "stopped with work left over");
  return clean;
}

const std::string& Service::bootstrapServers() const {
  return impl_->bootstrap;
}
std::vector<ComponentReload> Service::reload() {
  auto& s = *impl_;
  std::vector<ComponentReload> out;
  std::lock_guard lock(s.lifecycle);
  for (std::size_t i = 0; i < s.componentsStarted; ++i) {
    auto& component = *s.components[i];
    auto outcome = component.reload();
    if (!outcome) continue;
    if (outcome->reloaded) {
      log::info("service", "reloaded",
                {{"component", component.name()}, {"detail", outcome->detail}});
    } else {
      log::warn("service", "reload refused; the running configuration stays",
                {{"component", component.name()}, {"reason", outcome->detail}});
    }
    out.push_back({component.name(), std::move(*outcome)});
  }
  return out;
}

std::vector<HttpRouter::RouteInfo> Service::httpRoutes() const {
  return impl_->router ? impl_->router->routes() : std::vector<HttpRouter::RouteInfo>{};
}

std::uint16_t Service::httpPort() const {
  return impl_->http ? impl_->http->port() : 0;
}
const ServiceConfig& Service::config() const {
  return impl_->config;
}

}  // namespace wayhome::services
