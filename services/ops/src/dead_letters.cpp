#include "dead_letters.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>

#include <wayhome/bus/audit.hpp>
#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/dead_letter.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/schemas/json_text.hpp>

#include "ops_sql.hpp"  // generated from sql/ops.sql: kOpsTables

namespace wayhome::services {
namespace {

constexpr auto kBusTimeout = std::chrono::milliseconds(5000);

const std::string* header(const bus::KafkaRecord& r, std::string_view name) {
  return r.header(name);
}

DeadLetter fromRecord(const std::string& service, bus::KafkaRecord record) {
  DeadLetter d;
  d.id = service + "." + std::to_string(record.partition) + "." + std::to_string(record.offset);
  d.service = service;
  auto text = [&](std::string_view name) {
    const auto* h = header(record, name);
    return h == nullptr ? std::string() : *h;
  };
  d.reason = text(bus::dead_letter::kReason);
  d.originalTopic = text(bus::dead_letter::kTopic);
  try {
    d.originalPartition = std::stoi(text(bus::dead_letter::kPartition));
    d.originalOffset = std::stoll(text(bus::dead_letter::kOffset));
  } catch (const std::exception&) {
    // A dead letter written by someone else: shown, but its origin is unknown.
  }
  d.failedAt = text(bus::dead_letter::kTime);
  d.record = std::move(record);
  return d;
}

struct ParsedId {
  std::string service;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

std::optional<ParsedId> parseId(const std::string& id) {
  const auto last = id.rfind('.');
  if (last == std::string::npos || last == 0) return std::nullopt;
  const auto middle = id.rfind('.', last - 1);
  if (middle == std::string::npos || middle == 0) return std::nullopt;
  ParsedId p;
  p.service = id.substr(0, middle);
  try {
    std::size_t used = 0;
    const std::string part = id.substr(middle + 1, last - middle - 1);
    p.partition = std::stoi(part, &used);
    if (used != part.size() || p.partition < 0) return std::nullopt;
    const std::string off = id.substr(last + 1);
    p.offset = std::stoll(off, &used);
    if (used != off.size() || p.offset < 0) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return p;
}

bool knownService(const std::string& service) {
  const auto& all = bus::Topics::services();
  return std::find(all.begin(), all.end(), service) != all.end();
}

// The audit record (bus::audit) of what an operator did with a dead letter.
bus::CloudEvent auditRecord(std::string id, Clock::TimePoint at, const DeadLetter& d,
                            std::string decision, const std::string& actor, std::string detail) {
  bus::audit::Record record;
  record.id = std::move(id);
  record.source = "/wayhome/ops";
  record.service = "ops";
  record.decidedAt = at;
  record.actor = actor;
  record.subject = d.id;
  bus::audit::Entry entry;
  entry.decision = std::move(decision);
  entry.detail = std::move(detail);
  record.decisions.push_back(std::move(entry));
  return bus::audit::event(record);
}

}  // namespace

Result<std::vector<bus::KafkaRecord>> readNewest(const bus::ClientProperties& busClient,
                                                 bus::Producer& producer, const std::string& topic,
                                                 std::size_t limitPerPartition) {
  auto partitions = producer.partitionCount(topic, kBusTimeout);
  if (!partitions.ok()) return partitions.error();
  bus::Consumer consumer(busClient, {.groupId = "wayhome-ops-reader", .name = "wayhome-ops"});
  std::vector<std::pair<std::int32_t, std::int64_t>> starts;
  std::map<std::int32_t, std::int64_t> ends;
  for (std::int32_t p = 0; p < partitions.value(); ++p) {
    auto marks = consumer.watermarks(topic, p, kBusTimeout);
    if (!marks.ok()) return marks.error();
    const auto [low, high] = marks.value();
    if (high <= low) continue;
    starts.emplace_back(p, std::max(low, high - static_cast<std::int64_t>(limitPerPartition)));
    ends[p] = high;
  }
  std::vector<bus::KafkaRecord> out;
  if (starts.empty()) return out;
  consumer.assignAt(topic, starts);
  std::size_t open = ends.size();
  const auto deadline = std::chrono::steady_clock::now() + kBusTimeout;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    for (auto& r : consumer.poll(std::chrono::milliseconds(100))) {
      const auto it = ends.find(r.partition);
      if (it == ends.end() || r.offset >= it->second) continue;
      if (r.offset == it->second - 1) --open;
      out.push_back(std::move(r));
    }
  }
  if (open > 0) return Error::retry("the bus did not hand over " + topic + " in time");
  return out;
}

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& opsSchema() {
  static const auto kSchema = store::parseModuleSchema("ops", kOpsTables);
  return kSchema;
}

DeadLetters::DeadLetters(const bus::ClientProperties& busClient, const bus::Topics& topics,
                         store::StateStore& state, bus::Producer& producer, bus::Outbox& outbox,
                         const schemas::SchemaRegistry& schemas, const Clock& clock)
    : busClient_(busClient),
      topics_(topics),
      state_(state),
      producer_(producer),
      outbox_(outbox),
      schemas_(schemas),
      clock_(clock) {
  state_.migrate(opsSchema());
}

Result<std::vector<DeadLetter>> DeadLetters::list(const std::string& service, std::size_t limit) {
  if (!service.empty() && !knownService(service)) {
    return Error::permanent("unknown service '" + service + "'");
  }
  std::vector<DeadLetter> out;
  for (const auto& s : bus::Topics::services()) {
    if (!service.empty() && s != service) continue;
    const std::string topic = topics_.deadLetters(s);
    auto records = readNewest(busClient_, producer_, topic, limit);
    if (!records.ok()) return records.error();
    for (auto& r : records.value())
      out.push_back(fromRecord(s, std::move(r)));
  }
  std::sort(out.begin(), out.end(), [](const DeadLetter& a, const DeadLetter& b) {
    return a.record.timestampMs != b.record.timestampMs
               ? a.record.timestampMs > b.record.timestampMs
               : a.id > b.id;
  });
  attachActions(out);
  return out;
}

Result<DeadLetter> DeadLetters::find(const std::string& id) {
  const auto parsed = parseId(id);
  if (!parsed || !knownService(parsed->service)) {
    return Error::permanent("not found: no dead letter '" + id + "'");
  }
  const std::string topic = topics_.deadLetters(parsed->service);
  bus::Consumer consumer(busClient_, {.groupId = "wayhome-ops-dlq", .name = "wayhome-ops-dlq"});
  auto marks = consumer.watermarks(topic, parsed->partition, kBusTimeout);
  if (!marks.ok()) return Error::permanent("not found: no dead letter '" + id + "'");
  if (parsed->offset < marks.value().first || parsed->offset >= marks.value().second) {
    return Error::permanent("not found: no dead letter '" + id + "'");
  }
  consumer.assignAt(topic, parsed->partition, parsed->offset);
  const auto deadline = std::chrono::steady_clock::now() + kBusTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto& r : consumer.poll(std::chrono::milliseconds(100))) {
      if (r.partition != parsed->partition || r.offset != parsed->offset) continue;
      std::vector<DeadLetter> one{fromRecord(parsed->service, std::move(r))};
      attachActions(one);
      return one.front();
    }
  }
  return Error::retry("the bus did not hand over dead letter '" + id + "' in time");
}

void DeadLetters::attachActions(std::vector<DeadLetter>& letters) {
  if (letters.empty()) return;
  state_.transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT action, actor, at_ms FROM dlq_actions WHERE dlq_id = ?;");
    for (auto& d : letters) {
      st.reset();
      st.bind(1, d.id);
      if (st.step()) {
        d.state = st.columnText(0);
        d.actor = st.columnText(1);
        d.actionMs = st.columnInt(2);
      }
    }
  });
}

Result<DeadLetter> DeadLetters::replay(const std::string& id, const std::string& actor) {
  return act(id, actor, "replayed");
}

Result<DeadLetter> DeadLetters::discard(const std::string& id, const std::string& actor) {
  return act(id, actor, "discarded");
}

Result<DeadLetter> DeadLetters::act(const std::string& id, const std::string& actor,
                                    const std::string& action) {
  auto found = find(id);
  if (!found.ok()) return found.error();
  DeadLetter d = std::move(found.value());
  if (d.state != "pending") {
    return Error::permanent("conflict: dead letter '" + id + "' was " + d.state + " by " + d.actor);
  }
  const bool replay = action == "replayed";
  if (replay && d.originalTopic.empty()) {
    return Error::permanent("conflict: dead letter '" + id +
                            "' does not say where it came from; it cannot be replayed");
  }
  if (outbox_.overloaded()) {
    return Error::retry("the outbox is full while the bus catches up; try again later");
  }
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
          .count();

  // The audit record and the replayed copy go through the outbox, in the very
  // transaction that claims the dead letter: the claim is taken first and at most once
  // (two operators at the same moment: one wins, the other gets 409), and what it
  // promises reaches the bus once even if the bus is away right now or we stop. Nothing
  // waits on the bus here, so no answer is given before the action is durable and no
  // delivery callback outlives the request.
  auto audit = auditRecord("ops-dlq-" + action + "-" + d.id, clock_.now(), d,
                           replay ? "dlq_replayed" : "dlq_discarded", actor,
                           "dead letter " + d.id + " of " + d.service + " (from " +
                               (d.originalTopic.empty() ? "?" : d.originalTopic) + ")");
  if (auto invalid = schemas_.validate(audit.type, audit.data)) {
    // Our own record: a bug, and no action without its audit.
    log::error("ops", "audit record does not match its schema", {{"error", invalid->message}});
    return Error::permanent("audit record invalid: " + invalid->message);
  }
  std::vector<bus::OutboxEvent> events{
      bus::OutboxEvent{topics_.auditDecisions(), std::move(audit)}};
  std::vector<bus::OutboxRecord> records;
  if (replay) {
    records.push_back({"dlq-replay-" + d.id + "-" + std::to_string(d.record.timestampMs),
                       d.originalTopic, d.record.key,
                       bus::dead_letter::originalHeaders(d.record.headers), d.record.value});
  }

  bool claimed = false;
  std::string holder;
  bus::AppendOutcome appended;
  try {
    state_.transaction([&](store::Connection& db) {
      store::Statement st(db,
                          "INSERT INTO dlq_actions(dlq_id, action, actor, at_ms) "
                          "VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING;");
      st.bind(1, d.id).bind(2, action).bind(3, actor).bind(4, now);
      st.run();
      claimed = db.changes() == 1;
      if (!claimed) {
        store::Statement who(db, "SELECT action, actor FROM dlq_actions WHERE dlq_id = ?;");
        who.bind(1, d.id);
        if (who.step()) holder = who.columnText(0) + " by " + who.columnText(1);
        return;
      }
      appended = outbox_.appendWithin(db, events, records);
    });
  } catch (const std::exception& e) {
    log::warn("ops", "dead letter action not recorded", {{"id", d.id}, {"error", e.what()}});
    return Error::retry("the state store is busy; nothing was done, try again");
  }
  if (!claimed) {
    return Error::permanent("conflict: dead letter '" + id + "' was " +
                            (holder.empty() ? std::string("acted on") : holder) + " meanwhile");
  }
  outbox_.committedWithin(appended);
  d.state = action;
  d.actor = actor;
  d.actionMs = now;
  log::info("ops", "dead letter " + action, {{"id", d.id}, {"actor", actor}});
  return d;
}

Result<void> DeadLetters::auditRead(const DeadLetter& d, const std::string& actor) {
  static std::atomic<std::uint64_t> reads{0};
  const auto now = clock_.now();
  const auto nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto audit = auditRecord("ops-dlq-read-" + d.id + "-" + std::to_string(nowMs) + "-" +
                               std::to_string(reads.fetch_add(1)),
                           now, d, "dlq_read", actor,
                           "whole dead letter " + d.id + " of " + d.service + " read");
  if (auto invalid = schemas_.validate(audit.type, audit.data)) {
    return Error::permanent("the audit record of the read is invalid: " + invalid->message);
  }
  // Shared: the callback may come after a time-out, and must find the promise alive.
  auto committed = std::make_shared<std::promise<bool>>();
  auto future = committed->get_future();
  auto queued = outbox_.append(
      {bus::OutboxEvent{topics_.auditDecisions(), std::move(audit)}},
      [committed](const Result<bus::AppendOutcome>& r) { committed->set_value(r.ok()); });
  if (!queued) return Error::retry("the read cannot be audited now (outbox); try again");
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready || !future.get()) {
    return Error::retry("the read could not be audited; try again");
  }
  log::info("ops", "dead letter read whole", {{"id", d.id}, {"actor", actor}});
  return {};
}

}  // namespace wayhome::services
