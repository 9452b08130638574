#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <vector>

#include <rapidjson/document.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/connectors/in_flight.hpp>
#include <wayhome/connectors/intake.hpp>
#include <wayhome/connectors/settings.hpp>
#include <wayhome/connectors/signature.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/gerica/message.hpp>
#include <wayhome/runtime/sole_job.hpp>
#include <wayhome/schemas/json_parse.hpp>
#include <wayhome/store/state_store.hpp>

#include "drop_folder.hpp"
#include "gerica_settings_schema.hpp"  // generated from settings.schema.json: kGericaSettingsSchema
#include "gerica_sql.hpp"              // generated from sql/gerica.sql: kGericaTables

namespace wayhome::connectors::gerica {
namespace {

namespace fs = std::filesystem;
using services::HttpRequest;
using services::HttpResponse;
using services::Responder;

constexpr const char* kXmlContentType = "application/xml; charset=utf-8";

bool isXmlContentType(std::string_view value) {
  std::string media(value.substr(0, value.find(';')));
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  media.erase(0, media.find_first_not_of(' '));
  media.erase(media.find_last_not_of(' ') + 1);
  return media == "application/xml" || media == "text/xml";
}

std::int64_t epochMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

// What a message came to: the HTTP status and the receipt, or (503) try again later.
struct Outcome {
  int status = 200;
  std::string receipt;  // empty with 503
  std::string reason;   // the problem (rejected) or why to retry (503)
  [[nodiscard]] bool ok() const { return status == 200; }
  [[nodiscard]] bool retry() const { return status == 503; }
};

}  // namespace

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& gericaSchema() {
  static const auto kSchema = store::parseModuleSchema("gerica", kGericaTables);
  return kSchema;
}

namespace {

// The receipts already given, by sender and message id: a re-sent message gets the
// very same receipt back.
class ReceiptStore {
 public:
  ReceiptStore(store::StateStore& store, std::string instance)
      : store_(store), instance_(std::move(instance)) {}

  std::optional<Outcome> find(const std::string& key) {
    std::optional<Outcome> out;
    store_.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "SELECT http_status, receipt FROM gerica_receipts "
                          "WHERE instance = ? AND message_key = ?;");
      st.bind(1, instance_).bind(2, key);
      if (st.step()) out = Outcome{static_cast<int>(st.columnInt(0)), st.columnText(1), {}};
    });
    return out;
  }

  // Keeps the first receipt of a key and returns the one kept.
  Outcome keep(const std::string& key, Outcome outcome, std::int64_t nowMs) {
    store_.transaction([&](store::Connection& db) {
      store::Statement ins(
          db,
          "INSERT INTO gerica_receipts(instance, message_key, "
          "http_status, receipt, at_ms) VALUES(?, ?, ?, ?, ?) ON CONFLICT DO NOTHING;");
      ins.bind(1, instance_).bind(2, key).bind(3, std::int64_t{outcome.status});
      ins.bind(4, outcome.receipt).bind(5, nowMs);
      ins.run();
      store::Statement st(db,
                          "SELECT http_status, receipt FROM gerica_receipts "
                          "WHERE instance = ? AND message_key = ?;");
      st.bind(1, instance_).bind(2, key);
      if (st.step()) {
        outcome.status = static_cast<int>(st.columnInt(0));
        outcome.receipt = st.columnText(1);
      }
    });
    return outcome;
  }

  void forgetBefore(std::int64_t ms) {
    store_.transaction([&](store::Connection& db) {
      store::Statement st(db, "DELETE FROM gerica_receipts WHERE instance = ? AND at_ms < ?;");
      st.bind(1, instance_).bind(2, ms);
      st.run();
    });
  }

 private:
  store::StateStore& store_;
  std::string instance_;
};

// What outlives the connector: outbox callbacks still queued at shutdown find it here.
// Its worker thread stores receipts off the outbox's thread and answers.
struct Shared {
  InFlight requests;
  std::mutex mutex;  // of the tasks
  std::condition_variable changed;
  std::deque<std::function<void()>> tasks;
  bool workerStopping = false;

  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex);
      if (!workerStopping) {
        tasks.push_back(std::move(task));
        changed.notify_all();
        return;
      }
    }
    task();  // the worker is gone: run here
  }

  void work() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return workerStopping || !tasks.empty(); });
      if (tasks.empty()) return;
      auto task = std::move(tasks.front());
      tasks.pop_front();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        log::error("gerica", "receipt task failed", {{"error", log::redact(e.what())}});
      }
      lock.lock();
    }
  }
};

class GericaConnector final : public Connector {
 public:
  GericaConnector(std::string name, Settings settings)
      : name_(std::move(name)),
        settings_(std::move(settings)),
        shared_(std::make_shared<Shared>()) {}

  ~GericaConnector() override { stop(std::chrono::steady_clock::now()); }

  void start(ConnectorContext& context) override {
    const auto& config = context.service.config;
    if (settings_.httpEnabled && settings_.senders.empty()) {
      // Anyone who reaches the port could record consents for any citizen.
      if (!config.insecureDemo) {
        throw ConnectorConfigError(
            "'" + name_ +
            "' settings: /senders: the HTTP intake has no authentication; give each sender "
            "(HER-id) its signing secret, turn /http/enabled off, or (demo, loopback only) "
            "set insecure_demo");
      }
      log::warn("gerica",
                "HTTP intake WITHOUT authentication (insecure_demo): anyone on "
                "this machine can post messages",
                {{"name", name_}});
    }
    context_ = &context;
    shared_->requests.attach(context.status);
    context.service.state.migrate(gericaSchema());
    receipts_ = std::make_shared<ReceiptStore>(context.service.state, name_);
    pruneReceipts();
    worker_.start("gerica-receipts",
                  [shared = shared_](const std::stop_token&) { shared->work(); });
    if (settings_.httpEnabled) {
      context.service.http.addAsync(
          "POST", messagesPath(name_),
          [this](const HttpRequest& request, Responder respond) { handle(request, respond); },
          [this](const HttpRequest& request) { return admit(request); });
    }
    if (settings_.dropFolder) {
      try {
        folder_ = std::make_unique<DropFolder>(
            DropFolder::Options{*settings_.dropFolder, settings_.settle,
                                std::chrono::hours(24 * settings_.dropRetentionDays)});
      } catch (const std::exception& e) {
        throw std::runtime_error("gerica '" + name_ + "': " + e.what());
      }
      folderJob_ = std::make_unique<services::SoleJob>(
          context.service.state, "gerica-folder:" + name_, context.service.instance);
      folderWorker_.start("gerica-folder", [this](const std::stop_token&) { watch(); });
    }
    log::info("gerica", "ready",
              {{"name", name_},
               {"path", settings_.httpEnabled ? messagesPath(name_) : std::string("off")},
               {"drop_folder",
                settings_.dropFolder ? settings_.dropFolder->string() : std::string("off")}});
  }

  void stop(std::chrono::steady_clock::time_point deadline) override {
    if (stopped_.exchange(true)) return;
    stopping_ = true;
    folderWorker_.stop();
    folderJob_.reset();
    if (const std::size_t waiting = shared_->requests.drain(deadline); waiting > 0) {
      log::warn("gerica", "stopping with messages still waiting for the outbox",
                {{"name", name_}, {"in_flight", std::to_string(waiting)}});
    }
    {
      std::lock_guard lock(shared_->mutex);
      shared_->workerStopping = true;
      shared_->changed.notify_all();
    }
    worker_.stop();
  }

 private:
  // ---- the shared path of HTTP and the drop folder ------------------------------

  // Forgets receipts past their retention, at start and then at most once an hour.
  void pruneReceipts() {
    const std::int64_t now = epochMs(context_->service.clock);
    std::int64_t due = nextPruneMs_.load();
    if (now < due || !nextPruneMs_.compare_exchange_strong(due, now + 3600000)) return;
    try {
      receipts_->forgetBefore(now - std::int64_t{settings_.receiptRetentionDays} * 86400000);
    } catch (const std::exception& e) {
      log::warn("gerica", "old receipts not pruned", {{"name", name_}, {"error", e.what()}});
    }
  }

  std::string receiptId(std::string_view material) const {
    return "apprec-" + keyedDigest("wayhome-gerica-apprec", name_ + "\n" + std::string(material));
  }

  Outcome rejection(const Envelope& head, const Problem& problem, int status,
                    std::string_view material) const {
    Outcome o;
    o.status = status;
    o.reason = problem.code + " " + problem.text;
    o.receipt = appRec({settings_.receiverOrgId, settings_.receiverName}, head, problem,
                       receiptId(material), formatRfc3339(context_->service.clock.now()));
    return o;
  }

  void logRejected(std::string_view via, const Envelope& head, const std::string& reason) const {
    log::warn("gerica", "message rejected",
              {{"name", name_},
               {"via", std::string(via)},
               {"msg_id", head.msgId.empty() ? std::string("-") : head.msgId},
               {"sender", head.senderOrgId.empty() ? std::string("-") : head.senderOrgId},
               {"reason", reason}});
  }

  // Takes one message; `done` runs exactly once, here or on another thread. With
  // `signedBy`, the message must name that sender (the one whose secret signed it).
  void process(std::string_view via, const std::string& xml,
               const std::function<void(Outcome)>& done,
               const std::optional<std::string>& signedBy = std::nullopt) {
    auto& status = context_->status;
    auto& intake = context_->intake;
    // Paused or over the backlog bound: nothing is taken (nor counted), not even a
    // re-send; the sender tries again later (HTTP 503, or the file stays in the drop
    // folder).
    if (stopping_) return done(Outcome{503, {}, "the connector is stopping"});
    if (intake.overloaded()) {
      return done(
          Outcome{503, {}, "the outbox is full while the bus catches up (or paused); retry later"});
    }
    status.received();
    pruneReceipts();
    Parsed parsed = parseMessage(xml,
                                 ParseOptions{settings_.maxBodyBytes, settings_.receiverOrgId,
                                              context_->service.topics.sectorNames()},
                                 [&](std::string_view nin) { return intake.personRef(nin); });
    if (signedBy && parsed.head.senderOrgId != *signedBy) {
      // Signed by one sender, in the name of another: refused, and no receipt is kept,
      // so nobody can take a (sender, MsgId) that is not theirs.
      const Problem problem{std::string(kWrongSender),
                            "MsgHead/MsgInfo/Sender/Organisation/Ident/Id: is not the sender "
                            "that signed the message (" +
                                *signedBy + ")"};
      status.rejected(problem.code + " " + problem.text);
      logRejected(via, parsed.head, problem.code + " " + problem.text);
      return done(rejection(parsed.head, problem, 403, xml));
    }
    const std::string key = parsed.head.msgId.empty() || parsed.head.senderOrgId.empty()
                                ? std::string()
                                : parsed.head.senderOrgId + ":" + parsed.head.msgId;
    try {
      if (!key.empty()) {
        if (auto before = receipts_->find(key)) {
          // A re-sent message: the receipt it got, again, and no second event.
          if (before->ok()) {
            status.succeeded(0, 1);
          } else {
            if (auto view = readAppRec(before->receipt)) {
              before->reason = view.value().errorCode + " " + view.value().details;
            }
            status.rejected("message " + parsed.head.msgId + " re-sent; it was rejected before");
          }
          log::info("gerica", "re-sent message answered with its receipt",
                    {{"name", name_}, {"msg_id", parsed.head.msgId}, {"via", std::string(via)}});
          return done(std::move(*before));
        }
      }
      if (parsed.problem) {
        const int code = parsed.problem->code == kTooLarge.code ? 413 : 400;
        Outcome o = rejection(parsed.head, *parsed.problem, code, key.empty() ? xml : key);
        if (!key.empty()) o = receipts_->keep(key, std::move(o), epochMs(context_->service.clock));
        status.rejected(parsed.problem->code + " " + parsed.problem->text);
        logRejected(via, parsed.head, parsed.problem->code + " " + parsed.problem->text);
        o.reason = parsed.problem->code + " " + parsed.problem->text;
        return done(std::move(o));
      }
    } catch (const std::exception& e) {
      // The store's own text (SQLite messages, paths) stays in the log.
      log::error("gerica", "receipt store failed", {{"name", name_}, {"error", e.what()}});
      status.failed("receipt store failed; see the log");
      return done(Outcome{503, {}, "the state store failed; try again"});
    }
    shared_->requests.begin();
    std::vector<CanonicalEvent> events{parsed.event};
    const Envelope head = parsed.head;
    auto shared = shared_;
    auto receipts = receipts_;
    const std::string okReceipt =
        appRec({settings_.receiverOrgId, settings_.receiverName}, head, std::nullopt,
               receiptId(key), formatRfc3339(context_->service.clock.now()));
    const Clock* clock = &context_->service.clock;
    auto queued =
        intake.submit(key, "1", std::move(events),
                      [shared, receipts, key, okReceipt, clock, done](Result<IntakeOutcome> r) {
                        // Off the outbox's thread: storing the receipt is a write of its own.
                        shared->post([shared, receipts, key, okReceipt, clock, done, r] {
                          if (!r) {
                            shared->requests.report(
                                [&](services::StatusEntry& s) { s.failed(r.error().message); });
                            done(Outcome{503, {}, r.error().message});
                            return shared->requests.end();
                          }
                          Outcome o{200, okReceipt, {}};
                          try {
                            o = receipts->keep(key, o, epochMs(*clock));
                          } catch (const std::exception& e) {
                            // The event is durable; the receipt is made again on a re-send.
                            log::warn("gerica", "receipt not stored", {{"error", e.what()}});
                          }
                          const auto outcome = r.value();
                          shared->requests.report([&](services::StatusEntry& s) {
                            s.succeeded(outcome.fresh, outcome.duplicates);
                          });
                          done(std::move(o));
                          shared->requests.end();
                        });
                      });
    if (!queued) {
      shared_->requests.end();
      if (queued.error().retryable()) return done(Outcome{503, {}, queued.error().message});
      // The canonical event failed its schema: a message the code table should not
      // have let through, refused like any other invalid body.
      const Problem problem{std::string(kBadBody.code), queued.error().message};
      Outcome o = rejection(head, problem, 400, key);
      try {
        o = receipts_->keep(key, o, epochMs(context_->service.clock));
      } catch (const std::exception& e) {
        log::warn("gerica", "receipt not stored", {{"error", e.what()}});
      }
      status.rejected(problem.code + " " + problem.text);
      logRejected(via, head, problem.code + " " + problem.text);
      done(std::move(o));
    }
  }

  // ---- HTTP ---------------------------------------------------------------------

  // Decided on the headers, before the body is read: with senders configured, a
  // request without well-formed, fresh signature headers is refused unread (the
  // signature itself needs the body and is checked in handle()).
  std::optional<HttpResponse> admit(const HttpRequest& request) const {
    if (settings_.senders.empty()) return std::nullopt;
    auto headers =
        checkWebhookHeaders(request.header(kTimestampHeader), request.header(kSignatureHeader),
                            context_->service.clock.now(), settings_.maxClockSkew);
    if (headers) return std::nullopt;
    auto r = HttpResponse::error(401, headers.error().message);
    r.headers.emplace_back("WWW-Authenticate", "Signature realm=\"wayhome\"");
    return r;
  }

  void handle(const HttpRequest& request, const Responder& respond) {
    auto answer = [respond, retryAfter = settings_.retryAfter](Outcome o) {
      if (o.retry()) {
        auto r = HttpResponse::error(503, o.reason);
        r.headers.emplace_back("Retry-After", std::to_string(retryAfter.count()));
        return respond(std::move(r));
      }
      HttpResponse r;
      r.status = o.status;
      r.contentType = kXmlContentType;
      r.body = std::move(o.receipt);
      respond(std::move(r));
    };
    if (stopping_) return answer(Outcome{503, {}, "the connector is stopping"});
    std::optional<std::string> signedBy;
    if (!settings_.senders.empty()) {
      // Which sender signed it: the one whose secret verifies (each is tried, so the
      // check does not depend on anything the body claims before it is trusted).
      std::string why = "no sender's secret verifies the signature";
      for (const auto& sender : settings_.senders) {
        auto ok = verifyWebhook(sender.secret, request.header(kTimestampHeader),
                                request.header(kSignatureHeader), request.body,
                                context_->service.clock.now(), settings_.maxClockSkew);
        if (ok) {
          signedBy = sender.herId;
          break;
        }
        if (ok.error().message.find("does not match") == std::string::npos) {
          why = ok.error().message;  // missing or malformed headers, stale timestamp
        }
      }
      if (!signedBy) {
        context_->status.received();
        context_->status.rejected("unauthenticated: " + why);
        log::warn("gerica", "message refused: not signed by a configured sender",
                  {{"name", name_}, {"reason", why}, {"from", request.remoteAddress}});
        auto r = HttpResponse::error(401, why);
        r.headers.emplace_back("WWW-Authenticate", "Signature realm=\"wayhome\"");
        return respond(std::move(r));
      }
    }
    if (!isXmlContentType(request.header("content-type"))) {
      context_->status.received();
      const Problem problem{std::string(kNotXml.code),
                            "Content-Type: must be application/xml (or text/xml)"};
      context_->status.rejected(problem.code + " " + problem.text);
      logRejected("http", {}, problem.code + " " + problem.text);
      return answer(rejection({}, problem, 415, request.body));
    }
    process("http", request.body, std::move(answer), signedBy);
  }

  // ---- the drop folder ------------------------------------------------------------

  static std::string shown(const std::string& file) {
    return hasIdentityNumberShape(file) ? std::string("(withheld)") : file;
  }

  void watch() {
    bool warned = false;
    do {
      try {
        if (folderJob_->mine()) scan();
        warned = false;
      } catch (const std::exception& e) {
        if (!warned) {
          log::warn("gerica", "drop folder scan failed; retrying",
                    {{"name", name_}, {"error", e.what()}});
          context_->status.failed(std::string("drop folder: ") + e.what());
          warned = true;
        }
      }
    } while (folderWorker_.sleepFor(settings_.pollInterval));
  }

  void scan() {
    const auto now = std::chrono::system_clock::now();
    if (now >= nextFolderPrune_) {
      nextFolderPrune_ = now + std::chrono::hours(1);
      if (const auto removed = folder_->prune(now); removed > 0) {
        log::info("gerica", "old drop folder files deleted",
                  {{"name", name_}, {"count", std::to_string(removed)}});
      }
    }
    const auto found = folder_->scan(std::chrono::steady_clock::now());
    for (const auto& file : found.refused) {
      // A link (or FIFO, or folder) is never opened: it could point anywhere.
      const std::string reason = "not a regular file (a symbolic link?); not read";
      context_->status.received();
      context_->status.rejected(reason);
      logRejected("drop_folder", {}, reason + ": " + shown(file));
      folder_->move(file, false, reason);
    }
    for (const auto& file : found.ready) {
      if (stopping_) return;
      if (!takeFile(file)) return;  // retry later, in order
    }
  }

  // False when the file must wait (the outbox is full): it stays where it is.
  bool takeFile(const std::string& file) {
    std::uint64_t size = 0;
    const auto xml = folder_->read(file, settings_.maxBodyBytes, size);
    if (!xml) return true;  // gone meanwhile, or replaced by something else
    Outcome o;
    if (xml->size() > settings_.maxBodyBytes) {
      // Not read whole, so not parsed: refused as too large with its real size.
      const Problem problem{
          std::string(kTooLarge.code),
          "message: " + std::to_string(std::max<std::uint64_t>(size, xml->size())) +
              " bytes exceed the limit of " + std::to_string(settings_.maxBodyBytes)};
      context_->status.received();
      context_->status.rejected(problem.code + " " + problem.text);
      logRejected("drop_folder", {}, problem.code + " " + problem.text);
      o = rejection({}, problem, 413, file);
    } else {
      std::promise<Outcome> promise;
      auto future = promise.get_future();
      process("drop_folder", *xml, [&promise](Outcome r) { promise.set_value(std::move(r)); });
      o = future.get();
    }
    if (o.retry()) {
      // Once per file, not once per poll, while it waits.
      if (waitingFile_ == file) return false;
      waitingFile_ = file;
      log::warn("gerica", "drop folder file waits",
                {{"name", name_}, {"file", shown(file)}, {"reason", o.reason}});
      return false;
    }
    waitingFile_.clear();
    const std::string stem = fs::path(file).stem().string();
    folder_->writeReceipt(stem, o.receipt);
    folder_->move(file, o.ok(), o.reason);
    return true;
  }

  std::string name_;
  Settings settings_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ReceiptStore> receipts_;
  ConnectorContext* context_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> nextPruneMs_{0};
  // The drop folder thread's only:
  std::unique_ptr<DropFolder> folder_;
  std::unique_ptr<services::SoleJob> folderJob_;
  std::string waitingFile_;
  std::chrono::system_clock::time_point nextFolderPrune_{};
  // Last: the threads use everything above.
  Worker worker_;        // runs the receipt tasks (Shared::work) until stopped
  Worker folderWorker_;  // scans the drop folder every poll interval
};

}  // namespace

std::string messagesPath(std::string_view instanceName) {
  return "/api/v1/connectors/gerica/" + std::string(instanceName) + "/messages";
}

std::string_view settingsSchema() {
  return kGericaSettingsSchema;
}

Settings parseSettings(const std::string& instanceName, std::string_view json) {
  rapidjson::Document d;
  readSettings(d, json, instanceName);
  using schemas::member, schemas::memberInt, schemas::memberText;
  Settings s;
  if (const auto* http = member(d, "http")) {
    s.httpEnabled = schemas::memberFlag(*http, "enabled", s.httpEnabled);
  }
  if (const auto* f = member(d, "drop_folder")) {
    s.dropFolder = fs::path(memberText(*f, "path", ""));
    s.pollInterval =
        std::chrono::milliseconds(memberInt(*f, "poll_interval_ms", s.pollInterval.count()));
    s.settle = std::chrono::milliseconds(memberInt(*f, "settle_ms", s.settle.count()));
    s.dropRetentionDays = static_cast<int>(memberInt(*f, "retention_days", s.dropRetentionDays));
  }
  if (!s.httpEnabled && !s.dropFolder) {
    throw ConnectorConfigError("'" + instanceName +
                               "' settings: /http/enabled is false and there is no /drop_folder: "
                               "the instance would take nothing");
  }
  s.maxBodyBytes = static_cast<std::size_t>(
      memberInt(d, "max_body_bytes", static_cast<std::int64_t>(s.maxBodyBytes)));
  s.receiverOrgId = memberText(d, "receiver_org_id", s.receiverOrgId);
  s.receiverName = memberText(d, "receiver_name", s.receiverName);
  s.retryAfter = std::chrono::seconds(memberInt(d, "retry_after_s", s.retryAfter.count()));
  s.receiptRetentionDays =
      static_cast<int>(memberInt(d, "receipt_retention_days", s.receiptRetentionDays));
  s.maxClockSkew = std::chrono::seconds(memberInt(d, "max_clock_skew_s", s.maxClockSkew.count()));
  if (d.HasMember("senders")) {
    const auto& list = d["senders"];
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      const auto& item = list[i];
      auto optional = [&](const char* k) -> std::optional<std::string> {
        if (!item.HasMember(k)) return std::nullopt;
        return std::string(item[k].GetString(), item[k].GetStringLength());
      };
      const std::string at = "/senders/" + std::to_string(i);
      Settings::Sender sender{
          item["her_id"].GetString(),
          loadSecret(instanceName, optional("secret"), optional("secret_file"), at + "/secret")};
      for (const auto& other : s.senders) {
        if (other.herId == sender.herId) {
          throw ConnectorConfigError("'" + instanceName + "' settings: " + at + "/her_id: '" +
                                     sender.herId + "' is listed twice");
        }
        if (other.secret == sender.secret) {
          throw ConnectorConfigError("'" + instanceName + "' settings: " + at +
                                     "/secret: the same secret as sender " + other.herId +
                                     "; each sender needs its own");
        }
      }
      s.senders.push_back(std::move(sender));
    }
  }
  return s;
}

ConnectorPtr GericaConnectorFactory::create(const std::string& instanceName,
                                            std::string_view configJson) const {
  return std::make_unique<GericaConnector>(instanceName, parseSettings(instanceName, configJson));
}

}  // namespace wayhome::connectors::gerica
