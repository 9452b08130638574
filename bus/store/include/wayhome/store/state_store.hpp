#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace wayhome::store {

/// A start-up or storage error of the state store (opening, migrating, SQL).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One step of a module's tables, applied once, in order.
struct Migration {
  int version;  ///< 1, 2, ... within its module
  std::string_view description;
  std::string_view sql;
  /// The store-wide version (PRAGMA user_version, 1-9) under which this very step
  /// was applied before each module numbered its own; 0 for steps added since. A
  /// database from before does not run it again.
  int legacyVersion = 0;
};

/// The tables of one module: its name and its migrations, oldest first. Each module
/// keeps its own beside its code and applies them with StateStore::migrate().
struct ModuleSchema {
  std::string_view module;
  std::vector<Migration> steps;
};

/// A prepared SQLite statement (RAII). Bind 1-based, read columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
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
  /// Errors: throws StateError with SQLite's message.
  bool step();
  /// Steps to completion, for statements without rows.
  void run();
  void reset();

  [[nodiscard]] std::int64_t columnInt(int index) const;
  [[nodiscard]] std::string columnText(int index) const;
  [[nodiscard]] bool columnIsNull(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

/// The embedded state store: one SQLite file in WAL mode, migrated at open.
///
/// Access is serialised: use transaction() for work that must be atomic; the lock
/// is held for the whole transaction.
class StateStore {
 public:
  /// Opens (creating folders and file as needed), switches to WAL and makes the
  /// store's own tables (meta, schema_migrations); modules migrate their own.
  /// Errors: throws StateError naming the file when it cannot be opened or its schema
  /// is newer than this binary knows.
  explicit StateStore(const std::filesystem::path& file);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  /// Applies the migrations of `schema.module` the file does not have yet, each in
  /// its own transaction, and records them (table `schema_migrations`). Cheap when
  /// nothing is missing, so every class that owns a module's tables calls it.
  /// Thread-safe.
  /// Errors: throws StateError when a step fails or the file has a newer version of
  /// the module than this binary knows.
  void migrate(const ModuleSchema& schema);

  /// The version of `module`'s tables in the open file (0: none yet).
  [[nodiscard]] int moduleVersion(std::string_view module);
  /// How many migration steps the open file has, over all modules.
  [[nodiscard]] int schemaVersion();
  /// True if the database answers a trivial query.
  [[nodiscard]] bool healthy();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  /// Runs `work` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it throws.
  /// Errors: rethrows what `work` threw; throws StateError if COMMIT fails.
  void transaction(const std::function<void(sqlite3*)>& work);

  /// Reads or writes a key in the `meta` table (instance facts such as the node id).
  [[nodiscard]] std::optional<std::string> getMeta(std::string_view key);
  void setMeta(std::string_view key, std::string_view value);

  /// Runs SQL without results (under the lock, outside any transaction).
  void exec(std::string_view sql);

 private:
  void migrateStore();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
  /// The user_version of a file from before module migrations (0 for newer files).
  int legacyVersion_ = 0;
};

}  // namespace wayhome::store
