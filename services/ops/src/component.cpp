#include <vector>

#include <wayhome/core/clock.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/runtime/blocking_pool.hpp>

#include "dead_letters.hpp"
#include "ops_api.hpp"
#include "topic_monitor.hpp"

namespace wayhome::ops {
namespace {

class OpsComponent final : public services::Component {
 public:
  [[nodiscard]] std::string name() const override { return "ops"; }

  void start(services::ServiceContext& ctx) override {
    if (ctx.health == nullptr || ctx.auth == nullptr || ctx.blocking == nullptr) {
      throw std::logic_error("the ops component needs a host (health, auth, blocking pool)");
    }
    std::vector<std::string> topicNames;
    for (const auto& t : ctx.topics.all(ctx.config.bus.defaultPartitions))
      topicNames.push_back(t.name);
    topicMonitor_ =
        std::make_unique<services::TopicMonitor>(ctx.producer, ctx.busClient, topicNames);
    deadLetters_ =
        std::make_unique<services::DeadLetters>(ctx.busClient, ctx.topics, ctx.state, ctx.producer,
                                                ctx.outbox, ctx.schemas, SystemClock::instance());
    const services::OpsContext ops{.health = *ctx.health,
                                   .bootstrap = ctx.bootstrap,
                                   .startedAt = ctx.startedAt,
                                   .status = ctx.status,
                                   .outbox = ctx.outbox,
                                   .schemas = ctx.schemas,
                                   .topics = ctx.topics,
                                   .topicMonitor = *topicMonitor_,
                                   .metrics = ctx.metrics,
                                   .auth = *ctx.auth,
                                   .deadLetters = *deadLetters_,
                                   .busClient = ctx.busClient,
                                   .producer = ctx.producer,
                                   .reload = ctx.reload,
                                   .pool = *ctx.blocking};
    services::registerOpsRoutes(ctx.http, ops);
    services::registerServiceMetrics(ops);
  }

  void stop(std::chrono::steady_clock::time_point) override {
    if (topicMonitor_) topicMonitor_->stop();
  }

 private:
  std::unique_ptr<services::TopicMonitor> topicMonitor_;
  std::unique_ptr<services::DeadLetters> deadLetters_;
};

}  // namespace

std::unique_ptr<services::Component> makeOpsComponent() {
  return std::make_unique<OpsComponent>();
}

}  // namespace wayhome::ops
