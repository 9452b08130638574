#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/core/calendar.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/router/consent_store.hpp>
#include <wayhome/router/deferral_store.hpp>
#include <wayhome/router/lifecycle.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/router/rules.hpp>
#include <wayhome/router/schema.hpp>
#include <wayhome/router/settings.hpp>
#include <wayhome/runtime/consume_loop.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "casework_api.hpp"
#include "identity_api.hpp"

namespace wayhome::services {

using namespace router;

struct Router::Impl {
  RouterOptions options;
  ServiceContext* ctx = nullptr;
  const Clock* clock = nullptr;

  mutable std::mutex tableMutex;
  RuleTablePtr table;

  std::shared_ptr<StatusEntry> status;
  Histogram* batchSeconds = nullptr;
  Histogram* eventAge = nullptr;
  std::atomic<bool> running{false};
  Clock::TimePoint nextEscalation{};
  Clock::TimePoint nextPrune{};
  std::atomic<std::uint64_t> processed{0}, duplicates{0}, deadLettered{0}, outputs{0}, batches{0};
  /// ce_source values whose consent.* events are applied (router.consent_sources).
  std::set<std::string> consentSources;
  SubscribedLoop intake;  // last: stopped before the rest goes

  RuleTablePtr current() const {
    std::lock_guard lock(tableMutex);
    return table;
  }

  bus::OutboxRecord deadLetter(const bus::KafkaRecord& rec, const std::string& reason) const {
    return bus::dead_letter::make(rec, "router", reason, ctx->topics, clock->now());
  }

  // What can be known of a record without the store: its CloudEvent, whether its
  // type, data and source are acceptable, and its data as a DOM. Worked out before the
  // transaction, so the store (shared with the outbox relay and the intake) is held
  // only for the reads and writes themselves.
  struct Prepared {
    std::optional<bus::CloudEvent> event;
    std::string deadReason;  // non-empty: dead-letter it (unless it is a duplicate)
    bool ownReferral = false;
    bool lifecycle = false;
    // The data's own pool, sized to the event: a Document's default pool takes 64 KB at
    // its first value, and a batch holds up to 500 of them at once (32 MB of the
    // intake bench's peak heap). Declared before `data`, which uses it.
    std::unique_ptr<rapidjson::MemoryPoolAllocator<>> pool;
    rapidjson::Document data;
  };

  Prepared prepare(const bus::KafkaRecord& rec) const {
    Prepared p;
    auto ce = bus::binding::fromRecord(rec);
    if (!ce) {
      p.deadReason = "not a CloudEvent: " + ce.error().message;
      return p;
    }
    p.event = std::move(ce.value());
    const auto& e = *p.event;
    if (isOwnReferralOutput(e)) {
      p.ownReferral = true;
    } else if (!ctx->schemas.has(e.type)) {
      p.deadReason = "unknown type '" + e.type.substr(0, 100) + "'";
    } else if (auto invalid = ctx->schemas.validate(e.type, e.data)) {
      p.deadReason = (invalid->keyword == "parse" ? "invalid JSON: " : "schema-invalid data: ") +
                     invalid->message;
    } else if (e.type.starts_with("consent.") && !consentSources.contains(e.source)) {
      p.deadReason = "ce_source '" + e.source.substr(0, 200) +
                     "' may not record consents (router.consent_sources)";
    } else if (isLifecycleEvent(e)) {
      p.lifecycle = true;
    } else {
      p.pool = std::make_unique<rapidjson::MemoryPoolAllocator<>>(
          std::max<std::size_t>(1024, 2 * e.data.size()));
      p.data = rapidjson::Document(p.pool.get());
      (void)schemas::parseJson(p.data, e.data);  // validated above: cannot fail
    }
    return p;
  }

  std::size_t handle(std::vector<bus::KafkaRecord>& records) {
    const auto began = std::chrono::steady_clock::now();
    const auto rules = current();
    std::vector<Prepared> prepared;
    prepared.reserve(records.size());
    for (const auto& rec : records)
      prepared.push_back(prepare(rec));
    std::vector<Clock::TimePoint> eventTimes;
    std::vector<bus::OutboxEvent> events;
    std::vector<bus::OutboxRecord> dead;
    std::uint64_t done = 0;
    std::uint64_t dups = 0;
    bus::AppendOutcome outcome;
    ctx->state.transaction([&](store::Connection& db) {
      events.clear();
      dead.clear();
      eventTimes.clear();
      done = dups = 0;
      const auto now = clock->now();
      const std::int64_t nowMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
      StoreConsentStore consents(db, nowMs);
      StoreDeferralStore deferrals(db);
      const EvalEnv env{now, consents, ctx->topics, &deferrals};
      store::Statement seen(db, "SELECT 1 FROM router_processed WHERE event_id = ?;");
      store::Statement mark(db,
                            "INSERT INTO router_processed(event_id, processed_ms) "
                            "VALUES(?, ?) ON CONFLICT DO NOTHING;");
      store::Statement savepoint(db, "SAVEPOINT router_event;");
      store::Statement release(db, "RELEASE router_event;");
      store::Statement rollback(db, "ROLLBACK TO router_event;");
      for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& rec = records[i];
        const auto& p = prepared[i];
        if (!p.event) {
          dead.push_back(deadLetter(rec, p.deadReason));
          continue;
        }
        const auto& e = *p.event;
        seen.reset();
        seen.bind(1, e.id);
        if (seen.step()) {
          ++dups;
          continue;
        }
        if (p.ownReferral) continue;  // read back from referrals.<sector>
        if (!p.deadReason.empty()) {
          dead.push_back(deadLetter(rec, p.deadReason));
          continue;
        }
        // The processed key is claimed first, in this transaction: another instance
        // handling the same event (a rebalance) waits for our commit and then finds it.
        savepoint.reset();
        savepoint.run();
        mark.reset();
        mark.bind(1, e.id).bind(2, nowMs);
        if (mark.run() == 0) {
          release.reset();
          release.run();
          ++dups;
          continue;
        }
        if (p.lifecycle) {
          if (!applyLifecycle(db, e, env.now)) {
            rollback.reset();
            rollback.run();
            release.reset();
            release.run();
            dead.push_back(deadLetter(rec, "/sector: is not the sector the referral went to"));
            continue;
          }
          release.reset();
          release.run();
          ++done;
          continue;
        }
        if (auto t = scheduler::parseRfc3339(e.time)) eventTimes.push_back(*t);
        const Event event{e.id, e.type, e.subject, &p.data, e.source};
        auto decided = decide(*rules, event, env, ctx->schemas);
        if (!decided) {
          rollback.reset();
          rollback.run();
          release.reset();
          release.run();
          dead.push_back(deadLetter(rec, "rule evaluation failed: " + decided.error().message));
          continue;
        }
        release.reset();
        release.run();
        for (auto& o : decided.value())
          events.push_back(std::move(o));
        ++done;
      }
      trackCreated(db, events, env.now);
      outcome = ctx->outbox.appendWithin(db, events, dead);
    });
    ctx->outbox.committedWithin(outcome);
    recordBatch(records.size(), began, eventTimes, done, dups, dead.size(), outcome);
    return records.size();
  }

  // Decisions are durable now: how long the batch took, and how old each event was
  // (its ce_time, set when its connector accepted it) when its decision committed.
  void recordBatch(std::size_t received, std::chrono::steady_clock::time_point began,
                   const std::vector<Clock::TimePoint>& eventTimes, std::uint64_t done,
                   std::uint64_t dups, std::size_t deadCount, const bus::AppendOutcome& outcome) {
    batchSeconds->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    const auto committed = clock->now();
    for (const auto& t : eventTimes)
      eventAge->observe(std::max(0.0, std::chrono::duration<double>(committed - t).count()));
    processed += done;
    duplicates += dups;
    deadLettered += deadCount;
    outputs += outcome.fresh;
    ++batches;
    status->received(received);
    status->succeeded(outcome.fresh, dups);
    for (std::size_t i = 0; i < deadCount; ++i)
      status->rejected("dead-lettered a record");
  }

  // Escalates what is overdue and makes the deferred referrals whose day came, in one
  // transaction of their own; at most every second.
  void escalate() {
    const auto now = clock->now();
    if (now < nextEscalation) return;
    nextEscalation = now + options.escalationInterval;
    bus::AppendOutcome outcome;
    std::size_t changed = 0;  // escalations and deferred referrals made
    ctx->state.transaction([&](store::Connection& db) {
      auto events = escalateOverdue(db, now, ctx->topics);
      auto due = makeDue(db, now);
      trackCreated(db, due, now);
      changed = events.size() + due.size();
      events.insert(events.end(), std::make_move_iterator(due.begin()),
                    std::make_move_iterator(due.end()));
      outcome = ctx->outbox.appendWithin(db, events);
    });
    ctx->outbox.committedWithin(outcome);
    outputs += outcome.fresh;
    if (changed > 0) status->succeeded(outcome.fresh);
    if (now >= nextPrune) {
      nextPrune = now + std::chrono::hours(1);
      // The retention run of the re-identification vault: numbers of people no connector
      // has seen for identity.reidentification.retention_days.
      if (ctx->vault != nullptr) {
        if (const auto n = ctx->vault->prune(now - ctx->config.identityVaultRetention); n > 0) {
          log::info("identity", "kept identity numbers past their retention deleted",
                    {{"rows", std::to_string(n)}});
        }
      }
    }
  }

  // Deferred referrals whose day came: made (or waiting for a consent) with their
  // audit, in the caller's transaction. An output that fails its schema is a bug: it is
  // logged and left out, never half-sent.
  std::vector<bus::OutboxEvent> makeDue(store::Connection& db, Clock::TimePoint now) {
    StoreConsentStore consents(
        db, std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    StoreDeferralStore deferrals(db);
    const EvalEnv env{now, consents, ctx->topics, &deferrals};
    std::vector<bus::OutboxEvent> out;
    for (const auto& d : makeDueReferrals(deferrals, env)) {
      // The day came: its firing is the source of the audit record (one per deferral,
      // whichever way it went: made, or waiting for a consent).
      std::vector<bus::OutboxEvent> pair;
      if (d.output) pair.push_back(*d.output);
      pair.push_back(auditEvent("due|" + d.referralId, d.sourceEventId, {d}, env));
      bool valid = true;
      for (const auto& e : pair) {
        if (auto invalid = ctx->schemas.validate(e.event.type, e.event.data)) {
          log::error("router", "a deferred referral's output is invalid; left out",
                     {{"referral_id", d.referralId}, {"error", invalid->message}});
          valid = false;
        }
      }
      if (valid) out.insert(out.end(), pair.begin(), pair.end());
    }
    return out;
  }
};

Router::Router(RouterOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Router::~Router() {
  stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

void Router::start(ServiceContext& context) {
  auto& s = *impl_;
  s.ctx = &context;
  context.state.migrate(routerSchema());
  s.clock = s.options.clock != nullptr ? s.options.clock : &context.clock;
  for (auto& source : consentSources(s.options.consentSources, context.config))
    s.consentSources.insert(std::move(source));
  if (context.auth != nullptr) {
    registerCaseworkRoutes(context.http, {.auth = *context.auth,
                                          .schemas = context.schemas,
                                          .state = context.state,
                                          .outbox = context.outbox,
                                          .topics = context.topics,
                                          .clock = *s.clock,
                                          .rules = [&s] { return s.current(); }});
    registerIdentityRoutes(context.http, {.auth = *context.auth,
                                          .state = context.state,
                                          .outbox = context.outbox,
                                          .topics = context.topics,
                                          .clock = *s.clock,
                                          .vault = context.vault,
                                          .perMinute = context.config.identityResolvePerMinute});
  }
  s.table = loadRulesFile(s.options.rulesFile, context.schemas, context.topics.sectorNames());
  log::info(
      "router", "rules loaded",
      {{"file", s.options.rulesFile.string()}, {"rules", std::to_string(s.table->rules.size())}});
  s.status = context.status.add("router", "router");
  std::vector<std::string> topics;
  for (const auto& src : bus::Topics::sources())
    topics.push_back(context.topics.cases(src));
  topics.push_back(context.topics.consentEvents());
  // Acknowledgements and closings come back on the sectors' referral topics.
  for (const auto& sector : context.topics.sectorNames())
    topics.push_back(context.topics.referrals(sector));
  registerReferralMetrics(context.metrics, context.state, *s.clock, context.topics.sectorNames());
  s.batchSeconds = &context.metrics.histogram(
      "wayhome_router_batch_seconds",
      "Processing of one poll batch: validation, rules, state and outputs committed.");
  s.eventAge = &context.metrics.histogram(
      "wayhome_router_event_age_seconds",
      "End to end: from a case event's ce_time (its acceptance) to the router's committed "
      "decision.");
  s.running = true;
  s.status->setHealth(Health::kRunning);
  s.intake.start(consumerProperties(context.config.bus, context.busClient),
                 bus::ConsumerOptions{.groupId = s.options.groupId, .name = "wayhome-router"},
                 topics, context.outbox, *s.status,
                 ConsumeLoop::Options{.component = "router",
                                      .maxBatch = s.options.maxBatch,
                                      .beforePoll = [&s] { s.escalate(); }},
                 [&s](std::vector<bus::KafkaRecord>& records) { return s.handle(records); });
}

void Router::stop(std::chrono::steady_clock::time_point) {
  auto& s = *impl_;
  s.running = false;
  s.intake.stop();
  if (s.status) s.status->setHealth(Health::kStopped);
}

std::string Router::notReadyReason() const {
  return impl_->running ? std::string() : std::string("router is not running");
}

std::optional<ReloadOutcome> Router::reload() {
  std::string why;
  if (reloadRules(why))
    return ReloadOutcome{true, "rules reloaded from " + impl_->options.rulesFile.string()};
  return ReloadOutcome{false, why};
}

bool Router::reloadRules(std::string& why) {
  auto& s = *impl_;
  if (s.ctx == nullptr) {
    why = "the router has not started";
    return false;
  }
  try {
    auto fresh = loadRulesFile(s.options.rulesFile, s.ctx->schemas, s.ctx->topics.sectorNames());
    const auto count = fresh->rules.size();
    {
      std::lock_guard lock(s.tableMutex);
      s.table = std::move(fresh);
    }
    log::info("router", "rules reloaded",
              {{"file", s.options.rulesFile.string()}, {"rules", std::to_string(count)}});
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    log::error("router", "rules reload refused; the previous rules stay in force",
               {{"error", why}});
    return false;
  }
}

RouterCounters Router::counters() const {
  const auto& s = *impl_;
  return {s.processed.load(), s.duplicates.load(), s.deadLettered.load(), s.outputs.load(),
          s.batches.load()};
}

}  // namespace wayhome::services
