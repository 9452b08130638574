#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>

#include "backend.hpp"

namespace wayhome::store {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StateError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

/// A connection's prepared statements by SQL text. Preparing is a fifth of the router's
/// time in SQLite (issue 17), and every module runs the same few texts over and over: a
/// cursor takes an idle statement of its text and gives it back, reset and unbound,
/// when it goes. Used only under the backend's lock, like the connection itself.
class StatementCache {
 public:
  /// Distinct texts kept; texts past it (SQL built with varying parts) are prepared
  /// and finalized each time as before, so the cache cannot grow without bound.
  static constexpr std::size_t kMaxTexts = 512;
  /// Idle statements kept per text (one per nesting level that runs the text at once).
  static constexpr std::size_t kMaxIdle = 4;

  using Idle = std::vector<sqlite3_stmt*>;

  StatementCache() = default;
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  /// The idle statements of `sql` (to take one from and give it back to later), or
  /// nullptr when the cache is full and `sql` not in it. The pointer stays valid until
  /// clear(): entries are never erased before.
  Idle* slot(std::string_view sql) {
    if (auto it = texts_.find(sql); it != texts_.end()) return &it->second;
    if (texts_.size() >= kMaxTexts) return nullptr;
    return &texts_.emplace(std::string(sql), Idle{}).first->second;
  }

  /// Takes back a statement done with: reset (which ends its read of the database),
  /// bindings cleared, kept for the next cursor of its text, or finalized.
  static void giveBack(Idle* idle, sqlite3_stmt* stmt) {
    if (stmt == nullptr) return;  // SQL of only comments or blanks prepares to nothing
    if (idle == nullptr || idle->size() >= kMaxIdle) {
      sqlite3_finalize(stmt);
      return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    idle->push_back(stmt);
  }

  /// Finalizes every idle statement (before the connection closes).
  void clear() {
    for (auto& [sql, idle] : texts_) {
      for (auto* stmt : idle)
        sqlite3_finalize(stmt);
    }
    texts_.clear();
  }

  [[nodiscard]] std::size_t size() const { return texts_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Idle, Hash, std::equal_to<>> texts_;
};

class SqliteCursor final : public detail::Cursor {
 public:
  SqliteCursor(sqlite3* db, sqlite3_stmt* stmt, StatementCache::Idle* idle)
      : db_(db), stmt_(stmt), idle_(idle) {}
  ~SqliteCursor() override { StatementCache::giveBack(idle_, stmt_); }
  SqliteCursor(const SqliteCursor&) = delete;
  SqliteCursor& operator=(const SqliteCursor&) = delete;

  void bindInt(int index, std::int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bindText(int index, std::string_view value) override {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bindBlob(int index, std::string_view value) override {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bindNull(int index) override { sqlite3_bind_null(stmt_, index); }
  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "SQL step failed");
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  [[nodiscard]] std::int64_t columnInt(int index) const override {
    return sqlite3_column_int64(stmt_, index);
  }
  [[nodiscard]] std::string columnText(int index) const override {
    const auto* p = sqlite3_column_blob(stmt_, index);
    const int n = sqlite3_column_bytes(stmt_, index);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  [[nodiscard]] bool columnIsNull(int index) const override {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  StatementCache::Idle* idle_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override = default;  // the cache finalizes its statements
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::sqlite; }
  [[nodiscard]] std::int64_t changes() const override { return sqlite3_changes64(db_); }
  void exec(std::string_view sql) override {
    char* err = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw StateError("SQL failed (" + text.substr(0, 60) + "): " + msg);
    }
  }
  /// An idle statement of the same text if there is one (the schema may have changed
  /// since: sqlite3_prepare_v2 statements prepare again by themselves), else a new one.
  [[nodiscard]] std::unique_ptr<detail::Cursor> prepare(std::string_view sql) override {
    StatementCache::Idle* idle = cache_.slot(sql);
    if (idle != nullptr && !idle->empty()) {
      sqlite3_stmt* stmt = idle->back();
      idle->pop_back();
      return std::make_unique<SqliteCursor>(db_, stmt, idle);
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(stmt);
      fail(db_, "cannot prepare SQL '" + std::string(sql.substr(0, 60)) + "'");
    }
    return std::make_unique<SqliteCursor>(db_, stmt, idle);
  }

 private:
  sqlite3* db_;
  StatementCache cache_;
};

class SqliteBackend final : public StateStore::Backend {
 public:
  explicit SqliteBackend(const std::filesystem::path& file) : file_(file) {
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) throw StateError("cannot create folder: " + ec.message());
    if (sqlite3_open_v2(file.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StateError("cannot open: " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    conn_ = std::make_unique<SqliteConnection>(db_);
    try {
      conn_->exec("PRAGMA journal_mode=WAL;");
      // FULL: a commit is on disk before we say "accepted", power loss included. The
      // outbox batches many events per commit, so the fsync is shared.
      conn_->exec("PRAGMA synchronous=FULL;");
      // The hot tables (outbox, processed ids) outgrow SQLite's 2 MB default cache
      // quickly; re-reading pages through pread() showed in the router's profile. 16 MB:
      // with the file mapped (below) 64 MB ran the router no faster and filled up under
      // the intake bench, a third of its peak RSS (bench/README.md, issue 17).
      conn_->exec("PRAGMA cache_size=-16384;");
      conn_->exec("PRAGMA mmap_size=268435456;");
      conn_->exec("PRAGMA foreign_keys=ON;");
      startCheckpointer();
    } catch (...) {
      conn_.reset();
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteBackend() override {
    checkpointer_.stop();
    sqlite3_close(checkpointDb_);
    conn_.reset();
    sqlite3_close(db_);  // the last connection: checkpoints what is left
  }
  SqliteBackend(const SqliteBackend&) = delete;
  SqliteBackend& operator=(const SqliteBackend&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::sqlite; }
  [[nodiscard]] std::string describe() const override { return file_.string(); }

  void transaction(const std::function<void(Connection&)>& work) override {
    std::lock_guard lock(mutex_);
    conn_->exec("BEGIN IMMEDIATE;");
    try {
      work(*conn_);
      conn_->exec("COMMIT;");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
      throw;
    }
  }

  /// WAL pages after a commit that make the checkpointer run (SQLite's own default
  /// for its automatic checkpoint).
  static constexpr int kCheckpointPages = 1000;

  // Checkpoints copy the WAL back into the database file. SQLite runs them inside the
  // COMMIT that crosses the threshold, on the writer's thread and under its lock: 9-12 %
  // of the router's thread in the router bench (issue 17). Here the writing connection
  // only wakes a thread that checkpoints on a connection of its own (PASSIVE: it never
  // waits for or blocks the writer). Durability does not change: a commit is durable
  // in the WAL (synchronous=FULL); a checkpoint only moves committed pages.
  void startCheckpointer() {
    if (sqlite3_open_v2(file_.c_str(), &checkpointDb_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      const std::string msg =
          checkpointDb_ != nullptr ? sqlite3_errmsg(checkpointDb_) : "out of memory";
      sqlite3_close(checkpointDb_);
      checkpointDb_ = nullptr;
      throw StateError("cannot open a checkpoint connection: " + msg);
    }
    sqlite3_busy_timeout(checkpointDb_, 5000);
    // A connection learns that the file is in WAL mode when it first reads it; until
    // then a checkpoint on it does nothing.
    if (sqlite3_exec(checkpointDb_, "SELECT COUNT(*) FROM sqlite_master;", nullptr, nullptr,
                     nullptr) != SQLITE_OK) {
      const std::string msg = sqlite3_errmsg(checkpointDb_);
      sqlite3_close(checkpointDb_);
      checkpointDb_ = nullptr;
      throw StateError("cannot read through the checkpoint connection: " + msg);
    }
    // Replaces SQLite's automatic checkpoint on the writing connection.
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
          if (pages >= kCheckpointPages) static_cast<SqliteBackend*>(self)->checkpointer_.wake();
          return SQLITE_OK;
        },
        this);
    checkpointer_.start("state-checkpoint", [this](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        // Woken by a commit past the threshold, else once a second (a no-op when the
        // WAL holds nothing new). SQLITE_BUSY: another process checkpoints; next time.
        if (!checkpointer_.sleepFor(std::chrono::seconds(1))) return;
        const int rc = sqlite3_wal_checkpoint_v2(checkpointDb_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 nullptr, nullptr);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
          log::warn("state", "checkpoint failed", {{"error", sqlite3_errmsg(checkpointDb_)}});
        }
      }
    });
  }

  // One backup step over every page: one read transaction, so one snapshot (in WAL
  // mode other processes go on writing meanwhile). Retries while the file is busy.
  void backupTo(const std::filesystem::path& file) override {
    std::lock_guard lock(mutex_);
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      throw StateError("backup " + file.string() + ": the file exists (not overwritten)");
    }
    const std::filesystem::path partial = file.string() + ".partial";
    std::filesystem::remove(partial, ec);
    sqlite3* dest = nullptr;
    if (sqlite3_open_v2(partial.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      const std::string msg = dest != nullptr ? sqlite3_errmsg(dest) : "out of memory";
      sqlite3_close(dest);
      throw StateError("backup " + partial.string() + ": cannot open: " + msg);
    }
    int rc = SQLITE_OK;
    std::string msg;
    if (sqlite3_backup* b = sqlite3_backup_init(dest, "main", db_, "main")) {
      do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
      sqlite3_backup_finish(b);
    }
    rc = sqlite3_errcode(dest);
    if (rc != SQLITE_OK) msg = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    if (rc != SQLITE_OK) {
      std::filesystem::remove(partial, ec);
      throw StateError("backup " + file.string() + ": " + msg);
    }
    std::filesystem::rename(partial, file, ec);
    if (ec) throw StateError("backup " + file.string() + ": cannot rename: " + ec.message());
  }

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<SqliteConnection> conn_;
  std::mutex mutex_;
  sqlite3* checkpointDb_ = nullptr;  // used by the checkpointer's thread only
  Worker checkpointer_;              // last: stopped before what it uses goes
};

}  // namespace

std::unique_ptr<StateStore::Backend> openSqlite(const std::filesystem::path& file) {
  return std::make_unique<SqliteBackend>(file);
}

}  // namespace wayhome::store
