// GERICA/LMP as seen from wayhome: home care nurses observing housing needs, service
// decisions, individual plans and the citizen's consents, sent as MsgHead/Dialogmelding
// messages the way a real sender does it: one message per request (or file), the same
// MsgId on every attempt, sent again when no receipt (AppRec) comes back.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/clock.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/gerica/message.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/simulators/gerica_journeys.hpp>
#include <wayhome/simulators/identity.hpp>
#include <wayhome/simulators/simulators.hpp>

#include "gerica_simulator_schema.hpp"  // generated from gerica.schema.json: kGericaSimulatorSchema
#include "sender.hpp"
#include "settings_json.hpp"

namespace wayhome::connectors::gerica {

using simulators::syntheticNin;
namespace {

using namespace std::chrono;
namespace fs = std::filesystem;

struct SimulatorSettings : SenderSettings {
  SimulatorSettings() { connector = "gerica"; }
  std::string dropFolder;  // set: write files there instead of posting
  std::string senderOrgId = "974600951";
  std::string receiverOrgId;
  std::string secret;  // set: sign each message as sender senderOrgId
  double resendRate = 0.05;
  double withdrawRate = 0.1;  // share of consenting citizens who withdraw at the end
  milliseconds receiptTimeout{5000};
};

using Message = SimulatedMessage;

class Journey {
 public:
  Journey(const JourneyOptions& s, std::mt19937_64& rng, std::string run, int n)
      : s_(s), rng_(rng), run_(std::move(run)), n_(n), nin_(syntheticNin(rng, 1940)) {
    day_ = sys_days(2026y / January / 5) + days(pick(0, 300));
  }

  std::vector<Message> messages() {
    static const std::vector<std::string> kNeeds{"unsuitable_dwelling", "needs_adaptation",
                                                 "risk_of_eviction", "homeless_or_at_risk",
                                                 "unsafe_living_conditions"};
    static const std::vector<std::string> kServices{"home_nursing",
                                                    "practical_assistance",
                                                    "mental_health_follow_up",
                                                    "substance_abuse_follow_up",
                                                    "safety_alarm",
                                                    "meals_on_wheels",
                                                    "day_care"};
    static const std::vector<std::string> kRoles{"home_care_nurse", "mental_health_worker",
                                                 "substance_abuse_counsellor",
                                                 "occupational_therapist"};
    const std::string& need = kNeeds[static_cast<std::size_t>(pick(0, 4))];
    const bool urgent = chance(0.3);
    const bool request = chance(0.3);
    add(request ? "DIALOG_FORESPORSEL" : "DIALOG_NOTAT", "HOUSING_NEED", "OBS",
        {{"need", need},
         {"urgency", urgent ? "urgent" : "normal"},
         {"observer_role", kRoles[static_cast<std::size_t>(pick(0, 3))]}},
        urgent ? "The tenant cannot stay in the flat after discharge; stairs and no heating."
               : "The citizen asks for help to find a more suitable home.");
    const bool consent = chance(0.8);
    if (consent) {
      std::vector<std::pair<std::string, std::string>> facts{{"to_sector", "housing"}};
      if (chance(0.4)) facts.emplace_back("to_sector", "nav");
      facts.emplace_back("purpose", "housing_need");
      facts.emplace_back("valid_until", formatDate(day_ + days(365)));
      add("DIALOG_NOTAT", "CONSENT_GRANTED", "CNS", facts, "Consent recorded in conversation.");
      // Often also that housing may hear that a plan or a home-care decision exists, so
      // follow-up conversations take it into account (its own consent document).
      if (chance(0.6)) {
        add("DIALOG_NOTAT", "CONSENT_GRANTED", "CNF",
            {{"to_sector", "housing"},
             {"purpose", "housing_follow_up"},
             {"valid_until", formatDate(day_ + days(365))}},
            "Consent to tell the housing contact about plans and decisions.");
      }
    }
    const std::string& service = kServices[static_cast<std::size_t>(pick(0, 6))];
    add("DIALOG_NOTAT", "SERVICE_GRANTED", "VED",
        {{"service", service}, {"valid_from", formatDate(day_ + days(3))}}, "");
    if (chance(0.5)) {
      std::vector<std::pair<std::string, std::string>> facts{
          {"coordinator_role", "care_coordinator"},
          {"coordinator_sector", "health_care"},
          {"sector", "health_care"},
          {"sector", "housing"}};
      if (chance(0.5)) facts.emplace_back("sector", "nav");
      add("DIALOG_NOTAT", "PLAN_UPDATED", "IP", facts, "");
    }
    if (chance(0.2)) {
      add("DIALOG_NOTAT", "SERVICE_ENDED", "VED",
          {{"service", service}, {"valid_to", formatDate(day_)}}, "");
    }
    if (consent && chance(s_.withdrawRate)) add("DIALOG_NOTAT", "CONSENT_WITHDRAWN", "CNS", {}, "");
    return std::move(out_);
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  void add(const std::string& msgType, const std::string& code, const std::string& docPrefix,
           const std::vector<std::pair<std::string, std::string>>& facts, const std::string& note) {
    day_ += days(pick(1, 20));
    const bool request = msgType == "DIALOG_FORESPORSEL";
    // One document per kind and citizen: a decision ended later keeps its id.
    const std::string docId =
        docPrefix + "-" + run_ + "-" + std::to_string(n_) + (code == "SERVICE_ENDED" ? "-end" : "");
    Message m;
    m.id = "sim-" + run_ + "-" + std::to_string(n_) + "-" + std::to_string(out_.size());
    const std::string when = formatDate(day_) + "T" + (pick(0, 1) == 0 ? "09" : "13") + ":" +
                             std::to_string(pick(10, 59)) + ":00+01:00";
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x += "<MsgHead xmlns=\"http://www.kith.no/xmlstds/msghead/2006-05-24\">\n";
    x += "  <MsgInfo>\n";
    x += "    <Type V=\"" + msgType + "\" DN=\"" + (request ? "Forespørsel" : "Notat") + "\"/>\n";
    x += "    <MIGversion>v1.2 2006-05-24</MIGversion>\n";
    x += "    <GenDate>" + formatRfc3339(SystemClock::instance().now()) + "</GenDate>\n";
    x += "    <MsgId>" + m.id + "</MsgId>\n";
    x +=
        "    <Sender><Organisation><OrganisationName>Hjemmetjenesten (simulated)</OrganisationName>"
        "<Ident><Id>" +
        s_.senderOrgId + "</Id><TypeId V=\"ENH\"/></Ident></Organisation></Sender>\n";
    if (!s_.receiverOrgId.empty()) {
      x += "    <Receiver><Organisation><OrganisationName>wayhome</OrganisationName><Ident><Id>" +
           s_.receiverOrgId + "</Id><TypeId V=\"ENH\"/></Ident></Organisation></Receiver>\n";
    }
    x += "    <Patient><Ident><Id>" + nin_ + "</Id><TypeId V=\"FNR\"/></Ident></Patient>\n";
    x += "  </MsgInfo>\n  <Document><RefDoc><MsgType V=\"XML\"/><Content>\n";
    x += "    <Dialogmelding xmlns=\"http://www.kith.no/xmlstds/dialog/2006-10-11\">\n";
    const std::string element = request ? "Foresporsel" : "Notat";
    x += "      <" + element + ">\n";
    x += "        <TemaKodet V=\"" + code + "\"/>\n";
    x += std::string("        <") + (request ? "DokIdForesp>" : "DokIdNotat>") + docId +
         (request ? "</DokIdForesp>\n" : "</DokIdNotat>\n");
    x += std::string("        <") + (request ? "DatoForesp>" : "DatoNotat>") + when +
         (request ? "</DatoForesp>\n" : "</DatoNotat>\n");
    for (const auto& [name, value] : facts) {
      x += "        <Opplysning Navn=\"" + name + "\" V=\"" + value + "\"/>\n";
    }
    if (!note.empty()) {
      const std::string tag = request ? "Sporsmal" : "TekstNotatInnhold";
      x += "        <" + tag + ">" + text::escapeMarkup(note) + "</" + tag + ">\n";
    }
    x += "      </" + element + ">\n    </Dialogmelding>\n";
    x += "  </Content></RefDoc></Document>\n</MsgHead>\n";
    m.xml = std::move(x);
    out_.push_back(std::move(m));
  }

  const JourneyOptions& s_;
  std::mt19937_64& rng_;
  std::string run_;
  int n_;
  std::string nin_;
  sys_days day_;
  std::vector<Message> out_;
};

class GericaSimulator final : public Simulator {
 public:
  explicit GericaSimulator(SimulatorSettings settings)
      : settings_(std::move(settings)), sender_("gerica-simulator", settings_) {}

  void start(const SimulatorContext& context) override {
    if (!settings_.dropFolder.empty()) {
      std::error_code ec;
      fs::create_directories(settings_.dropFolder, ec);
      if (ec) {
        throw std::runtime_error("gerica simulator: drop folder " + settings_.dropFolder +
                                 " cannot be created: " + ec.message());
      }
    }
    sender_.start(context, messagesPath(settings_.connector), settings_.dropFolder,
                  [this] { run(); });
  }

  [[nodiscard]] bool finished() const override { return sender_.finished(); }

  void stop() override { sender_.stop(); }

 private:
  void run() {
    const JourneyOptions journey{settings_.senderOrgId, settings_.receiverOrgId,
                                 settings_.withdrawRate};
    sender_.play([&](std::mt19937_64& rng, const std::string& run,
                     int n) { return gericaJourney(rng, journey, run, n); },
                 [this](const Message& message, std::mt19937_64& rng) { send(message, rng); },
                 [this] {
                   return std::vector<log::Field>{{"ok", std::to_string(ok_)},
                                                  {"rejected", std::to_string(rejected_)},
                                                  {"resent", std::to_string(resent_)},
                                                  {"same_receipt", std::to_string(sameReceipt_)}};
                 });
  }

  void send(const Message& message, std::mt19937_64& rng) {
    auto receipt = deliver(message);
    if (sender_.stopping()) return;
    // Now and then a sender sends a message again though it got its receipt (a
    // restart, a lost acknowledgement on its side): the receipt must be the same.
    if (receipt && std::bernoulli_distribution(settings_.resendRate)(rng)) {
      ++resent_;
      auto again = deliver(message);
      if (again && *again == *receipt) {
        ++sameReceipt_;
      } else if (again) {
        log::warn("gerica-simulator", "a re-sent message got another receipt",
                  {{"msg_id", message.id}});
      }
    }
  }

  // The receipt of `message`, sent again until one comes; nothing when given up. A
  // drop folder is one destination: every attempt without a receipt backs off.
  std::optional<std::string> deliver(const Message& message) {
    std::optional<std::string> receipt;
    sender_.send(
        message.id,
        [&](const std::string& url) {
          receipt = settings_.dropFolder.empty() ? post(message, url) : dropAndWait(message);
          if (!receipt) return Sender::Attempt{};
          auto view = readAppRec(*receipt);
          if (view && view.value().ok) {
            ++ok_;
          } else {
            ++rejected_;
            log::warn("gerica-simulator", "message rejected",
                      {{"msg_id", message.id},
                       {"error", view ? view.value().errorCode : std::string("?")},
                       {"details", view ? view.value().details : std::string("not an AppRec")}});
          }
          return Sender::Attempt{Sender::Outcome::kDelivered};
        },
        settings_.dropFolder.empty());
    return receipt;
  }

  std::optional<std::string> post(const Message& message, const std::string& url) {
    services::ClientRequest req;
    req.method = "POST";
    req.url = url;
    req.body = message.xml;
    req.headers = {{"Content-Type", "application/xml; charset=utf-8"}};
    if (!settings_.secret.empty()) {
      const std::string now =
          std::to_string(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
      req.headers.emplace_back("X-Wayhome-Timestamp", now);
      req.headers.emplace_back("X-Wayhome-Signature",
                               crypto::webhookSignature(settings_.secret, now, message.xml));
    }
    auto res = services::httpRequest(req);
    if (!res) return std::nullopt;
    const int status = res.value().status;
    // A receipt comes with 200 (OK) and 4xx (rejected); anything else is no receipt.
    if (status == 200 || (status >= 400 && status < 500 &&
                          res.value().header("content-type").find("xml") != std::string::npos)) {
      return res.value().body;
    }
    return std::nullopt;
  }

  std::optional<std::string> dropAndWait(const Message& message) {
    const fs::path folder = settings_.dropFolder;
    const fs::path receipt = folder / "apprec" / (message.id + ".apprec.xml");
    std::error_code ec;
    fs::remove(receipt, ec);  // a receipt of an earlier attempt is not this one's
    const fs::path tmp = folder / (message.id + ".xml.tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << message.xml;
    }
    fs::rename(tmp, folder / (message.id + ".xml"), ec);
    if (ec) return std::nullopt;
    const auto deadline = steady_clock::now() + settings_.receiptTimeout;
    while (steady_clock::now() < deadline) {
      if (fs::exists(receipt, ec)) {
        std::ifstream in(receipt, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        if (!ss.str().empty()) return ss.str();
      }
      if (!sender_.pause(milliseconds(20))) return std::nullopt;
    }
    return std::nullopt;
  }

  SimulatorSettings settings_;
  std::uint64_t ok_ = 0, rejected_ = 0, resent_ = 0, sameReceipt_ = 0;
  Sender sender_;  // last: its thread is joined before the rest goes
};

}  // namespace

std::vector<SimulatedMessage> gericaJourney(std::mt19937_64& rng, const JourneyOptions& options,
                                            const std::string& run, int n) {
  return Journey(options, rng, run, n).messages();
}

std::string_view GericaSimulatorFactory::configSchema() const {
  return kGericaSimulatorSchema;
}

std::unique_ptr<Simulator> GericaSimulatorFactory::create(std::string_view settingsJson) const {
  const SettingsJson d("gerica", settingsJson);
  SimulatorSettings s;
  s.read(d);
  d.read("drop_folder", s.dropFolder);
  d.read("sender_org_id", s.senderOrgId);
  d.read("receiver_org_id", s.receiverOrgId);
  d.read("secret", s.secret);
  d.read("resend_rate", s.resendRate);
  d.read("withdraw_rate", s.withdrawRate);
  d.read("receipt_timeout_ms", s.receiptTimeout);
  return std::make_unique<GericaSimulator>(std::move(s));
}

}  // namespace wayhome::connectors::gerica
