#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wayhome::store {

/// A start-up or storage error of the state store (opening, migrating, SQL).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The SQL dialect of a backend. Modules write one SQL text where the dialects agree
/// (`?` placeholders, `ON CONFLICT`, BIGINT/TEXT) and branch on this where they do not.
enum class Dialect { sqlite, postgres };

/// One step of a module's tables, applied once, in order.
struct Migration {
  int version;  ///< 1, 2, ... within its module
  std::string description;
  /// The step's SQL on both backends, unless `postgres` is set.
  std::string sql;
  /// The store-wide version (PRAGMA user_version, 1-9) under which this very step
  /// was applied before each module numbered its own; 0 for steps added since. A
  /// SQLite database from before does not run it again.
  int legacyVersion = 0;
  /// PostgreSQL's text of the step where postgresDdl(sql) is not it (empty: that).
  std::string postgres = {};
};

/// Rows of a module's table that may go once they are older than the retention
/// (state.retention_days): StateStore::prune() deletes them in short batches.
struct Retention {
  std::string table;
  /// The primary key's column(s), e.g. "event_id" or "instance, message_key".
  std::string key;
  /// A column of milliseconds since the epoch; rows with it below the cutoff go.
  std::string timeColumn;
  /// A further SQL condition rows must meet to go ("state <> 'pending'"), or empty.
  std::string condition = {};
};

/// The tables of one module: its name and its migrations, oldest first, and what of
/// them grows and may be pruned. Each module keeps its own in `sql/<module>.sql` beside
/// its code (compiled in with wayhome_embed(), read with parseModuleSchema()) and
/// applies them with StateStore::migrate().
struct ModuleSchema {
  std::string module;
  std::vector<Migration> steps;
  std::vector<Retention> retention = {};
};

/// Reads a module's tables from the text of its `.sql` file. The text is SQL with
/// directives in comment lines of their own:
///
///     -- @retain <table> | <key column(s)> | <time column> [| <condition>]
///     -- @step <version> [(legacy <store-wide version>)]: <description>
///     <the step's SQL, on both backends>
///     -- @postgres
///     <the step's SQL on PostgreSQL, where postgresDdl() of the above is not it>
///
/// Steps are numbered 1, 2, ... in order; every other line starting with `--` is a
/// comment and is left out of the SQL (comments inside a statement line are not).
/// Errors: throws StateError naming the module, the line and the problem (SQL before
/// the first step, a step out of order or without SQL, an unknown directive).
[[nodiscard]] ModuleSchema parseModuleSchema(std::string_view module, std::string_view text);

namespace detail {
/// One statement of a backend; Statement is its face.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void bindInt(int index, std::int64_t value) = 0;
  virtual void bindText(int index, std::string_view value) = 0;
  virtual void bindBlob(int index, std::string_view value) = 0;
  virtual void bindNull(int index) = 0;
  virtual bool step() = 0;
  virtual void reset() = 0;
  [[nodiscard]] virtual std::int64_t columnInt(int index) const = 0;
  [[nodiscard]] virtual std::string columnText(int index) const = 0;
  [[nodiscard]] virtual bool columnIsNull(int index) const = 0;
};
}  // namespace detail

/// The connection a transaction runs on (StateStore::transaction hands it to the work).
class Connection {
 public:
  virtual ~Connection() = default;
  [[nodiscard]] virtual Dialect dialect() const = 0;
  /// Rows inserted, updated or deleted by the last statement run on this connection.
  [[nodiscard]] virtual std::int64_t changes() const = 0;
  /// Runs SQL without parameters or results (one or more statements).
  /// Errors: throws StateError with the database's message.
  virtual void exec(std::string_view sql) = 0;
  /// Errors: throws StateError when the SQL does not prepare.
  [[nodiscard]] virtual std::unique_ptr<detail::Cursor> prepare(std::string_view sql) = 0;
};

/// A prepared statement (RAII) on a Connection. Placeholders are `?` (or `?N`); bind
/// 1-based, read columns 0-based. Text columns come back as they were stored; BLOB
/// (SQLite) and BYTEA (PostgreSQL) columns come back as their bytes.
class Statement {
 public:
  Statement(Connection& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bindBlob(int index, std::string_view value);
  Statement& bindNull(int index);
  /// Steps once: true while a row is available.
  /// Errors: throws StateError with the database's message.
  bool step();
  /// Steps to completion, for statements without rows. Returns the rows changed.
  std::int64_t run();
  void reset();

  [[nodiscard]] std::int64_t columnInt(int index) const;
  [[nodiscard]] std::string columnText(int index) const;
  [[nodiscard]] bool columnIsNull(int index) const;

 private:
  Connection* db_;
  std::unique_ptr<detail::Cursor> cursor_;
};

/// Where production state lives: a PostgreSQL database shared by every instance.
struct PostgresOptions {
  /// A libpq connection URI, e.g. postgresql://wayhome@db.example:5432/wayhome?sslmode=verify-full
  /// (no password in it: that comes from `passwordFile`).
  std::string url;
  /// A file holding the password (first line), or empty (peer, certificate or .pgpass).
  std::filesystem::path passwordFile;
  /// Connections kept open, at most.
  int pool = 8;
};

/// SQLite DDL as PostgreSQL's: INTEGER becomes BIGINT (SQLite's are 64-bit), BLOB
/// BYTEA, `INTEGER PRIMARY KEY AUTOINCREMENT` an identity column; WITHOUT ROWID goes.
/// Only type words outside quotes change, so one text serves where the dialects agree.
std::string postgresDdl(std::string_view sqliteDdl);

/// The URL with user, host, port and database only (for logs and errors).
/// Errors: throws StateError when libpq cannot parse it or it carries a password.
std::string describePostgresUrl(const std::string& url);

/// The state store: an embedded SQLite file in WAL mode, or a PostgreSQL database that
/// several instances share. Modules migrate their own tables (migrate()) and do their
/// work in transaction(). Transactions on one thread nest: an inner transaction() joins
/// the outer one.
class StateStore {
 public:
  /// SQLite: opens (creating folders and file as needed), switches to WAL and makes
  /// the store's own tables (meta, schema_migrations, leases).
  /// Errors: throws StateError naming the file when it cannot be opened.
  explicit StateStore(const std::filesystem::path& file);
  /// PostgreSQL: connects (one connection at first, up to `pool`) and makes the
  /// store's own tables.
  /// Errors: throws StateError naming the server when it cannot connect or migrate.
  explicit StateStore(const PostgresOptions& options);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  [[nodiscard]] Dialect dialect() const;
  /// The file, or the URL without secrets: for logs.
  [[nodiscard]] std::string describe() const;
  /// The SQLite file (empty for PostgreSQL).
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  /// Applies the migrations of `schema.module` the database does not have yet, each in
  /// its own transaction, and records them (table `schema_migrations`). Several
  /// instances starting at once migrate once (PostgreSQL: an advisory lock; SQLite:
  /// BEGIN IMMEDIATE). Cheap when nothing is missing. Thread-safe.
  /// Errors: throws StateError when a step fails or the database has a newer version
  /// of the module than this binary knows.
  /// Also registers the schema's retention entries for prune().
  void migrate(const ModuleSchema& schema);

  /// Deletes the rows of every registered Retention whose time is below `beforeMs`,
  /// `batch` rows per transaction (so writers wait little), until none is left.
  /// Returns the rows deleted. Several instances may prune at once.
  /// Errors: throws StateError.
  std::size_t prune(std::int64_t beforeMs, std::size_t batch = 500);

  /// The version of `module`'s tables (0: none yet).
  [[nodiscard]] int moduleVersion(std::string_view module);
  /// How many migration steps the database has, over all modules.
  [[nodiscard]] int schemaVersion();
  /// True if the database answers a trivial query.
  [[nodiscard]] bool healthy();

  /// Runs `work` in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ
  /// COMMITTED on a pooled connection); rolls back if it throws. Inside another
  /// transaction of this store on the same thread, joins it.
  /// Errors: rethrows what `work` threw; throws StateError if COMMIT fails.
  void transaction(const std::function<void(Connection&)>& work);

  /// Reads or writes a key in the `meta` table (facts of the whole deployment).
  [[nodiscard]] std::optional<std::string> getMeta(std::string_view key);
  void setMeta(std::string_view key, std::string_view value);

  /// Runs SQL without results, in a transaction of its own.
  void exec(std::string_view sql);

  /// Takes or renews the lease `name` for `holder` until now + `ttl`: true if
  /// `holder` holds it now (it was free, expired, or already its own). Leases make one
  /// instance at a time do a job (the Plania poller, a drop folder, the outbox relay).
  [[nodiscard]] bool acquireLease(std::string_view name, std::string_view holder,
                                  std::chrono::milliseconds ttl, std::int64_t nowMs);
  /// Gives the lease up if `holder` has it.
  void releaseLease(std::string_view name, std::string_view holder);
  /// Who holds `name` at `nowMs`, if anyone.
  [[nodiscard]] std::optional<std::string> leaseHolder(std::string_view name, std::int64_t nowMs);

  /// SQLite: copies the database into a new file `file` with SQLite's online backup
  /// API, one read transaction long, so the copy is consistent while other processes
  /// (a running service) keep writing. Writes `file`.partial first and renames it.
  /// Errors: throws StateError when `file` exists or cannot be written, or on
  /// PostgreSQL (back that up with pg_dump or a base backup).
  void backupTo(const std::filesystem::path& file);
  /// What the database's own check found wrong (SQLite: PRAGMA integrity_check;
  /// PostgreSQL: nothing once it answers). Empty when all is well.
  /// Errors: throws StateError when the database cannot be read.
  [[nodiscard]] std::vector<std::string> integrityProblems();
  /// Every module's version in schema_migrations, by module name.
  [[nodiscard]] std::vector<std::pair<std::string, int>> moduleVersions();
  /// Copies every row of every table of this store but the store's bookkeeping
  /// (schema_migrations, leases) into `target`, columns by name (BLOB becomes BYTEA), in
  /// one transaction, and moves `target`'s identity sequences past the copied values.
  /// `target` must already have every table (migrated by the same binary) and no rows.
  /// Returns the rows copied per table.
  /// Errors: throws StateError (and copies nothing) when a target table has rows or
  /// lacks a table or column of this store.
  std::vector<std::pair<std::string, std::int64_t>> copyTo(StateStore& target);

  class Backend;

 private:
  void migrateStore();

  std::filesystem::path path_;
  std::unique_ptr<Backend> backend_;
  std::mutex retentionMutex_;
  std::vector<Retention> retention_;
  /// The user_version of a SQLite file from before module migrations (0 otherwise).
  int legacyVersion_ = 0;
};

}  // namespace wayhome::store
