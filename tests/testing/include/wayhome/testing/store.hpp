#pragma once

// State-store helpers for tests that run on both backends (SQLite and PostgreSQL).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

/// The first column of the first row `sql` returns, as an integer; -1 when it returns
/// no row.
[[nodiscard]] std::int64_t queryInt(store::StateStore& state, const std::string& sql);

/// The name a backend parameter gives its test instances: "SQLite" or "PostgreSQL".
[[nodiscard]] std::string backendName(const ::testing::TestParamInfo<store::Dialect>& info);

/// A test run once per state backend (instantiated with both dialects and backendName):
/// for PostgreSQL, SetUp() makes it a database of its own (postgres_); for SQLite the
/// state is a file under dir_.
class StateBackendTest : public ::testing::TestWithParam<store::Dialect> {
 protected:
  void SetUp() override;
  /// A handle on this test's state: the PostgreSQL database, or the SQLite `file`.
  [[nodiscard]] std::unique_ptr<store::StateStore> openStateStore(
      const std::filesystem::path& file) const;

  TempDir dir_;
  std::optional<store::PostgresOptions> postgres_;
};

}  // namespace wayhome::testing
