#include <stdexcept>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/reports/facts.hpp>
#include <wayhome/reports/publisher.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/blocking_pool.hpp>
#include <wayhome/runtime/consume_loop.hpp>

namespace wayhome::reports {
namespace {

using namespace std::chrono;

class ReportsComponent final : public services::Component {
 public:
  explicit ReportsComponent(ReportsSettings settings) : settings_(std::move(settings)) {}

  [[nodiscard]] std::string name() const override { return "reports"; }

  void start(services::ServiceContext& ctx) override {
    ctx_ = &ctx;
    if (!settings_.targetsFile.empty()) {
      auto loaded = loadTargets(settings_.targetsFile);
      if (!loaded) throw std::runtime_error("reports: " + loaded.error().message);
      targets_ = std::move(loaded.value());
    }
    ctx.state.migrate(reportsSchema());
    publishing_ = {settings_.folder, targets_};
    status_ = ctx.status.add("reports", "reports");
    addRoutes(ctx);
    intake_.start(
        services::consumerProperties(ctx.config.bus, ctx.busClient),
        bus::ConsumerOptions{
            .groupId = "wayhome-reports", .name = "wayhome-reports", .autoOffsetReset = "earliest"},
        reportTopics(ctx.topics), ctx.outbox, *status_,
        services::ConsumeLoop::Options{
            .component = "reports", .maxBatch = 500, .beforePoll = [this] { publishDue(); }},
        [this](std::vector<bus::KafkaRecord>& records) { return handle(records); });
    status_->setHealth(services::Health::kRunning);
  }

  void stop(steady_clock::time_point /*deadline*/) override {
    intake_.stop();
    if (status_) status_->setHealth(services::Health::kStopped);
  }

 private:
  // At the start of a month (and a tertial) the report of the one just ended; checked
  // at most once a minute, so a service that was down publishes when it is back.
  void publishDue() {
    const auto now = ctx_->clock.now();
    if (!settings_.publish || now < nextPublishCheck_ || ctx_->outbox.overloaded()) {
      return;
    }
    nextPublishCheck_ = now + minutes(1);
    for (const auto& period : periodsDue(now)) {
      auto done = publish(ctx_->state, ctx_->outbox, ctx_->topics, publishing_, period, now);
      if (!done) {
        status_->failed(done.error().message);
        nextPublishCheck_ = now;  // again at the next poll
        return;
      }
      if (done.value()) {
        log::info("reports", "report published",
                  {{"period", period.label()}, {"folder", publishing_.folder.string()}});
      }
    }
  }

  // The whole batch in one transaction: its facts are durable before its offsets are
  // committed; a store failure throws and the batch is read again.
  std::size_t handle(const std::vector<bus::KafkaRecord>& records) {
    const auto nowMs = duration_cast<milliseconds>(ctx_->clock.now().time_since_epoch()).count();
    auto outcome = ingest(ctx_->state, ctx_->schemas, records, nowMs);
    status_->received(records.size());
    status_->succeeded(outcome.stored, outcome.duplicates);
    for (const auto& why : outcome.rejected) {
      status_->rejected("not counted: " + why);
      log::warn("reports", "event not counted", {{"reason", log::redact(why)}});
    }
    return records.size();
  }

  void addRoutes(services::ServiceContext& ctx) {
    const services::OpsAuth* auth = ctx.auth;
    auto guard = [auth](const services::HttpRequest& req) -> std::optional<services::HttpResponse> {
      if (auth == nullptr) return std::nullopt;
      std::string actor;
      return auth->check(req, services::OpsAuth::Role::kReporter, actor);
    };
    auto handler = [this, guard](const services::HttpRequest& req) {
      if (auto refusal = guard(req)) return std::move(*refusal);
      auto period = Period::parse(req.params.at("period"));
      if (!period) return services::HttpResponse::error(400, period.error().message);
      Format format = Format::kJson;
      if (auto f = req.query.find("format"); f != req.query.end()) {
        auto parsed = parseFormat(f->second);
        if (!parsed) return services::HttpResponse::error(400, parsed.error().message);
        format = parsed.value();
      }
      services::HttpResponse r;
      r.contentType = contentType(format);
      r.body =
          renderReport(ctx_->state, period.value(), format, targets_, ctx_->topics.sectorNames());
      r.headers.emplace_back("Cache-Control", "no-store");
      // The HTML report runs nothing and loads nothing: its styles and charts are inline.
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      return r;
    };
    if (ctx.blocking != nullptr) {
      ctx.http.addBlocking("GET", "/api/v1/reports/{period}", handler, *ctx.blocking, guard);
    } else {
      ctx.http.add("GET", "/api/v1/reports/{period}", handler, guard);
    }
  }

  const ReportsSettings settings_;
  services::ServiceContext* ctx_ = nullptr;
  std::vector<Target> targets_;
  PublishSettings publishing_;
  Clock::TimePoint nextPublishCheck_{};
  std::shared_ptr<services::StatusEntry> status_;
  services::SubscribedLoop intake_;  // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<services::Component> makeReportsComponent(ReportsSettings settings) {
  return std::make_unique<ReportsComponent>(std::move(settings));
}

}  // namespace wayhome::reports
