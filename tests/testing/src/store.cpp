#include <wayhome/testing/store.hpp>

namespace wayhome::testing {

std::int64_t queryInt(store::StateStore& state, const std::string& sql) {
  std::int64_t n = -1;
  state.transaction([&](store::Connection& db) {
    store::Statement st(db, sql);
    if (st.step()) n = st.columnInt(0);
  });
  return n;
}

std::string backendName(const ::testing::TestParamInfo<store::Dialect>& info) {
  return info.param == store::Dialect::sqlite ? "SQLite" : "PostgreSQL";
}

void StateBackendTest::SetUp() {
  if (GetParam() == store::Dialect::postgres) {
    const auto db = postgresDatabase();
    postgres_ = store::PostgresOptions{.url = db.url, .passwordFile = db.passwordFile};
  }
}

std::unique_ptr<store::StateStore> StateBackendTest::openStateStore(
    const std::filesystem::path& file) const {
  return postgres_ ? std::make_unique<store::StateStore>(*postgres_)
                   : std::make_unique<store::StateStore>(file);
}

}  // namespace wayhome::testing
