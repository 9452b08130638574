// The start-up loan system as seen from wayhome: Startskudd decisions and the loan
// administrator's reports, sent as signed webhooks the way a real sender does it
// (one event per request, re-signed per attempt, retried with back-off on 429/5xx
// and network errors, the same event id on every attempt).

#include <chrono>
#include <random>

#include <rapidjson/document.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/schemas/json_text.hpp>
#include <wayhome/simulators/identity.hpp>
#include <wayhome/simulators/loan_journeys.hpp>
#include <wayhome/simulators/simulators.hpp>

#include "loan_simulator_schema.hpp"  // generated from loan.schema.json: kLoanSimulatorSchema
#include "sender.hpp"
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
  explicit LoanSimulator(SimulatorSettings settings)
      : settings_(std::move(settings)), sender_("loan-simulator", settings_) {}

  void start(const SimulatorContext& context) override {
    sender_.start(context, loanWebhookPath(settings_.connector), "", [this] { run(); });
  }

  void stop() override { sender_.stop(); }

  /// Its journeys are played (never, for journeys 0).
  [[nodiscard]] bool finished() const override { return sender_.finished(); }

 private:
  void run() {
    sender_.play(
        [](std::mt19937_64& rng, const std::string& run, int n) {
          const auto now = [](sys_days) { return formatRfc3339(SystemClock::instance().now()); };
          return loanJourney(rng, run, n, now);
        },
        [this](const SimulatedWebhook& webhook, std::mt19937_64&) { deliver(webhook); },
        [this] {
          return std::vector<log::Field>{{"accepted", std::to_string(accepted_)},
                                         {"duplicates", std::to_string(duplicates_)},
                                         {"refused", std::to_string(refused_)}};
        });
  }

  // Delivers one webhook, re-signed on every attempt; tried again on 429, 5xx and
  // network errors, at once on the next URL or, once every URL failed in a row, after
  // the back-off or the server's Retry-After, whichever is longer.
  void deliver(const SimulatedWebhook& webhook) {
    sender_.send(webhook.id, [&](const std::string& url) {
      services::ClientRequest req;
      req.method = "POST";
      req.url = url;
      req.body = webhook.body;
      const std::string timestamp = std::to_string(
          duration_cast<seconds>(SystemClock::instance().now().time_since_epoch()).count());
      req.headers = {
          {"Content-Type", "application/json"},
          {"X-Wayhome-Timestamp", timestamp},
          {"X-Wayhome-Signature", crypto::webhookSignature(settings_.secret, timestamp, req.body)}};
      auto res = services::httpRequest(req);
      if (!res) return Sender::Attempt{};
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
        return Sender::Attempt{Sender::Outcome::kDelivered};
      }
      if (status != 429 && status < 500) {
        ++refused_;
        log::warn(
            "loan-simulator", "webhook refused",
            {{"id", webhook.id}, {"status", std::to_string(status)}, {"body", res.value().body}});
        return Sender::Attempt{Sender::Outcome::kRefused};
      }
      Sender::Attempt failed;
      const std::string retryAfter = res.value().header("retry-after");
      if (!retryAfter.empty()) {
        try {
          failed.retryAfter = milliseconds(std::stoi(retryAfter) * 1000);
        } catch (const std::exception&) {
          // An unreadable Retry-After leaves our own back-off.
        }
      }
      return failed;
    });
  }

  SimulatorSettings settings_;
  std::uint64_t accepted_ = 0, duplicates_ = 0, refused_ = 0;
  Sender sender_;  // last: its thread is joined before the rest goes
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
