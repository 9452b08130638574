#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <stdexcept>

#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/runtime/consume_loop.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/runtime/sole_job.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "delivery_sql.hpp"  // generated from sql/delivery.sql: kDeliveryTables

namespace wayhome::services {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kService = "delivery";
/// What a subscription may choose to be sent (WebhookSettings::events); every other
/// type on its topics is skipped.
const std::set<std::string, std::less<>> kDeliverable{
    "referral.created.v1", "referral.escalated.v1", "referral.consent_needed.v1",
    "meeting.notice.v1"};
constexpr std::string_view kMeetingNotice = "meeting.notice.v1";
constexpr std::string_view kConsentNeeded = "referral.consent_needed.v1";
constexpr std::size_t kMaxResponseBytes = 64 * 1024;

std::int64_t epochMs(Clock::TimePoint t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

/// One row of the queue, as the sender needs it.
struct QueuedDelivery {
  std::int64_t seq = 0;
  bus::KafkaRecord record;
  int attempts = 0;
};

}  // namespace

milliseconds webhookBackoff(int attempt, milliseconds initial, milliseconds max, double random) {
  // initial · 2^(attempt-1), without overflow: stop doubling once the cap is reached.
  auto cap = initial;
  for (int i = 1; i < attempt && cap < max; ++i)
    cap *= 2;
  cap = std::min(cap, max);
  random = std::clamp(random, 0.0, 1.0);
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(cap.count()) * random));
}

struct Delivery::Impl {
  struct Subscription {
    WebhookSettings settings;
    std::string topic;        ///< referrals.<sector>
    std::string noticeTopic;  ///< notices.<sector>, read when meeting notices are chosen
    std::set<std::string, std::less<>> events;
    std::shared_ptr<StatusEntry> status;
    Counter* delivered = nullptr;
    Counter* retried = nullptr;
    Counter* failed = nullptr;
    Counter* dead = nullptr;
    Gauge* queue = nullptr;
    std::atomic<std::uint64_t> received{0}, queued{0}, attempts{0}, deliveredCount{0}, retries{0},
        deadLettered{0}, skipped{0};
    std::atomic<std::int64_t> pending{0};
    std::mt19937_64 random{std::random_device{}()};
    // Declared before the workers, which use them and go first.
    std::unique_ptr<bus::Consumer> consumer;
    std::unique_ptr<ConsumeLoop> intake;
    // One instance at a time sends a webhook's queue: one attempt per item, back-off
    // shared (the queue is in the store).
    std::unique_ptr<SoleJob> sending;
    Worker sender;
  };

  DeliveryOptions options;
  ServiceContext* ctx = nullptr;
  const Clock* clock = nullptr;
  std::atomic<bool> running{false};
  std::vector<std::unique_ptr<Subscription>> subs;

  std::int64_t nowMs() const { return epochMs(clock->now()); }

  bus::OutboxRecord deadLetter(const Subscription& sub, const bus::KafkaRecord& rec,
                               const std::string& why) const {
    return bus::dead_letter::make(
        rec, kService, "webhook " + sub.settings.name + " (" + sub.settings.sector + "): " + why,
        ctx->topics, clock->now(), sub.settings.name);
  }

  std::int64_t countPending(store::Connection& db, const Subscription& sub) const {
    store::Statement count(
        db, "SELECT COUNT(*) FROM delivery_queue WHERE subscription = ? AND state = 'pending';");
    count.bind(1, sub.settings.name);
    return count.step() ? count.columnInt(0) : 0;
  }

  void setPending(Subscription& sub, std::int64_t n) {
    sub.pending = n;
    sub.queue->set(static_cast<double>(n));
  }

  /// Why `rec` must not be sent to `sub`, or "" when it may; `deliver` false for types
  /// that are not delivered at all.
  std::string check(const Subscription& sub, const bus::KafkaRecord& rec, bool& deliver) const {
    deliver = true;
    auto ce = bus::binding::fromRecord(rec);
    if (!ce) return "not a CloudEvent: " + ce.error().message;
    const auto& e = ce.value();
    if (!sub.events.contains(e.type)) {
      deliver = false;
      return {};
    }
    // Attributes become HTTP header values: a control character would let a record
    // write headers of its own into the request.
    auto controlIn = [](std::string_view v) {
      return std::any_of(v.begin(), v.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
      });
    };
    bool control = controlIn(e.id) || controlIn(e.source) || controlIn(e.type) ||
                   controlIn(e.time) || controlIn(e.subject);
    for (const auto& [name, value] : e.extensions)
      control = control || controlIn(name) || controlIn(value);
    if (control) return "a CloudEvent attribute holds a control character";
    if (auto invalid = ctx->schemas.validate(e.type, e.data)) {
      return (invalid->keyword == "parse" ? "invalid JSON: " : "schema-invalid data: ") +
             invalid->message;
    }
    rapidjson::Document data;
    (void)schemas::parseJson(data, e.data);  // validated above
    if (e.type == kMeetingNotice) return meetingCheck(sub, rec, data);
    if (e.type == kConsentNeeded) {
      // Addressed to the sector of the topic it is on (the case's housing contact), not
      // to /to_sector, which is where the referral will go once consented.
      return rec.topic == sub.topic
                 ? std::string()
                 : "wrong sector: the record came from " + rec.topic + ", not " + sub.topic;
    }
    const auto it = data.FindMember("to_sector");
    const std::string to = it != data.MemberEnd() && it->value.IsString()
                               ? std::string(it->value.GetString(), it->value.GetStringLength())
                               : std::string();
    if (to != sub.settings.sector) {
      return "wrong sector: /to_sector is '" + to.substr(0, 40) + "' but this subscription gets " +
             sub.settings.sector + " referrals only; not delivered";
    }
    if (rec.topic != sub.topic) {
      return "wrong sector: the record came from " + rec.topic + ", not " + sub.topic;
    }
    return {};
  }

  /// A meeting notice goes to a sector that takes part, from that sector's copy.
  static std::string meetingCheck(const Subscription& sub, const bus::KafkaRecord& rec,
                                  const rapidjson::Document& data) {
    if (rec.topic != sub.noticeTopic) {
      return "wrong sector: the notice came from " + rec.topic + ", not " + sub.noticeTopic;
    }
    const auto ps = data.FindMember("participants");
    if (ps != data.MemberEnd() && ps->value.IsArray()) {
      for (const auto& p : ps->value.GetArray()) {
        const auto s = p.FindMember("sector");
        if (s != p.MemberEnd() && s->value.IsString() &&
            sub.settings.sector == s->value.GetString()) {
          return {};
        }
      }
    }
    return "wrong sector: " + sub.settings.sector + " takes no part in the meeting";
  }

  std::size_t take(Subscription& sub, const std::vector<bus::KafkaRecord>& records) {
    std::vector<bus::OutboxRecord> dead;
    std::uint64_t fresh = 0;
    std::uint64_t skipped = 0;
    std::int64_t pending = 0;
    bus::AppendOutcome outcome;
    ctx->state.transaction([&](store::Connection& db) {
      dead.clear();
      fresh = skipped = 0;
      const std::int64_t now = nowMs();
      // A record seen before is not queued again, unless it had been given up: then it
      // is a replay from dlq.delivery and is tried afresh.
      store::Statement insert(
          db,
          "INSERT INTO delivery_queue(subscription, event_id, topic, partition, \"offset\", "
          "record_key, headers, payload, attempts, next_attempt_ms, state, created_ms, "
          "updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending', ?, ?) "
          "ON CONFLICT(subscription, event_id) DO UPDATE SET topic = excluded.topic, "
          "partition = excluded.partition, \"offset\" = excluded.\"offset\", "
          "record_key = excluded.record_key, headers = excluded.headers, "
          "payload = excluded.payload, attempts = 0, next_attempt_ms = excluded.next_attempt_ms, "
          "last_error = NULL, state = 'pending', updated_ms = excluded.updated_ms "
          "WHERE delivery_queue.state = 'dead';");
      for (const auto& rec : records) {
        bool deliver = true;
        const std::string why = check(sub, rec, deliver);
        if (!why.empty()) {
          dead.push_back(deadLetter(sub, rec, why));
          continue;
        }
        if (!deliver) {
          ++skipped;
          continue;
        }
        insert.reset();
        insert.bind(1, sub.settings.name)
            .bind(2, *rec.header("ce_id"))
            .bind(3, rec.topic)
            .bind(4, static_cast<std::int64_t>(rec.partition))
            .bind(5, rec.offset)
            .bindBlob(6, rec.key)
            .bindBlob(7, bus::Outbox::encodeHeaders(rec.headers))
            .bindBlob(8, rec.value)
            .bind(9, now)
            .bind(10, now)
            .bind(11, now);
        insert.run();
        if (db.changes() > 0) ++fresh;
      }
      outcome = ctx->outbox.appendWithin(db, {}, dead);
      pending = countPending(db, sub);
    });
    ctx->outbox.committedWithin(outcome);
    sub.received += records.size();
    sub.queued += fresh;
    sub.skipped += skipped;
    sub.deadLettered += dead.size();
    sub.dead->inc(static_cast<double>(dead.size()));
    setPending(sub, pending);
    sub.status->received(records.size());
    for (const auto& d : dead) {
      (void)d;
      sub.status->rejected("dead-lettered a record it may not deliver");
    }
    if (fresh > 0) sub.sender.wake();
    return records.size();
  }

  /// The next due delivery, or the time the next one comes due (0: none pending).
  std::optional<QueuedDelivery> nextDue(Subscription& sub, std::int64_t& nextAtMs) {
    std::optional<QueuedDelivery> out;
    nextAtMs = 0;
    ctx->state.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "SELECT seq, topic, partition, \"offset\", record_key, headers, payload, "
                          "attempts, next_attempt_ms FROM delivery_queue WHERE subscription = ? "
                          "AND state = 'pending' ORDER BY next_attempt_ms, seq LIMIT 1;");
      st.bind(1, sub.settings.name);
      if (!st.step()) return;
      const std::int64_t at = st.columnInt(8);
      if (at > nowMs()) {
        nextAtMs = at;
        return;
      }
      QueuedDelivery q;
      q.seq = st.columnInt(0);
      q.record.topic = st.columnText(1);
      q.record.partition = static_cast<std::int32_t>(st.columnInt(2));
      q.record.offset = st.columnInt(3);
      q.record.key = st.columnText(4);
      q.record.headers = bus::Outbox::decodeHeaders(st.columnText(5));
      q.record.value = st.columnText(6);
      q.attempts = static_cast<int>(st.columnInt(7));
      out = std::move(q);
    });
    return out;
  }

  void markDelivered(Subscription& sub, const QueuedDelivery& q) {
    std::int64_t pending = 0;
    ctx->state.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "UPDATE delivery_queue SET state = 'delivered', attempts = ?, "
                          "last_error = NULL, updated_ms = ? WHERE seq = ?;");
      st.bind(1, static_cast<std::int64_t>(q.attempts + 1)).bind(2, nowMs()).bind(3, q.seq);
      st.run();
      pending = countPending(db, sub);
    });
    setPending(sub, pending);
  }

  void markRetry(const QueuedDelivery& q, const std::string& error, milliseconds wait) {
    ctx->state.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "UPDATE delivery_queue SET attempts = ?, next_attempt_ms = ?, "
                          "last_error = ?, updated_ms = ? WHERE seq = ?;");
      const std::int64_t now = nowMs();
      st.bind(1, static_cast<std::int64_t>(q.attempts + 1))
          .bind(2, now + wait.count())
          .bind(3, error)
          .bind(4, now)
          .bind(5, q.seq);
      st.run();
    });
  }

  void markDead(Subscription& sub, const QueuedDelivery& q, const std::string& why) {
    const auto record = deadLetter(sub, q.record, why);
    std::int64_t pending = 0;
    bus::AppendOutcome outcome;
    ctx->state.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "UPDATE delivery_queue SET state = 'dead', attempts = ?, last_error = ?, "
                          "updated_ms = ? WHERE seq = ?;");
      st.bind(1, static_cast<std::int64_t>(q.attempts + 1))
          .bind(2, why)
          .bind(3, nowMs())
          .bind(4, q.seq);
      st.run();
      // The same record may have been dead-lettered before and replayed: give the new
      // dead letter its own id.
      auto again = record;
      again.id += "-" + std::to_string(q.seq) + "-" + std::to_string(nowMs());
      outcome = ctx->outbox.appendWithin(db, {}, {again});
      pending = countPending(db, sub);
    });
    ctx->outbox.committedWithin(outcome);
    sub.deadLettered += 1;
    sub.dead->inc();
    setPending(sub, pending);
  }

  /// The HTTP headers of `e` (CloudEvents HTTP binary mode) plus the signature.
  std::vector<std::pair<std::string, std::string>> requestHeaders(const Subscription& sub,
                                                                  const bus::CloudEvent& e) const {
    const std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(clock->now().time_since_epoch()).count());
    std::vector<std::pair<std::string, std::string>> h{
        {"ce-specversion", e.specversion},
        {"ce-id", e.id},
        {"ce-source", e.source},
        {"ce-type", e.type},
    };
    if (!e.time.empty()) h.emplace_back("ce-time", e.time);
    if (!e.subject.empty()) h.emplace_back("ce-subject", e.subject);
    for (const auto& [name, value] : e.extensions)
      h.emplace_back("ce-" + name, value);
    h.emplace_back("Content-Type", "application/json");
    h.emplace_back("X-Wayhome-Subscription", sub.settings.name);
    h.emplace_back("X-Wayhome-Timestamp", timestamp);
    h.emplace_back("X-Wayhome-Signature",
                   crypto::webhookSignature(sub.settings.secret, timestamp, e.data));
    return h;
  }

  void attempt(Subscription& sub, const QueuedDelivery& q) {
    auto ce = bus::binding::fromRecord(q.record);
    if (!ce) {  // checked at intake; only a damaged row gets here
      markDead(sub, q, "not a CloudEvent: " + ce.error().message);
      return;
    }
    const auto& e = ce.value();
    ClientRequest request{.method = "POST",
                          .url = sub.settings.url,
                          .caFile = sub.settings.caFile,
                          .headers = requestHeaders(sub, e),
                          .body = e.data,
                          .timeout = sub.settings.timeout,
                          .maxResponseBytes = kMaxResponseBytes,
                          .cancelled = [this] { return !running; }};
    request.headers.emplace_back("User-Agent", "wayhome-delivery");
    request.headers.emplace_back("Connection", "close");
    const auto started = std::chrono::steady_clock::now();
    const auto answer = httpRequest(request);
    if (!running) return;  // stopping: the row stays as it was
    ++sub.attempts;
    const int status = answer ? answer.value().status : 0;
    const auto tookMs =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    const int n = q.attempts + 1;
    if (status >= 200 && status < 300) {
      markDelivered(sub, q);
      ++sub.deliveredCount;
      sub.delivered->inc();
      sub.status->succeeded(1);
      sub.status->setHealth(Health::kRunning);
      log::debug("delivery", "delivered",
                 {{"subscription", sub.settings.name},
                  {"event_id", e.id},
                  {"status", std::to_string(status)},
                  {"attempt", std::to_string(n)},
                  {"ms", std::to_string(tookMs)}});
      return;
    }
    const bool retryable = status == 0 || status == 408 || status == 429 || status >= 500;
    const std::string error = status == 0 ? answer.error().message
                                          : "HTTP " + std::to_string(status) +
                                                (retryable      ? std::string()
                                                 : status < 400 ? " (redirects are not followed)"
                                                                : " (refused: permanent)");
    if (retryable && n < sub.settings.maxAttempts) {
      const double r = options.random
                           ? options.random()
                           : std::uniform_real_distribution<double>(0.0, 1.0)(sub.random);
      const auto wait = webhookBackoff(n, sub.settings.initialBackoff, sub.settings.maxBackoff, r);
      markRetry(q, error, wait);
      ++sub.retries;
      sub.retried->inc();
      sub.status->failed("attempt " + std::to_string(n) + " of " + e.id + ": " + error);
      log::info("delivery", "attempt failed; will retry",
                {{"subscription", sub.settings.name},
                 {"event_id", e.id},
                 {"attempt", std::to_string(n)},
                 {"retry_in_ms", std::to_string(wait.count())},
                 {"error", error}});
      return;
    }
    const std::string why = retryable ? "gave up after " + std::to_string(n) + " attempts: " + error
                                      : "refused by the receiver: " + error;
    markDead(sub, q, why);
    sub.failed->inc();
    sub.status->failed(e.id + " dead-lettered: " + error);
  }

  void prune(Subscription& sub) {
    ctx->state.transaction([&](store::Connection& db) {
      store::Statement st(
          db,
          "DELETE FROM delivery_queue WHERE subscription = ? AND state <> 'pending' "
          "AND updated_ms < ?;");
      st.bind(1, sub.settings.name)
          .bind(2, nowMs() - std::chrono::duration_cast<milliseconds>(options.keepDone).count());
      st.run();
    });
  }

  // One turn of a webhook's sender: prune now and then, send what is due; how long to
  // wait before the next turn (woken early by new records).
  milliseconds sendDue(Subscription& sub, std::chrono::steady_clock::time_point& nextPrune) {
    if (std::chrono::steady_clock::now() >= nextPrune) {
      prune(sub);
      nextPrune = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    }
    auto wait = options.idle;
    if (sub.status->paused() || !sub.sending->mine()) return wait;
    std::int64_t nextAt = 0;
    if (auto q = nextDue(sub, nextAt)) {
      attempt(sub, *q);
      return milliseconds(0);
    }
    if (nextAt > 0)
      wait = std::min(wait, milliseconds(std::max<std::int64_t>(1, nextAt - nowMs())));
    return wait;
  }

  void runSender(Subscription& sub, const std::stop_token& token) {
    auto nextPrune = std::chrono::steady_clock::now();
    while (!token.stop_requested()) {
      auto wait = milliseconds(500);
      try {
        wait = sendDue(sub, nextPrune);
      } catch (const std::exception& ex) {
        log::error("delivery", "queue failed",
                   {{"subscription", sub.settings.name}, {"error", log::redact(ex.what())}});
        sub.status->failed(std::string("state store: ") + ex.what());
      }
      if (wait.count() > 0) sub.sender.sleepFor(wait);
    }
  }
};

Delivery::Delivery(DeliveryOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Delivery::~Delivery() {
  stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& deliverySchema() {
  static const auto kSchema = store::parseModuleSchema("delivery", kDeliveryTables);
  return kSchema;
}

void Delivery::start(ServiceContext& context) {
  auto& s = *impl_;
  s.ctx = &context;
  context.state.migrate(deliverySchema());
  s.clock = s.options.clock != nullptr ? s.options.clock : &context.clock;
  const auto& sectors = context.topics.sectorNames();
  std::set<std::string> names;
  for (const auto& w : s.options.webhooks) {
    if (!w.enabled) {
      log::info("delivery", "webhook disabled by configuration", {{"subscription", w.name}});
      continue;
    }
    if (std::find(sectors.begin(), sectors.end(), w.sector) == sectors.end()) {
      throw std::runtime_error("delivery: webhook " + w.name + ": unknown sector '" + w.sector +
                               "'");
    }
    if (!names.insert(w.name).second) {
      throw std::runtime_error("delivery: webhook name '" + w.name + "' is used twice");
    }
    auto sub = std::make_unique<Impl::Subscription>();
    sub->settings = w;
    if (ParsedUrl url; !parseUrl(w.url, url)) {
      throw std::runtime_error("delivery: webhook " + w.name + ": not an http(s) URL");
    }
    sub->topic = context.topics.referrals(w.sector);
    sub->noticeTopic = context.topics.sectorNotices(w.sector);
    for (const auto& type : w.events) {
      if (!kDeliverable.contains(type)) {
        throw std::runtime_error("delivery: webhook " + w.name + ": event type '" + type +
                                 "' is not delivered by webhook");
      }
      sub->events.insert(type);
    }
    sub->status = context.status.add("delivery-" + w.name, "webhook");
    const Labels labels{{"subscription", w.name}, {"sector", w.sector}};
    constexpr std::string_view kAttemptsHelp =
        "Webhook POSTs by outcome: delivered (2xx), retry (failed, tried again later), "
        "failed (failed, dead-lettered).";
    auto with = [&](const char* outcome) {
      auto l = labels;
      l.emplace_back("outcome", outcome);
      return l;
    };
    sub->delivered = &context.metrics.counter("wayhome_webhook_attempts_total", kAttemptsHelp,
                                              with("delivered"));
    sub->retried =
        &context.metrics.counter("wayhome_webhook_attempts_total", kAttemptsHelp, with("retry"));
    sub->failed =
        &context.metrics.counter("wayhome_webhook_attempts_total", kAttemptsHelp, with("failed"));
    sub->dead = &context.metrics.counter(
        "wayhome_webhook_dead_letters_total",
        "Records a webhook sent to dlq.delivery (given up, refused, wrong sector, unusable).",
        {{"subscription", w.name}});
    sub->queue =
        &context.metrics.gauge("wayhome_webhook_queue", "Deliveries waiting in a webhook's queue.",
                               {{"subscription", w.name}});
    context.state.transaction(
        [&](store::Connection& db) { s.setPending(*sub, s.countPending(db, *sub)); });
    sub->consumer = std::make_unique<bus::Consumer>(
        consumerProperties(context.config.bus, context.busClient),
        bus::ConsumerOptions{.groupId = "wayhome-delivery-" + w.name,
                             .name = "wayhome-delivery-" + w.name,
                             .autoOffsetReset = "earliest"});
    std::vector<std::string> topics{sub->topic};
    if (sub->events.contains(kMeetingNotice)) topics.push_back(sub->noticeTopic);
    sub->consumer->subscribe(topics);
    s.subs.push_back(std::move(sub));
  }
  s.running = true;
  for (auto& sub : s.subs) {
    auto* p = sub.get();
    p->status->setHealth(Health::kRunning);
    p->intake = std::make_unique<ConsumeLoop>(
        *p->consumer, context.outbox, *p->status,
        ConsumeLoop::Options{.component = "delivery-" + p->settings.name,
                             .paused = [p] { return p->status->paused(); }},
        [this, p](std::vector<bus::KafkaRecord>& records) { return impl_->take(*p, records); });
    p->intake->start();
    p->sending =
        std::make_unique<SoleJob>(context.state, "delivery:" + p->settings.name, context.instance);
    p->sender.start("delivery-" + p->settings.name,
                    [this, p](const std::stop_token& token) { impl_->runSender(*p, token); });
    log::info("delivery", "webhook started",
              {{"subscription", p->settings.name},
               {"sector", p->settings.sector},
               {"topic", p->topic},
               {"pending", std::to_string(p->pending.load())}});
  }
}

void Delivery::stop(std::chrono::steady_clock::time_point) {
  auto& s = *impl_;
  s.running = false;
  for (auto& sub : s.subs) {
    if (sub->intake) sub->intake->stop();
    sub->intake.reset();
    sub->sender.stop();
    sub->sending.reset();
    if (sub->consumer) {
      sub->consumer->close();
      sub->consumer.reset();
    }
    if (sub->status) sub->status->setHealth(Health::kStopped);
  }
}

WebhookCounters Delivery::counters(const std::string& name) const {
  for (const auto& sub : impl_->subs) {
    if (sub->settings.name != name) continue;
    return {sub->received.load(),       sub->queued.load(),  sub->attempts.load(),
            sub->deliveredCount.load(), sub->retries.load(), sub->deadLettered.load(),
            sub->skipped.load(),        sub->pending.load()};
  }
  return {};
}

}  // namespace wayhome::services
