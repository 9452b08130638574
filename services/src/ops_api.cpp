#include <wayhome/schemas/json_text.hpp>

#include "ops_api.hpp"

namespace wayhome::services {

HealthMonitor::HealthMonitor(bus::Producer& producer, bus::StateStore& state,
                             const schemas::SchemaRegistry& registry,
                             std::chrono::milliseconds interval)
    : producer_(producer), state_(state), registry_(registry), interval_(interval) {
  check();  // Readiness is known before the first probe arrives.
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, interval_, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      check();
      lock.lock();
    }
  });
}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::check() {
  HealthSnapshot next;
  auto ping = producer_.ping(std::chrono::milliseconds(1500));
  next.busOk = ping.ok();
  if (ping.ok()) {
    next.brokers = ping.value();
    next.busError.clear();
  } else {
    next.busError = ping.error().message;
  }
  next.stateOk = state_.healthy();
  next.stateVersion = next.stateOk ? state_.schemaVersion() : 0;
  next.schemaCount = registry_.size();
  std::lock_guard lock(mutex_);
  snapshot_ = next;
}

HealthSnapshot HealthMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void registerOpsRoutes(HttpRouter& router, const OpsContext& context) {
  router.add("GET", "/healthz", [startedAt = context.startedAt](const HttpRequest&) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - startedAt)
                            .count();
    return HttpResponse::json(200, "{\"status\":\"ok\",\"version\":\"" WAYHOME_VERSION
                                   "\",\"uptime_seconds\":" +
                                       std::to_string(uptime) + "}");
  });
  router.add("GET", "/readyz", [&health = context.health, bootstrap = context.bootstrap](
                                   const HttpRequest&) {
    const HealthSnapshot h = health.snapshot();
    std::string body = std::string("{\"ready\":") + (h.ready() ? "true" : "false");
    body += ",\"checks\":{\"bus\":{\"ok\":" + std::string(h.busOk ? "true" : "false") +
            ",\"brokers\":" + std::to_string(h.brokers) + ",\"bootstrap\":";
    schemas::appendJsonString(body, bootstrap);
    if (!h.busOk) {
      body += ",\"reason\":";
      schemas::appendJsonString(body, h.busError);
    }
    body += "},\"state\":{\"ok\":" + std::string(h.stateOk ? "true" : "false") +
            ",\"schema_version\":" + std::to_string(h.stateVersion) + "}";
    body += ",\"schemas\":{\"ok\":" + std::string(h.schemaCount > 0 ? "true" : "false") +
            ",\"count\":" + std::to_string(h.schemaCount) + "}}}";
    return HttpResponse::json(h.ready() ? 200 : 503, std::move(body));
  });
}

}  // namespace wayhome::services
