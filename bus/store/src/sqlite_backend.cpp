#include <chrono>
#include <mutex>
#include <thread>

#include <sqlite3.h>

#include "backend.hpp"

namespace wayhome::store {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StateError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

class SqliteCursor final : public detail::Cursor {
 public:
  SqliteCursor(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      fail(db, "cannot prepare SQL '" + std::string(sql.substr(0, 60)) + "'");
    }
  }
  ~SqliteCursor() override { sqlite3_finalize(stmt_); }
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
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
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
  [[nodiscard]] std::unique_ptr<detail::Cursor> prepare(std::string_view sql) override {
    return std::make_unique<SqliteCursor>(db_, sql);
  }

 private:
  sqlite3* db_;
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
      // quickly; re-reading pages through pread() showed in the router's profile.
      conn_->exec("PRAGMA cache_size=-65536;");
      conn_->exec("PRAGMA mmap_size=268435456;");
      conn_->exec("PRAGMA foreign_keys=ON;");
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteBackend() override {
    conn_.reset();
    sqlite3_close(db_);
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
};

}  // namespace

std::unique_ptr<StateStore::Backend> openSqlite(const std::filesystem::path& file) {
  return std::make_unique<SqliteBackend>(file);
}

}  // namespace wayhome::store
