#pragma once

#include <functional>
#include <string>

#include <wayhome/store/state_store.hpp>

namespace wayhome::store {

/// What a database under the StateStore does: open transactions on its connections.
class StateStore::Backend {
 public:
  virtual ~Backend() = default;
  [[nodiscard]] virtual Dialect dialect() const = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
  /// BEGIN ... COMMIT around `work` on one connection; ROLLBACK if it throws.
  virtual void transaction(const std::function<void(Connection&)>& work) = 0;
  /// A consistent copy of the whole database in `file` (SQLite only).
  virtual void backupTo(const std::filesystem::path& file) = 0;
};

std::unique_ptr<StateStore::Backend> openSqlite(const std::filesystem::path& file);
std::unique_ptr<StateStore::Backend> openPostgres(const PostgresOptions& options);

/// `?` and `?N` placeholders as PostgreSQL's `$N`, outside quoted text.
std::string postgresPlaceholders(std::string_view sql);

}  // namespace wayhome::store
