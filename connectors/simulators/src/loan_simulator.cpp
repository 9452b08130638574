// The start-up loan system as seen from wayhome: Startskudd decisions and the loan
// administrator's reports, sent as signed webhooks the way a real sender does it
// (one event per request, re-signed per attempt, retried with back-off on 429/5xx
// and network errors, the same event id on every attempt).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include <rapidjson/document.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/simulators/identity.hpp>
#include <wayhome/simulators/loan_journeys.hpp>
#include <wayhome/simulators/simulators.hpp>

#include "loan_simulator_schema.hpp"  // generated from loan.schema.json: kLoanSimulatorSchema
#include "settings_json.hpp"

namespace wayhome::connectors::loan {

using simulators::syntheticNin;
namespace {

using namespace std::chrono;

struct SimulatorSettings : SenderSettings {
  SimulatorSettings() { connector = "loan"; }
  std::string secret;
};

}  // namespace

std::vector<SimulatedWebhook> loanJourney(std::mt19937_64& rng, const std::string& run, int n,
                                          const OccurredAtFn& occurredAt) {
  using namespace std::chrono;
  const std::string nin = syntheticNin(rng, 1950);
  const std::string application = "SL-" + run + "-" + std::to_string(n);
  const std::string loan = "LOAN-" + run + "-" + std::to_string(n);
  sys_days day =
      sys_days(2026y / January / 5) + days(std::uniform_int_distribution<int>(0, 300)(rng));
  std::vector<SimulatedWebhook> out;
  auto add = [&](const std::string& type, const std::string& data) {
    SimulatedWebhook w;
    w.id = "sim-" + run + "-" + std::to_string(n) + "-" + std::to_string(out.size());
    w.body = "{\"id\":\"" + w.id + "\",\"type\":\"" + type + "\",\"occurred_at\":\"" +
             occurredAt(day) + "\",\"data\":{\"national_identity_number\":\"" + nin + "\"," + data +
             "}}";
    out.push_back(std::move(w));
  };
  auto amount = [&](int lo, int hi) {
    return std::to_string(std::uniform_int_distribution<int>(lo, hi)(rng) * 1000);
  };
  const std::string asked = amount(1500, 4500);
  add("application_submitted", "\"application_id\":\"" + application + "\",\"amount_asked_nok\":" +
                                   asked + ",\"submitted_date\":\"" + formatDate(day) + "\"");
  day += days(std::uniform_int_distribution<int>(7, 40)(rng));
  if (std::bernoulli_distribution(0.25)(rng)) {
    add("application_decided",
        "\"application_id\":\"" + application + "\",\"outcome\":\"rejected\",\"decided_date\":\"" +
            formatDate(day) + "\",\"appeal_deadline\":\"" + formatDate(day + days(21)) +
            "\",\"rejection_reason\":\"Insufficient repayment capacity.\"");
    return out;
  }
  const std::string granted = amount(1000, 4000);
  add("application_decided", "\"application_id\":\"" + application +
                                 "\",\"outcome\":\"granted\",\"decided_date\":\"" +
                                 formatDate(day) + "\",\"amount_nok\":" + granted +
                                 ",\"valid_until\":\"" + formatDate(day + days(182)) + "\"");
  day += days(std::uniform_int_distribution<int>(20, 120)(rng));
  add("disbursed", "\"loan_id\":\"" + loan + "\",\"disbursed_date\":\"" + formatDate(day) +
                       "\",\"amount_nok\":" + granted + ",\"application_id\":\"" + application +
                       "\"");
  if (std::bernoulli_distribution(0.3)(rng)) {
    const sys_days due = day + days(std::uniform_int_distribution<int>(30, 400)(rng));
    add("instalment_missed", "\"loan_id\":\"" + loan + "\",\"days_overdue\":" +
                                 std::to_string(std::uniform_int_distribution<int>(14, 90)(rng)) +
                                 ",\"amount_nok\":" + amount(5, 30) + ",\"due_date\":\"" +
                                 formatDate(due) + "\"");
  }
  return out;
}

namespace {

class LoanSimulator final : public Simulator {
 public:
  explicit LoanSimulator(SimulatorSettings settings) : settings_(std::move(settings)) {}
  ~LoanSimulator() override { stop(); }

  void start(const SimulatorContext& context) override {
    urls_ = settings_.urls;
    if (urls_.empty()) {
      urls_.push_back(settings_.url.empty()
                          ? context.serviceUrl + loanWebhookPath(settings_.connector)
                          : settings_.url);
    }
    worker_.start("loan-simulator", [this](const std::stop_token&) { run(); });
  }

  void stop() override { worker_.stop(); }

  /// Its journeys are played (never, for journeys 0).
  [[nodiscard]] bool finished() const override { return finished_; }

 private:
  // Sleeps up to `d`; false when stopping.
  bool pause(milliseconds d) { return worker_.sleepFor(d); }

  void run() {
    const std::uint64_t seed = settings_.seed.value_or(std::random_device{}());
    std::mt19937_64 rng(seed);
    // Retry jitter draws from its own generator (seeded from the same seed): how often
    // a send was retried must not change the journeys that follow.
    jitter_.seed(seed ^ 0x9e3779b97f4a7c15ULL);
    char run[9];
    std::snprintf(run, sizeof run, "%08x", static_cast<unsigned>(rng() & 0xffffffffU));
    log::info("loan-simulator", "starting",
              {{"url", urls_.front()},
               {"urls", std::to_string(urls_.size())},
               {"journeys", std::to_string(settings_.journeys)},
               {"run", run}});
    const auto gap = duration_cast<milliseconds>(duration<double>(1.0 / settings_.ratePerSecond));
    for (int n = 1; settings_.journeys == 0 || n <= settings_.journeys; ++n) {
      const auto now = [](sys_days) { return formatRfc3339(SystemClock::instance().now()); };
      for (const auto& webhook : loanJourney(rng, run, n, now)) {
        if (!deliver(webhook)) {
          if (stopped()) return finish(run);
        }
        if (!pause(gap)) return finish(run);
      }
    }
    finish(run);
  }

  bool stopped() const { return worker_.stopping(); }

  void finish(const std::string& run) {
    finished_ = true;
    log::info("loan-simulator", "finished",
              {{"run", run},
               {"sent", std::to_string(sent_)},
               {"accepted", std::to_string(accepted_)},
               {"duplicates", std::to_string(duplicates_)},
               {"refused", std::to_string(refused_)},
               {"given_up", std::to_string(givenUp_)}});
  }

  // Delivers one webhook, retrying what may succeed later. False if it was not accepted.
  // Several URLs (instances behind no balancer): each webhook goes to the next one, and
  // a failed attempt tries the one after at once; the back-off comes when every URL
  // failed in a row.
  bool deliver(const SimulatedWebhook& webhook) {
    milliseconds backoff = settings_.retryInitial;
    const std::size_t first = next_++;
    for (int attempt = 1; attempt <= settings_.maxAttempts; ++attempt) {
      services::ClientRequest req;
      req.method = "POST";
      req.url = urls_[(first + static_cast<std::size_t>(attempt - 1)) % urls_.size()];
      req.body = webhook.body;
      const std::string timestamp = std::to_string(
          duration_cast<seconds>(SystemClock::instance().now().time_since_epoch()).count());
      req.headers = {
          {"Content-Type", "application/json"},
          {"X-Wayhome-Timestamp", timestamp},
          {"X-Wayhome-Signature", crypto::webhookSignature(settings_.secret, timestamp, req.body)}};
      ++sent_;
      auto res = services::httpRequest(req);
      milliseconds wait = backoff;
      if (res) {
        const int status = res.value().status;
        if (status == 202) {
          rapidjson::Document d;
          d.Parse(res.value().body.c_str());
          if (d.IsObject() && d.HasMember("duplicates") && d["duplicates"].IsInt() &&
              d["duplicates"].GetInt() > 0) {
            ++duplicates_;
          } else {
            ++accepted_;
          }
          return true;
        }
        if (status != 429 && status < 500) {
          ++refused_;
          log::warn(
              "loan-simulator", "webhook refused",
              {{"id", webhook.id}, {"status", std::to_string(status)}, {"body", res.value().body}});
          return false;
        }
        const std::string retryAfter = res.value().header("retry-after");
        if (!retryAfter.empty()) {
          try {
            wait = std::max(wait, milliseconds(std::stoi(retryAfter) * 1000));
          } catch (const std::exception&) {
            // An unreadable Retry-After leaves our own back-off.
          }
        }
      }
      if (attempt % static_cast<int>(urls_.size()) != 0) {
        log::debug("loan-simulator", "trying the next url",
                   {{"id", webhook.id}, {"failed", req.url}});
        if (stopped()) return false;
        continue;
      }
      // Jitter keeps many senders from retrying in step.
      wait += milliseconds(
          std::uniform_int_distribution<int>(0, static_cast<int>(wait.count() / 4))(jitter_));
      log::debug("loan-simulator", "retrying",
                 {{"id", webhook.id},
                  {"attempt", std::to_string(attempt)},
                  {"wait_ms", std::to_string(wait.count())}});
      if (!pause(wait)) return false;
      backoff = std::min(backoff * 2, settings_.retryMax);
    }
    ++givenUp_;
    log::error("loan-simulator", "webhook given up after retries", {{"id", webhook.id}});
    return false;
  }

  SimulatorSettings settings_;
  std::vector<std::string> urls_;
  std::size_t next_ = 0;
  std::mt19937_64 jitter_;
  std::uint64_t sent_ = 0, accepted_ = 0, duplicates_ = 0, refused_ = 0, givenUp_ = 0;
  std::atomic<bool> finished_{false};
  Worker worker_;  // last: joined before the rest goes
};

}  // namespace

std::string_view LoanSimulatorFactory::configSchema() const {
  return kLoanSimulatorSchema;
}

std::unique_ptr<Simulator> LoanSimulatorFactory::create(std::string_view settingsJson) const {
  const SettingsJson d("loan", settingsJson);
  SimulatorSettings s;
  s.secret = loadSecret("simulator loan", d.text("secret"), d.text("secret_file"));
  s.read(d);
  return std::make_unique<LoanSimulator>(std::move(s));
}

}  // namespace wayhome::connectors::loan
