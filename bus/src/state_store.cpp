#include <sqlite3.h>

#include <wayhome/bus/log.hpp>
#include <wayhome/bus/state_store.hpp>

namespace wayhome::bus {
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

const std::vector<Migration>& StateStore::migrations() {
  static const std::vector<Migration> kMigrations{
      {1, "instance facts",
       "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"},
      {2, "outbox of events accepted for the bus",
       "CREATE TABLE outbox ("
       "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  event_id TEXT NOT NULL UNIQUE,"
       "  topic TEXT NOT NULL,"
       "  msg_key TEXT NOT NULL,"
       "  headers BLOB NOT NULL,"
       "  value BLOB NOT NULL,"
       "  created_ms INTEGER NOT NULL,"
       "  published_ms INTEGER,"
       "  failed TEXT);"
       "CREATE INDEX outbox_pending ON outbox(seq) WHERE published_ms IS NULL AND failed IS NULL;"
       "CREATE TABLE relay_offsets ("
       "  topic TEXT NOT NULL, part INTEGER NOT NULL, last_offset INTEGER NOT NULL,"
       "  PRIMARY KEY (topic, part)) WITHOUT ROWID;"},
      // Plania answers with current state, not events: what was last seen per record
      // is what a change is measured against, and the watermark is where the next
      // poll starts. Both must survive restarts, or every restart re-derives history.
      {3, "plania: last seen state per record and poll watermark per entity",
       "CREATE TABLE plania_seen ("
       "  instance TEXT NOT NULL, entity TEXT NOT NULL, record_id TEXT NOT NULL,"
       "  state_json TEXT NOT NULL, updated TEXT NOT NULL,"
       "  PRIMARY KEY (instance, entity, record_id)) WITHOUT ROWID;"
       "CREATE INDEX plania_seen_area ON plania_seen("
       "  instance, entity, json_extract(state_json, '$.areaId'));"
       "CREATE TABLE plania_watermark ("
       "  instance TEXT NOT NULL, entity TEXT NOT NULL, updated TEXT NOT NULL,"
       "  PRIMARY KEY (instance, entity)) WITHOUT ROWID;"},
      {4, "router: processed events, consent register, referrals waiting for consent",
       "CREATE TABLE router_processed ("
       "  event_id TEXT PRIMARY KEY, processed_ms INTEGER NOT NULL) WITHOUT ROWID;"
       "CREATE TABLE router_consents ("
       "  consent_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,"
       "  to_sectors TEXT NOT NULL, purpose TEXT NOT NULL, valid_until TEXT NOT NULL,"
       "  withdrawn INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
       "CREATE INDEX router_consents_person ON router_consents(person_ref, from_sector, purpose);"
       "CREATE TABLE router_pending ("
       "  referral_id TEXT PRIMARY KEY, person_ref TEXT NOT NULL, from_sector TEXT NOT NULL,"
       "  to_sector TEXT NOT NULL, purpose TEXT NOT NULL, rule_id TEXT NOT NULL,"
       "  source_event_id TEXT NOT NULL, topic TEXT NOT NULL, msg_key TEXT NOT NULL,"
       "  due TEXT NOT NULL, data TEXT NOT NULL, fields TEXT NOT NULL,"
       "  status TEXT NOT NULL, consent_id TEXT);"
       "CREATE INDEX router_pending_person ON router_pending(person_ref, status);"},
      {5, "scheduler: meetings with their notice timers, requests seen, notices sent",
       "CREATE TABLE scheduler_meetings ("
       "  meeting_id TEXT PRIMARY KEY,"
       "  series_id TEXT NOT NULL UNIQUE,"
       "  kind TEXT NOT NULL,"
       "  case_id TEXT NOT NULL,"
       "  person_ref TEXT,"
       "  participants TEXT NOT NULL,"
       "  title TEXT NOT NULL,"
       "  place TEXT NOT NULL,"
       "  rule_id TEXT NOT NULL,"
       "  source_event_id TEXT NOT NULL,"
       "  start_s INTEGER NOT NULL,"
       "  end_s INTEGER NOT NULL,"
       "  sequence INTEGER NOT NULL,"
       "  status TEXT NOT NULL,"
       "  notify_at_s INTEGER,"
       "  remind_at_s INTEGER,"
       "  notified_sequence INTEGER NOT NULL DEFAULT -1,"
       "  agenda TEXT,"
       "  stamp_s INTEGER NOT NULL);"
       "CREATE INDEX scheduler_meetings_case ON scheduler_meetings(case_id);"
       "CREATE INDEX scheduler_meetings_person ON scheduler_meetings(person_ref);"
       "CREATE INDEX scheduler_meetings_start ON scheduler_meetings(start_s);"
       "CREATE INDEX scheduler_meetings_notify ON scheduler_meetings(notify_at_s)"
       "  WHERE notify_at_s IS NOT NULL;"
       "CREATE INDEX scheduler_meetings_remind ON scheduler_meetings(remind_at_s)"
       "  WHERE remind_at_s IS NOT NULL;"
       "CREATE TABLE scheduler_requests ("
       "  request_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at_ms INTEGER NOT NULL"
       ") WITHOUT ROWID;"
       "CREATE TABLE scheduler_notices ("
       "  event_id TEXT PRIMARY KEY,"
       "  meeting_id TEXT NOT NULL,"
       "  sequence INTEGER NOT NULL,"
       "  notice TEXT NOT NULL,"
       "  sent_ms INTEGER NOT NULL,"
       "  UNIQUE (meeting_id, sequence, notice)) WITHOUT ROWID;"
       "CREATE TABLE scheduler_referrals ("
       "  referral_id TEXT PRIMARY KEY,"
       "  sector TEXT NOT NULL,"
       "  due_by_s INTEGER,"
       "  state TEXT NOT NULL,"
       "  updated_ms INTEGER NOT NULL) WITHOUT ROWID;"},
      {6, "what operators did with dead letters",
       "CREATE TABLE dlq_actions ("
       "  dlq_id TEXT PRIMARY KEY,"
       "  action TEXT NOT NULL,"
       "  actor TEXT NOT NULL,"
       "  at_ms INTEGER NOT NULL) WITHOUT ROWID;"},
      {7, "gerica: the receipt (AppRec) of every message answered, for re-sent messages",
       "CREATE TABLE gerica_receipts ("
       "  instance TEXT NOT NULL,"
       "  message_key TEXT NOT NULL,"
       "  http_status INTEGER NOT NULL,"
       "  receipt TEXT NOT NULL,"
       "  at_ms INTEGER NOT NULL,"
       "  PRIMARY KEY (instance, message_key)) WITHOUT ROWID;"
       "CREATE INDEX gerica_receipts_at ON gerica_receipts(at_ms);"},
      {8, "delivery: webhook deliveries, from intake to delivered or dead",
       "CREATE TABLE delivery_queue ("
       "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  subscription TEXT NOT NULL,"
       "  event_id TEXT NOT NULL,"
       "  topic TEXT NOT NULL,"
       "  partition INTEGER NOT NULL,"
       "  offset INTEGER NOT NULL,"
       "  record_key BLOB NOT NULL,"
       "  headers BLOB NOT NULL,"
       "  payload BLOB NOT NULL,"
       "  attempts INTEGER NOT NULL DEFAULT 0,"
       "  next_attempt_ms INTEGER NOT NULL,"
       "  last_error TEXT,"
       "  state TEXT NOT NULL,"
       "  created_ms INTEGER NOT NULL,"
       "  updated_ms INTEGER NOT NULL,"
       "  UNIQUE (subscription, event_id));"
       "CREATE INDEX delivery_queue_due ON delivery_queue(subscription, next_attempt_ms)"
       "  WHERE state = 'pending';"
       "CREATE INDEX delivery_queue_done ON delivery_queue(updated_ms) WHERE state <> 'pending';"},
      {9, "router: each referral's lifecycle (acknowledged, closed, escalated)",
       "CREATE TABLE router_referrals ("
       "  referral_id TEXT PRIMARY KEY, sector TEXT NOT NULL, person_ref TEXT,"
       "  rule_id TEXT NOT NULL, due_by_ms INTEGER, state TEXT NOT NULL,"
       "  created_ms INTEGER NOT NULL, acknowledged_ms INTEGER, closed_ms INTEGER,"
       "  escalated_ms INTEGER) WITHOUT ROWID;"
       "CREATE INDEX router_referrals_due ON router_referrals(due_by_ms)"
       "  WHERE state = 'open' AND escalated_ms IS NULL;"},
  };
  return kMigrations;
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
    migrate();
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
  Statement st(db_, "PRAGMA user_version;");
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

void StateStore::migrate() {
  const int current = schemaVersion();
  const int latest = migrations().back().version;
  if (current > latest) {
    throw StateError("schema version " + std::to_string(current) +
                     " is newer than this binary supports (" + std::to_string(latest) + ")");
  }
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    transaction([&](sqlite3*) {
      exec(m.sql);
      exec("PRAGMA user_version=" + std::to_string(m.version) + ";");
    });
    log::info("state", "migration applied",
              {{"version", std::to_string(m.version)}, {"what", std::string(m.description)}});
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

}  // namespace wayhome::bus
