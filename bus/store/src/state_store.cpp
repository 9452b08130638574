#include <sqlite3.h>

#include <wayhome/core/log.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::store {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StateError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), stmt_(nullptr) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK) {
    fail(db, "cannot prepare SQL '" + std::string(sql.substr(0, 60)) + "'");
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bindBlob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "SQL step failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::columnInt(int index) const {
  return sqlite3_column_int64(stmt_, index);
}
std::string Statement::columnText(int index) const {
  const auto* p = sqlite3_column_blob(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}
bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

StateStore::StateStore(const std::filesystem::path& file) : path_(file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    throw StateError("state store " + file.string() + ": cannot create folder: " + ec.message());
  }
  if (sqlite3_open_v2(file.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StateError("state store " + file.string() + ": cannot open: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL;");
    // FULL: a commit is on disk before we say "accepted", power loss included. The
    // outbox batches many events per commit, so the fsync is shared.
    exec("PRAGMA synchronous=FULL;");
    // The hot tables (outbox, processed ids) outgrow SQLite's 2 MB default cache
    // quickly; re-reading pages through pread() showed in the router's profile.
    exec("PRAGMA cache_size=-65536;");
    exec("PRAGMA mmap_size=268435456;");
    exec("PRAGMA foreign_keys=ON;");
    migrateStore();
  } catch (const StateError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw StateError("state store " + file.string() + ": " + e.what());
  }
}

StateStore::~StateStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

void StateStore::exec(std::string_view sql) {
  std::lock_guard lock(mutex_);
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw StateError("SQL failed (" + text.substr(0, 60) + "): " + msg);
  }
}

int StateStore::schemaVersion() {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT COUNT(*) FROM schema_migrations;");
  return st.step() ? static_cast<int>(st.columnInt(0)) : 0;
}

int StateStore::moduleVersion(std::string_view module) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = ?;");
  st.bind(1, module);
  return st.step() ? static_cast<int>(st.columnInt(0)) : 0;
}

bool StateStore::healthy() {
  std::lock_guard lock(mutex_);
  try {
    Statement st(db_, "SELECT 1;");
    return st.step() && st.columnInt(0) == 1;
  } catch (const StateError&) {
    return false;
  }
}

// Files from before module migrations carry one store-wide number in user_version
// (1-9). It is read once, kept in meta, and set to 0, so that every module's steps up
// to that number count as applied and newer steps run.
void StateStore::migrateStore() {
  Statement version(db_, "PRAGMA user_version;");
  const int userVersion = version.step() ? static_cast<int>(version.columnInt(0)) : 0;
  transaction([&](sqlite3*) {
    exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) "
        "WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, "
        "version INTEGER NOT NULL, description TEXT NOT NULL, applied_ms INTEGER NOT NULL, "
        "PRIMARY KEY (module, version)) WITHOUT ROWID;");
    if (userVersion > 0) {
      setMeta("legacy_schema_version", std::to_string(userVersion));
      exec("PRAGMA user_version=0;");
    }
  });
  if (auto legacy = getMeta("legacy_schema_version")) legacyVersion_ = std::stoi(*legacy);
}

void StateStore::migrate(const ModuleSchema& schema) {
  std::lock_guard lock(mutex_);
  const int current = moduleVersion(schema.module);
  const int latest = schema.steps.empty() ? 0 : schema.steps.back().version;
  if (current == latest) return;
  const std::string module(schema.module);
  if (current > latest) {
    throw StateError("tables of " + module + " are at version " + std::to_string(current) +
                     ", newer than this binary supports (" + std::to_string(latest) + ")");
  }
  for (const auto& m : schema.steps) {
    if (m.version <= current) continue;
    const bool hadIt = m.legacyVersion > 0 && m.legacyVersion <= legacyVersion_;
    transaction([&](sqlite3*) {
      if (!hadIt) exec(m.sql);
      Statement st(db_,
                   "INSERT INTO schema_migrations(module, version, description, applied_ms) "
                   "VALUES(?, ?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));");
      st.bind(1, schema.module).bind(2, std::int64_t{m.version}).bind(3, m.description);
      st.run();
    });
    log::info(
        "state",
        hadIt ? "migration recorded (applied before modules had their own)" : "migration applied",
        {{"module", module},
         {"version", std::to_string(m.version)},
         {"what", std::string(m.description)}});
  }
}

void StateStore::transaction(const std::function<void(sqlite3*)>& work) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE;");
  try {
    work(db_);
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    throw;
  }
  try {
    exec("COMMIT;");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<std::string> StateStore::getMeta(std::string_view key) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT value FROM meta WHERE key = ?;");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.columnText(0);
}

void StateStore::setMeta(std::string_view key, std::string_view value) {
  std::lock_guard lock(mutex_);
  Statement st(db_,
               "INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value;");
  st.bind(1, key).bind(2, value);
  st.run();
}

}  // namespace wayhome::store
