#include <atomic>
#include <regex>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/consume_loop.hpp>
#include <wayhome/runtime/sole_job.hpp>
#include <wayhome/scheduler/scheduler.hpp>

#include "meetings_api.hpp"

namespace wayhome::scheduler {
namespace {

using namespace std::chrono;

class SchedulerComponent final : public services::Component {
 public:
  explicit SchedulerComponent(SchedulerSettings settings) : settings_(std::move(settings)) {}

  [[nodiscard]] std::string name() const override { return "scheduler"; }

  void start(services::ServiceContext& ctx) override {
    const auto& settings = settings_;
    status_ = ctx.status.add("scheduler", "scheduler");
    outbox_ = &ctx.outbox;
    scheduler_ = std::make_unique<Scheduler>(ctx.state, ctx.outbox, ctx.schemas, ctx.topics,
                                             ctx.clock, settings);
    // Timers fire on one instance at a time; every instance takes notice requests.
    timers_ = std::make_unique<services::SoleJob>(ctx.state, "scheduler-timers", ctx.instance);
    addRoutes(ctx.http, ctx.auth);
    addMeetingRoutes(ctx.http, ctx.auth, *scheduler_, ctx.topics, ctx.clock);
    addMetrics(ctx.metrics, ctx.state);
    std::vector<std::string> topics{ctx.topics.noticeRequests()};
    for (const auto& sector : ctx.topics.sectorNames())
      topics.push_back(ctx.topics.referrals(sector));
    // Timers run before every poll, so what came due while the service was down fires
    // at once, before the (slow) first group join.
    intake_.start(services::consumerProperties(ctx.config.bus, ctx.busClient),
                  bus::ConsumerOptions{.groupId = "wayhome-scheduler",
                                       .name = "wayhome-scheduler",
                                       .autoOffsetReset = "earliest"},
                  topics, ctx.outbox, *status_,
                  services::ConsumeLoop::Options{.component = "scheduler",
                                                 .maxBatch = 200,
                                                 .poll = settings.poll,
                                                 .beforePoll = [this] { tick(); }},
                  [this](std::vector<bus::KafkaRecord>& records) { return handle(records); });
    status_->setHealth(services::Health::kRunning);
  }

  void stop(steady_clock::time_point /*deadline*/) override {
    intake_.stop();
    if (status_) status_->setHealth(services::Health::kStopped);
  }

  [[nodiscard]] std::string notReadyReason() const override {
    if (scheduler_ && !firstTickDone_) return "scheduler: timers due at start not yet fired";
    return {};
  }

 private:
  // Read from the store at scrape time, so the numbers survive restarts.
  static void addMetrics(services::Metrics& metrics, store::StateStore& state) {
    metrics.addCollector(
        "wayhome_notices_sent_total",
        "Meeting notices sent, per notice (invitation, update, "
        "cancel, reminder).",
        "counter", [&state] {
          std::vector<services::Metrics::Sample> out;
          for (const char* notice : {"invitation", "update", "cancel", "reminder"}) {
            std::int64_t n = 0;
            state.transaction([&](store::Connection& db) {
              store::Statement st(db, "SELECT COUNT(*) FROM scheduler_notices WHERE notice = ?;");
              st.bind(1, notice);
              if (st.step()) n = st.columnInt(0);
            });
            out.push_back({{{"notice", notice}}, static_cast<double>(n)});
          }
          return out;
        });
    metrics.addCollector(
        "wayhome_meetings", "Meetings the scheduler keeps, per status.", "gauge", [&state] {
          return services::countsInStore(
              state,
              "SELECT status, COUNT(*) FROM scheduler_meetings GROUP BY status ORDER BY status;",
              {"status"});
        });
  }

  // Meetings name citizens (by person_ref) and cases: with tokens configured, only a
  // known token reads them (an operator's or a case worker's).
  static services::Handler readers(const services::OpsAuth* auth, services::Handler handler) {
    return [auth, handler = std::move(handler)](const services::HttpRequest& req) {
      std::string actor;
      if (auth != nullptr) {
        if (auto refusal = auth->check(req, services::OpsAuth::Role::kReader, actor)) {
          return std::move(*refusal);
        }
      }
      return handler(req);
    };
  }

  void addRoutes(services::HttpRouter& http, const services::OpsAuth* auth) {
    http.add("GET", "/api/v1/meetings", readers(auth, [this](const services::HttpRequest& req) {
               static const std::regex kPersonRef("^pr_[0-9a-f]{32}$");
               static const std::regex kCaseId("^[A-Za-z0-9._:-]{1,128}$");
               const auto person = req.query.find("person_ref");
               const auto caseId = req.query.find("case_id");
               if (person != req.query.end()) {
                 if (!std::regex_match(person->second, kPersonRef)) {
                   return services::HttpResponse::error(
                       400, "person_ref: must be pr_ and 32 hex digits");
                 }
                 return services::HttpResponse::json(200, scheduler_->listJson(person->second, ""));
               }
               if (caseId != req.query.end()) {
                 if (!std::regex_match(caseId->second, kCaseId)) {
                   return services::HttpResponse::error(
                       400, "case_id: must match ^[A-Za-z0-9._:-]{1,128}$");
                 }
                 return services::HttpResponse::json(200, scheduler_->listJson("", caseId->second));
               }
               return services::HttpResponse::error(400, "person_ref or case_id: one is required");
             }));
    http.add("GET", "/api/v1/meetings/{file}",
             readers(auth, [this](const services::HttpRequest& req) {
               std::string id = req.params.at("file");
               constexpr std::string_view kSuffix = ".ics";
               if (id.size() <= kSuffix.size() ||
                   id.compare(id.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
                 return services::HttpResponse::error(
                     404, "meetings are served as /api/v1/meetings/{id}.ics");
               }
               id.resize(id.size() - kSuffix.size());
               auto ics = scheduler_->calendar(id);
               if (!ics) return services::HttpResponse::error(404, "no such meeting");
               services::HttpResponse r;
               r.contentType = "text/calendar; charset=utf-8";
               r.body = std::move(*ics);
               return r;
             }));
  }

  void tick() {
    if (!outbox_->overloaded() && timers_->mine()) {
      auto report = scheduler_->tick();
      if (!report) {
        status_->failed(report.error().message);
      } else if (report.value().notices() > 0) {
        status_->succeeded(report.value().notices());
      }
    }
    firstTickDone_ = true;
  }

  // Records one by one, each in its own transaction; at a store failure the rest is
  // read again.
  std::size_t handle(const std::vector<bus::KafkaRecord>& records) {
    std::size_t done = 0;
    for (const auto& record : records) {
      status_->received();
      auto outcome = scheduler_->handle(record);
      if (!outcome) {
        status_->failed(outcome.error().message);
        break;
      }
      if (outcome.value() == Outcome::kRejected) {
        status_->rejected("record sent to dlq.scheduler");
      } else if (outcome.value() == Outcome::kDuplicate) {
        status_->succeeded(0, 1);
      }
      ++done;
    }
    return done;
  }

  const SchedulerSettings settings_;
  std::shared_ptr<services::StatusEntry> status_;
  bus::Outbox* outbox_ = nullptr;
  // The consumer feeds the scheduler; the loop's thread uses both.
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<services::SoleJob> timers_;
  std::atomic<bool> firstTickDone_{false};
  services::SubscribedLoop intake_;  // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<services::Component> makeSchedulerComponent(SchedulerSettings settings) {
  return std::make_unique<SchedulerComponent>(std::move(settings));
}

}  // namespace wayhome::scheduler
