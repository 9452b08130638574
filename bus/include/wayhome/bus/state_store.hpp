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

namespace wayhome::bus {

/// A start-up or storage error of the state store (opening, migrating, SQL).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One step of the state store's schema, applied once, in order.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
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
  /// Opens (creating folders and file as needed), switches to WAL and applies
  /// missing migrations.
  /// Errors: throws StateError naming the file when it cannot be opened or its schema
  /// is newer than this binary knows.
  explicit StateStore(const std::filesystem::path& file);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  /// The migrations this binary knows, oldest first.
  static const std::vector<Migration>& migrations();

  /// The schema version of the open file.
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
  void migrate();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
};

}  // namespace wayhome::bus
