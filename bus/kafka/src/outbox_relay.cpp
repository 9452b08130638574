#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::bus {

using namespace std::chrono_literals;

struct OutboxRelay::Impl {
  Outbox& outbox;
  ClientProperties props;
  RelayOptions options;
  std::unique_ptr<Producer> producer;
  std::atomic<std::size_t> inFlight{0};

  std::mutex mutex;  // guards the two lists below, filled by delivery callbacks
  std::vector<Outbox::Delivered> delivered;
  std::vector<std::pair<std::int64_t, Error>> failed;

  std::int64_t lastSent = 0;
  std::atomic<unsigned> consecutiveFailures{0};
  std::atomic<bool> leader{false};
  std::chrono::steady_clock::time_point nextRenewal{};
  Worker worker;  // runs run(); its sleeps end early when stopping

  Impl(Outbox& o, const ClientProperties& p, RelayOptions opt) : outbox(o), props(p), options(opt) {
    makeProducer();
  }

  void makeProducer() {
    ClientProperties relayProps = props;
    // The outbox is the source of truth: never give up on a message (0 = no
    // timeout); librdkafka keeps retrying, in order, while Kafka is away.
    relayProps["message.timeout.ms"] = "0";
    if (!relayProps.contains("linger.ms")) relayProps["linger.ms"] = "2";
    producer = std::make_unique<Producer>(relayProps, ProducerOptions{.name = "wayhome-relay"});
  }

  // Marks confirmed rows; deals with refusals. Returns true if anything happened.
  bool drain() {
    std::vector<Outbox::Delivered> ok;
    std::vector<std::pair<std::int64_t, Error>> bad;
    {
      std::lock_guard lock(mutex);
      ok.swap(delivered);
      bad.swap(failed);
    }
    if (!ok.empty()) {
      try {
        outbox.markPublished(ok);
      } catch (const std::exception& e) {
        // Not marked now means sent again later; reconciliation finds it on the bus.
        log::error("relay", "cannot mark rows published", {{"error", e.what()}});
      }
    }
    std::int64_t retryFrom = -1;
    for (std::size_t i = 0; i < bad.size(); ++i) {
      const auto& [seq, error] = bad[i];
      if (error.retryable()) {
        retryFrom = retryFrom < 0 ? seq : std::min(retryFrom, seq);
        continue;
      }
      try {
        outbox.markFailed(seq, error.message);
      } catch (...) {
        // The store is busy: keep this refusal and the rest for the next round.
        std::lock_guard lock(mutex);
        failed.insert(failed.begin(), bad.begin() + static_cast<std::ptrdiff_t>(i), bad.end());
        throw;
      }
      log::error("relay", "the bus refused an event for good",
                 {{"seq", std::to_string(seq)}, {"error", error.message}});
    }
    if (retryFrom >= 0) {
      // Only after a fatal producer error: wait for what is in flight, then start
      // over from the first failure with a new producer.
      log::warn("relay", "deliveries failed; restarting the producer",
                {{"from_seq", std::to_string(retryFrom)}});
      while (inFlight.load() > 0 && worker.sleepFor(10ms)) {
      }
      producer.reset();
      lastSent = std::min(lastSent, retryFrom - 1);
      makeProducer();  // if this throws, the next round tries again
      (void)worker.sleepFor(500ms);
    }
    return !ok.empty() || !bad.empty();
  }

  // Finds rows that reached the bus before a crash but were never marked.
  void reconcile() {
    const auto topics = outbox.pendingTopics();
    if (topics.empty()) return;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> known;
    for (const auto& [t, p, o] : outbox.lastOffsets())
      known[{t, p}] = o;
    Consumer reader(props, {.groupId = "wayhome-relay-reconcile", .name = "wayhome-reconcile"});
    std::size_t found = 0;
    for (const auto& topic : topics) {
      auto partitions = producer->partitionCount(topic, 5000ms);
      if (!partitions) {
        log::warn("relay", "cannot reconcile topic",
                  {{"topic", topic}, {"error", partitions.error().message}});
        continue;
      }
      for (std::int32_t p = 0; p < partitions.value() && !worker.stopping(); ++p) {
        auto marks = reader.watermarks(topic, p, 5000ms);
        if (!marks) continue;
        const auto [low, high] = marks.value();
        auto it = known.find({topic, p});
        std::int64_t from = it == known.end() ? low : std::max(low, it->second + 1);
        if (from >= high) continue;
        reader.assignAt(topic, p, from);
        std::vector<std::string> ids;
        std::int64_t next = from;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (next < high && std::chrono::steady_clock::now() < deadline && !worker.stopping()) {
          for (const auto& r : reader.poll(200ms, 1000)) {
            if (const auto* id = r.header("ce_id")) ids.push_back(*id);
            next = r.offset + 1;
          }
        }
        found += outbox.markPublishedByEventId(ids);
      }
    }
    reader.close();
    if (found > 0) {
      log::info("relay", "events found on the bus after a restart were marked published",
                {{"count", std::to_string(found)}});
    }
  }

  // Deletes what the bus confirmed longer ago than the retention, a batch at a time,
  // at most every `pruneEvery`; the first look is at start.
  std::chrono::steady_clock::time_point nextPrune{};
  void prune() {
    const auto retention = outbox.options().retention;
    if (retention.count() <= 0 || std::chrono::steady_clock::now() < nextPrune) return;
    nextPrune = std::chrono::steady_clock::now() + options.pruneEvery;
    const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (outbox.clock().now() - retention).time_since_epoch())
                            .count();
    std::size_t total = 0;
    try {
      for (std::size_t n = 1; n > 0 && !worker.stopping();) {
        n = outbox.prunePublished(cutoff);
        total += n;
      }
    } catch (const std::exception& e) {
      log::warn("relay", "cannot prune the outbox", {{"error", e.what()}});
    }
    if (total > 0) {
      log::info("relay", "published events past the retention deleted from the outbox",
                {{"count", std::to_string(total)}});
    }
  }

  void reconcileNow() {
    try {
      reconcile();
    } catch (const std::exception& e) {
      log::warn("relay", "reconciliation failed", {{"error", e.what()}});
    }
  }

  // With several instances: takes or renews the relay's lease. A relay that gains it
  // starts from the oldest pending row and first looks on the bus for rows the last
  // holder published but did not mark; one that loses it stops sending.
  bool lead() {
    if (options.instance.empty()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now < nextRenewal) return leader.load();
    nextRenewal = now + options.leaseTime / 3;
    const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                           outbox.clock().now().time_since_epoch())
                           .count();
    const bool held =
        outbox.store().acquireLease(kLease, options.instance, options.leaseTime, nowMs);
    outbox.refreshBacklog();
    if (held && !leader.load()) {
      log::info("relay", "this instance publishes the outbox now",
                {{"instance", options.instance}});
      lastSent = 0;
      reconcileNow();
    } else if (!held && leader.load()) {
      log::warn("relay", "another instance publishes the outbox now; standing by",
                {{"instance", options.instance}});
    }
    leader = held;
    return held;
  }

  static constexpr std::string_view kLease = "outbox-relay";

  void run(const std::stop_token& stop) {
    if (options.reconcileOnStart && options.instance.empty()) reconcileNow();
    auto backoff = 500ms;
    while (!stop.stop_requested()) {
      try {
        round();
        consecutiveFailures = 0;
        backoff = 500ms;
      } catch (const std::exception& e) {
        // Whatever failed (the store, a new producer), the relay stays: what it did not
        // send is still in the outbox.
        const unsigned n = ++consecutiveFailures;
        if (n <= 3 || n % 10 == 0) {
          log::error("relay", "relay round failed; trying again",
                     {{"error", log::redact(e.what())},
                      {"in_a_row", std::to_string(n)},
                      {"retry_ms", std::to_string(backoff.count())}});
        }
        (void)worker.sleepFor(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 30000ms);
      }
    }
  }

  // One pass: confirmations, then new rows to send.
  void round() {
    if (!producer) makeProducer();
    if (!lead()) {
      drain();  // confirmations of what was sent while it led
      outbox.waitForAppend(200ms);
      return;
    }
    {
      prune();
      const bool progressed = drain();
      std::size_t sent = 0;
      const std::size_t room = options.maxInFlight - std::min(options.maxInFlight, inFlight.load());
      if (room > 0) {
        // A store that cannot be read throws: the round counts as failed.
        std::vector<OutboxRow> rows = outbox.pending(lastSent, std::min(room, options.fetchBatch));
        for (auto& row : rows) {
          ++inFlight;
          auto queued = producer->sendRecord(
              row.topic, row.key, row.value, row.headers,
              [this, seq = row.seq](const DeliveryReport& report) {
                {
                  std::lock_guard lock(mutex);
                  if (report.ok) {
                    delivered.push_back({seq, report.topic, report.partition, report.offset});
                  } else {
                    failed.emplace_back(seq, report.error);
                  }
                }
                --inFlight;
              });
          if (!queued) {
            --inFlight;
            if (queued.error().retryable()) break;  // local queue full: later
            outbox.markFailed(row.seq, queued.error().message);
          }
          lastSent = row.seq;
          ++sent;
        }
      }
      if (sent == 0 && !progressed) outbox.waitForAppend(inFlight.load() > 0 ? 5ms : 50ms);
    }
  }
};

OutboxRelay::OutboxRelay(Outbox& outbox, const ClientProperties& busClient, RelayOptions options)
    : impl_(std::make_unique<Impl>(outbox, busClient, options)) {}

OutboxRelay::~OutboxRelay() {
  stop(std::chrono::steady_clock::now());
}

void OutboxRelay::start() {
  impl_->worker.start("relay",
                      [impl = impl_.get()](const std::stop_token& stop) { impl->run(stop); });
}

void OutboxRelay::stop(std::chrono::steady_clock::time_point deadline) {
  if (!impl_->worker.running()) return;
  impl_->worker.stop();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (impl_->producer) impl_->producer->flush(std::max(left, std::chrono::milliseconds(0)));
  try {
    impl_->drain();
    // The next instance need not wait for the lease to run out.
    if (!impl_->options.instance.empty() && impl_->leader.load()) {
      impl_->outbox.store().releaseLease(Impl::kLease, impl_->options.instance);
    }
  } catch (const std::exception& e) {
    log::error("relay", "last confirmations not recorded; they are sent again after a restart",
               {{"error", log::redact(e.what())}});
  }
}

bool OutboxRelay::leading() const {
  return impl_->options.instance.empty() || impl_->leader.load();
}

unsigned OutboxRelay::consecutiveFailures() const {
  return impl_->consecutiveFailures.load();
}

std::size_t OutboxRelay::inFlight() const {
  return impl_->inFlight.load();
}

}  // namespace wayhome::bus
