#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wayhome/bus/outbox.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/store/columns.hpp>
#include <wayhome/store/state_store.hpp>

#include "outbox_sql.hpp"  // generated from sql/outbox.sql: kOutboxTables

namespace wayhome::bus {

using store::StateError;
using store::Statement;
using store::StateStore;
namespace {

void putU32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

bool getU32(std::string_view& in, std::uint32_t& v) {
  if (in.size() < 4) return false;
  v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[0])) << 24) |
      (static_cast<std::uint32_t>(static_cast<unsigned char>(in[1])) << 16) |
      (static_cast<std::uint32_t>(static_cast<unsigned char>(in[2])) << 8) |
      static_cast<std::uint32_t>(static_cast<unsigned char>(in[3]));
  in.remove_prefix(4);
  return true;
}

std::int64_t epochMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

/// One outbox row to insert.
struct Row {
  std::string_view id;
  std::string_view topic;
  std::string_view key;
  std::string headers;  // encoded
  std::string_view value;
};

/// Inserts `rows` in order (ON CONFLICT DO NOTHING: an event id already there is a
/// duplicate), up to 64 rows per statement: a statement per row cost its own step
/// through SQLite's VM and, on PostgreSQL, a round trip each. Texts for 64, 16, 4 and
/// 1 rows, so each connection prepares four texts at most. Returns the rows inserted.
std::size_t insertRows(store::Connection& db, const std::vector<Row>& rows, std::int64_t now) {
  static const auto kTexts = [] {
    std::vector<std::pair<std::size_t, std::string>> texts;
    for (const std::size_t n : {64, 16, 4, 1}) {
      std::string sql =
          "INSERT INTO outbox(event_id, topic, msg_key, headers, value, created_ms) VALUES";
      for (std::size_t i = 0; i < n; ++i)
        sql += i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
      sql += " ON CONFLICT DO NOTHING;";
      texts.emplace_back(n, std::move(sql));
    }
    return texts;
  }();
  std::size_t fresh = 0;
  std::size_t next = 0;
  for (const auto& [size, sql] : kTexts) {
    if (rows.size() - next < size) continue;
    Statement insert(db, sql);
    while (rows.size() - next >= size) {
      insert.reset();
      for (std::size_t j = 0; j < size; ++j) {
        const Row& r = rows[next++];
        const int p = static_cast<int>(6 * j);
        insert.bind(p + 1, r.id)
            .bind(p + 2, r.topic)
            .bind(p + 3, r.key)
            .bindBlob(p + 4, r.headers)
            .bindBlob(p + 5, r.value)
            .bind(p + 6, now);
      }
      fresh += static_cast<std::size_t>(insert.run());
    }
  }
  return fresh;
}

/// The row of an event as its connector or service made it.
Row rowOf(const OutboxEvent& e) {
  return {e.event.id, e.topic, e.event.subject, Outbox::encodeHeaders(binding::toHeaders(e.event)),
          e.event.data};
}

}  // namespace

std::string Outbox::encodeHeaders(const std::vector<Header>& headers) {
  std::string out;
  for (const auto& h : headers) {
    putU32(out, static_cast<std::uint32_t>(h.name.size()));
    out += h.name;
    putU32(out, static_cast<std::uint32_t>(h.value.size()));
    out += h.value;
  }
  return out;
}

std::vector<Header> Outbox::decodeHeaders(std::string_view blob) {
  std::vector<Header> out;
  while (!blob.empty()) {
    std::uint32_t n = 0;
    if (!getU32(blob, n) || blob.size() < n) break;
    Header h;
    h.name = std::string(blob.substr(0, n));
    blob.remove_prefix(n);
    if (!getU32(blob, n) || blob.size() < n) break;
    h.value = std::string(blob.substr(0, n));
    blob.remove_prefix(n);
    out.push_back(std::move(h));
  }
  return out;
}

struct Outbox::Impl {
  struct Pending {
    std::vector<OutboxEvent> events;
    AppendCallback done;
  };
  StateStore& store;
  const Clock& clock;
  std::mutex mutex;
  std::condition_variable committed;  // relay: rows arrived
  std::deque<Pending> queue;
  std::size_t queuedEvents = 0;
  std::uint64_t commitGeneration = 0;
  bool closing = false;
  Worker writer;  // last: joined before the rest goes

  Impl(StateStore& s, const Clock& c) : store(s), clock(c) {}

  // Everything that arrived while the last commit ran goes into the next one; empty
  // when nothing waits.
  std::vector<Pending> takeBatch(std::size_t maxEvents) {
    std::lock_guard lock(mutex);
    std::vector<Pending> batch;
    std::size_t events = 0;
    while (!queue.empty() && (batch.empty() || events < maxEvents)) {
      events += queue.front().events.size();
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    queuedEvents -= events;
    return batch;
  }
};

namespace {

// The relay reads rows in seq order and remembers the last one it sent. SQLite commits
// one writer at a time, so seq order is commit order. PostgreSQL hands out seq at
// insert: two transactions could commit out of order and the relay would pass over
// the late one. So appends take one lock until their commit, there too.
void serialiseAppends(store::Connection& db) {
  if (db.dialect() == store::Dialect::postgres) db.exec("SELECT pg_advisory_xact_lock(7418227);");
}

// Marks rows published at `now`, one at a time by `column` (seq or event_id). Only a
// row still pending and not failed is marked, so each counts once whoever marks it.
class PublishedMark {
 public:
  PublishedMark(store::Connection& db, std::string_view column, std::int64_t now)
      : st_(db, "UPDATE outbox SET published_ms = ? WHERE " + std::string(column) +
                    " = ? AND published_ms IS NULL AND failed IS NULL;"),
        now_(now) {}

  // 1 when the row was pending, else 0.
  template <class Key>
  std::size_t operator()(const Key& key) {
    st_.reset();
    st_.bind(1, now_).bind(2, key);
    return static_cast<std::size_t>(st_.run());
  }

 private:
  Statement st_;
  std::int64_t now_;
};

}  // namespace

// The tables this module owns (docs/ARCHITECTURE.md: each module migrates its own).
const store::ModuleSchema& outboxSchema() {
  static const auto kSchema = store::parseModuleSchema("outbox", kOutboxTables);
  return kSchema;
}

std::size_t Outbox::refreshBacklog() {
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(db, "SELECT COUNT(*) FROM outbox WHERE published_ms IS NULL AND failed IS NULL;");
    if (st.step()) backlog_ = static_cast<std::size_t>(st.columnInt(0));
  });
  return backlog_.load();
}

Outbox::Outbox(StateStore& store, OutboxOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(store, clock)), options_(options) {
  store.migrate(outboxSchema());
  refreshBacklog();
  // append() wakes the writer; once stopping it still commits what was queued.
  impl_->writer.start("outbox", [this](const std::stop_token& stop) {
    auto& s = *impl_;
    while (true) {
      auto batch = s.takeBatch(options_.maxBatchEvents);
      if (batch.empty()) {
        if (stop.stop_requested()) return;
        (void)s.writer.sleepFor(std::chrono::minutes(1));
        continue;
      }

      std::vector<AppendOutcome> outcomes(batch.size());
      std::optional<Error> failure;
      try {
        const std::int64_t now = epochMs(s.clock);
        s.store.transaction([&](store::Connection& db) {
          serialiseAppends(db);
          std::vector<Row> rows;
          for (std::size_t i = 0; i < batch.size(); ++i) {
            rows.clear();
            for (const auto& e : batch[i].events)
              rows.push_back(rowOf(e));
            outcomes[i].fresh = insertRows(db, rows, now);
            outcomes[i].duplicates = rows.size() - outcomes[i].fresh;
          }
        });
      } catch (const std::exception& e) {
        // SQLite's text (paths, statements) goes to the log; callers may answer with
        // this message, so it names only what happened.
        failure = Error::retry("the state store could not commit; try again");
        log::error("outbox", "commit failed", {{"error", e.what()}});
      }
      std::size_t fresh = 0;
      for (const auto& o : outcomes)
        fresh += o.fresh;
      if (!failure) {
        backlog_ += fresh;
        appended_ += fresh;
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (failure) {
          batch[i].done(*failure);
        } else {
          batch[i].done(outcomes[i]);
        }
      }
      std::lock_guard lock(s.mutex);
      ++s.commitGeneration;
      s.committed.notify_all();
    }
  });
}

Outbox::~Outbox() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closing = true;
  }
  impl_->writer.stop();
}

Result<void> Outbox::append(std::vector<OutboxEvent> events, AppendCallback done) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->closing) return Error::retry("outbox is closing");
  if (backlog() + impl_->queuedEvents >= options_.maxBacklog) {
    return Error::retry("outbox backlog is full (" + std::to_string(backlog()) +
                        " events wait for the bus)");
  }
  impl_->queuedEvents += events.size();
  impl_->queue.push_back({std::move(events), std::move(done)});
  impl_->writer.wake();
  return {};
}

AppendOutcome Outbox::appendWithin(store::Connection& db, const std::vector<OutboxEvent>& events,
                                   const std::vector<OutboxRecord>& records) {
  AppendOutcome outcome;
  if (events.empty() && records.empty()) return outcome;
  serialiseAppends(db);
  const std::int64_t now = epochMs(impl_->clock);
  std::vector<Row> rows;
  rows.reserve(events.size() + records.size());
  for (const auto& e : events)
    rows.push_back(rowOf(e));
  for (const auto& r : records)
    rows.push_back({r.id, r.topic, r.key, encodeHeaders(r.headers), r.value});
  outcome.fresh = insertRows(db, rows, now);
  outcome.duplicates = rows.size() - outcome.fresh;
  return outcome;
}

void Outbox::committedWithin(const AppendOutcome& outcome) {
  backlog_ += outcome.fresh;
  appended_ += outcome.fresh;
  std::lock_guard lock(impl_->mutex);
  ++impl_->commitGeneration;
  impl_->committed.notify_all();
}

void Outbox::waitForAppend(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  const auto generation = impl_->commitGeneration;
  impl_->committed.wait_for(
      lock, timeout, [&] { return impl_->commitGeneration != generation || impl_->closing; });
}

std::int64_t Outbox::oldestPendingAgeMs() {
  std::int64_t age = 0;
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(
        db, "SELECT MIN(created_ms) FROM outbox WHERE published_ms IS NULL AND failed IS NULL;");
    if (st.step() && !st.columnIsNull(0)) age = epochMs(impl_->clock) - st.columnInt(0);
  });
  return age;
}

std::vector<OutboxRow> Outbox::pending(std::int64_t afterSeq, std::size_t limit) {
  std::vector<OutboxRow> rows;
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(db,
                 "SELECT seq, event_id, topic, msg_key, headers, value, created_ms FROM outbox "
                 "WHERE seq > ? AND published_ms IS NULL AND failed IS NULL ORDER BY seq LIMIT ?;");
    st.bind(1, afterSeq).bind(2, static_cast<std::int64_t>(limit));
    while (st.step()) {
      OutboxRow r;
      store::readColumns(st, 0, r.seq, r.eventId, r.topic, r.key);
      r.headers = decodeHeaders(st.columnText(4));
      store::readColumns(st, 5, r.value, r.createdMs);
      rows.push_back(std::move(r));
    }
  });
  return rows;
}

const Clock& Outbox::clock() const {
  return impl_->clock;
}

store::StateStore& Outbox::store() const {
  return impl_->store;
}

std::size_t Outbox::prunePublished(std::int64_t publishedBeforeMs, std::size_t limit) {
  std::size_t deleted = 0;
  impl_->store.transaction([&](store::Connection& db) {
    // By seq (the primary key): short transactions, so appends are not held up.
    Statement st(db,
                 "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE (published_ms "
                 "IS NOT NULL AND published_ms < ?1) OR (failed IS NOT NULL AND created_ms < ?1) "
                 "ORDER BY seq LIMIT ?2);");
    st.bind(1, publishedBeforeMs).bind(2, static_cast<std::int64_t>(limit));
    deleted = static_cast<std::size_t>(st.run());
  });
  return deleted;
}

void Outbox::markPublished(const std::vector<Delivered>& rows) {
  if (rows.empty()) return;
  std::size_t marked = 0;
  const std::int64_t now = epochMs(impl_->clock);
  impl_->store.transaction([&](store::Connection& db) {
    PublishedMark mark(db, "seq", now);
    Statement offsets(db,
                      "INSERT INTO relay_offsets(topic, part, last_offset) VALUES(?, ?, ?) "
                      "ON CONFLICT(topic, part) DO UPDATE SET last_offset = "
                      "CASE WHEN excluded.last_offset > relay_offsets.last_offset THEN "
                      "excluded.last_offset ELSE relay_offsets.last_offset END;");
    for (const auto& r : rows) {
      marked += mark(r.seq);
      offsets.reset();
      offsets.bind(1, r.topic).bind(2, static_cast<std::int64_t>(r.partition)).bind(3, r.offset);
      offsets.run();
    }
  });
  backlog_ -= std::min(backlog_.load(), marked);
  published_ += marked;
}

void Outbox::markFailed(std::int64_t seq, const std::string& reason) {
  std::size_t marked = 0;
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(db, "UPDATE outbox SET failed = ? WHERE seq = ? AND published_ms IS NULL;");
    st.bind(1, reason).bind(2, seq);
    marked = static_cast<std::size_t>(st.run());
  });
  backlog_ -= std::min(backlog_.load(), marked);
}

std::size_t Outbox::markPublishedByEventId(const std::vector<std::string>& eventIds) {
  std::size_t marked = 0;
  const std::int64_t now = epochMs(impl_->clock);
  impl_->store.transaction([&](store::Connection& db) {
    PublishedMark mark(db, "event_id", now);
    for (const auto& id : eventIds)
      marked += mark(id);
  });
  backlog_ -= std::min(backlog_.load(), marked);
  published_ += marked;
  return marked;
}

std::vector<std::tuple<std::string, std::int32_t, std::int64_t>> Outbox::lastOffsets() {
  std::vector<std::tuple<std::string, std::int32_t, std::int64_t>> out;
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(db, "SELECT topic, part, last_offset FROM relay_offsets;");
    while (st.step()) {
      out.emplace_back(st.columnText(0), static_cast<std::int32_t>(st.columnInt(1)),
                       st.columnInt(2));
    }
  });
  return out;
}

std::vector<std::string> Outbox::pendingTopics() {
  std::vector<std::string> out;
  impl_->store.transaction([&](store::Connection& db) {
    Statement st(
        db, "SELECT DISTINCT topic FROM outbox WHERE published_ms IS NULL AND failed IS NULL;");
    while (st.step())
      out.push_back(st.columnText(0));
  });
  return out;
}

}  // namespace wayhome::bus
