#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <wayhome/connectors/in_flight.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::connectors::loan {
namespace {

using services::HttpRequest;
using services::HttpResponse;
using services::Responder;

bool isJsonContentType(std::string_view value) {
  const auto semicolon = value.find(';');
  std::string_view media = value.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ')
    media.remove_prefix(1);
  if (media.size() != 16) return false;
  constexpr std::string_view kJson = "application/json";
  for (std::size_t i = 0; i < media.size(); ++i) {
    char c = media[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kJson[i]) return false;
  }
  return true;
}

class LoanConnector final : public Connector {
 public:
  LoanConnector(std::string name, LoanSettings settings)
      : name_(std::move(name)),
        settings_(std::move(settings)),
        inFlight_(std::make_shared<InFlight>()) {}

  void start(ConnectorContext& context) override {
    context_ = &context;
    inFlight_->attach(context.status);
    context.service.http.addAsync(
        "POST", loanWebhookPath(name_),
        [this](HttpRequest request, Responder respond) { handle(request, std::move(respond)); },
        [this](const HttpRequest& request) { return admit(request); });
    log::info("loan", "webhook endpoint ready",
              {{"name", name_},
               {"path", loanWebhookPath(name_)},
               {"max_clock_skew_s", std::to_string(settings_.maxClockSkew.count())}});
  }

  void stop(std::chrono::steady_clock::time_point deadline) override {
    stopping_ = true;
    if (const std::size_t waiting = inFlight_->drain(deadline); waiting > 0) {
      log::warn("loan", "stopping with webhooks still waiting for the outbox",
                {{"name", name_}, {"in_flight", std::to_string(waiting)}});
    }
  }

 private:
  HttpResponse unavailable(std::string_view why) const {
    auto r = HttpResponse::error(503, why);
    r.headers.emplace_back("Retry-After", std::to_string(settings_.retryAfter.count()));
    return r;
  }

  // On the headers, before the body is read: an unsigned, stale or oversized request
  // costs us no body. handle() checks all of it again with the body.
  std::optional<HttpResponse> admit(const HttpRequest& request) {
    const std::string length = request.header("content-length");
    int status = 0;
    std::string why;
    if (!length.empty() && (length.size() > 18 || std::stoull(length) > settings_.maxBodyBytes)) {
      status = 413;
      why = "body: " + length + " bytes exceed the limit of " +
            std::to_string(settings_.maxBodyBytes);
    } else if (!isJsonContentType(request.header("content-type"))) {
      status = 415;
      why = "Content-Type: must be application/json";
    } else if (auto headers = checkWebhookHeaders(
                   request.header(kTimestampHeader), request.header(kSignatureHeader),
                   context_->service.clock.now(), settings_.maxClockSkew);
               !headers) {
      status = 401;
      why = headers.error().message;
    } else {
      return std::nullopt;
    }
    context_->status.received();
    context_->status.rejected(why);
    auto r = HttpResponse::error(status, why);
    if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Signature realm=\"wayhome\"");
    return r;
  }

  void reject(const Responder& respond, int status, const std::string& message,
              const HttpRequest& request) {
    context_->status.rejected(message);
    log::warn("loan", "webhook refused",
              {{"name", name_},
               {"status", std::to_string(status)},
               {"reason", message},
               {"remote", request.remoteAddress}});
    respond(HttpResponse::error(status, message));
  }

  void handle(const HttpRequest& request, Responder respond) {
    auto& status = context_->status;
    status.received();
    if (stopping_) return respond(unavailable("the connector is stopping"));
    if (request.body.size() > settings_.maxBodyBytes) {
      return reject(respond, 413,
                    "body: " + std::to_string(request.body.size()) + " bytes exceed the limit of " +
                        std::to_string(settings_.maxBodyBytes),
                    request);
    }
    const std::string contentType = request.header("content-type");
    if (!isJsonContentType(contentType)) {
      return reject(respond, 415, "Content-Type: must be application/json", request);
    }
    auto verified = verifyWebhook(settings_.secret, request.header(kTimestampHeader),
                                  request.header(kSignatureHeader), request.body,
                                  context_->service.clock.now(), settings_.maxClockSkew);
    if (!verified) {
      context_->status.rejected(verified.error().message);
      log::warn("loan", "webhook signature refused",
                {{"name", name_},
                 {"reason", verified.error().message},
                 {"remote", request.remoteAddress}});
      auto r = HttpResponse::error(401, verified.error().message);
      r.headers.emplace_back("WWW-Authenticate", "Signature realm=\"wayhome\"");
      return respond(std::move(r));
    }
    auto& intake = context_->intake;
    if (intake.overloaded()) {
      return respond(unavailable("the outbox is full while the bus catches up; retry later"));
    }
    auto webhook =
        parseLoanWebhook(request.body, [&](std::string_view nin) { return intake.personRef(nin); });
    if (!webhook) return reject(respond, 400, webhook.error().message, request);

    // The sender's event id is the record; its type the version. A re-delivery (the
    // sender's retry, or a replay inside the skew window) gives the same event id, and
    // the outbox keeps the first.
    const std::string eventId = intake.eventId(webhook.value().id, webhook.value().type, 0);
    inFlight_->begin();
    std::vector<CanonicalEvent> events;
    events.push_back(std::move(webhook.value().event));
    auto inFlight = inFlight_;
    auto queued = intake.submit(
        webhook.value().id, webhook.value().type, std::move(events),
        [inFlight, respond, eventId, retryAfter = settings_.retryAfter](Result<IntakeOutcome> r) {
          if (!r) {
            inFlight->report([&](services::StatusEntry& s) { s.failed(r.error().message); });
            inFlight->end();
            auto res = HttpResponse::error(503, r.error().message);
            res.headers.emplace_back("Retry-After", std::to_string(retryAfter.count()));
            return respond(std::move(res));
          }
          const auto outcome = r.value();
          inFlight->report(
              [&](services::StatusEntry& s) { s.succeeded(outcome.fresh, outcome.duplicates); });
          inFlight->end();
          std::string body = "{\"accepted\":" + std::to_string(outcome.fresh) +
                             ",\"duplicates\":" + std::to_string(outcome.duplicates) +
                             ",\"event_ids\":[";
          schemas::appendJsonString(body, eventId);
          body += "]}";
          respond(HttpResponse::json(202, std::move(body)));
        });
    if (!queued) {
      inFlight_->end();
      if (queued.error().retryable()) return respond(unavailable(queued.error().message));
      return reject(respond, 400, queued.error().message, request);
    }
  }

  std::string name_;
  LoanSettings settings_;
  std::shared_ptr<InFlight> inFlight_;  // outlives the connector in outbox callbacks
  ConnectorContext* context_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace

std::string loanWebhookPath(std::string_view instanceName) {
  return "/api/v1/connectors/loan/" + std::string(instanceName) + "/events";
}

std::string_view LoanConnectorFactory::configSchema() const {
  return loanSettingsSchema();
}

ConnectorPtr LoanConnectorFactory::create(const std::string& instanceName,
                                          std::string_view configJson) const {
  return std::make_unique<LoanConnector>(instanceName, parseLoanSettings(instanceName, configJson));
}

}  // namespace wayhome::connectors::loan
