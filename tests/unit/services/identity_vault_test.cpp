// The re-identification vault over a real SQLite file: numbers are sealed (not stored
// in clear), open only with their key and in their own row, and go away on erase and
// on the retention run.

#include <gtest/gtest.h>

#include <wayhome/runtime/config.hpp>
#include <wayhome/runtime/identity_vault.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono;

constexpr const char* kKey = "vault-test-key-0123456789abcdef0123456789";

std::vector<std::pair<std::string, std::string>> rows(store::StateStore& state) {
  std::vector<std::pair<std::string, std::string>> out;
  state.transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT person_ref, sealed FROM identity_vault ORDER BY person_ref;");
    while (st.step())
      out.emplace_back(st.columnText(0), st.columnText(1));
  });
  return out;
}

TEST(IdentityVault, SealsOpensErasesAndPrunes) {
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  ManualClock clock(sys_days{year{2027} / 1 / 4});
  IdentityVault vault(kKey, state, clock);
  vault.put(t::kAnna, "15838510075");
  vault.put(t::kBo, "01017012345");
  EXPECT_EQ(vault.get(t::kAnna), "15838510075");
  EXPECT_EQ(vault.get(t::kBo), "01017012345");
  EXPECT_FALSE(vault.get("pr_00000000000000000000000000000000"));
  for (const auto& [person, sealed] : rows(state)) {
    EXPECT_EQ(sealed.find("15838510075"), std::string::npos);
    EXPECT_EQ(sealed.find("3135383338"), std::string::npos);  // nor its hex
    EXPECT_EQ(sealed.size(), 2U * (12 + 11 + 16));            // nonce, number, tag
  }

  // Another key opens nothing; a ciphertext moved to another row does not open.
  IdentityVault other("another-vault-key-0123456789abcdef0123", state, clock);
  EXPECT_FALSE(other.get(t::kAnna));
  const auto all = rows(state);
  state.transaction([&](store::Connection& db) {
    store::Statement st(db, "UPDATE identity_vault SET sealed = ? WHERE person_ref = ?;");
    st.bind(1, all[0].second).bind(2, t::kBo);
    st.run();
  });
  EXPECT_FALSE(vault.get(t::kBo));

  EXPECT_TRUE(vault.erase(t::kAnna));
  EXPECT_FALSE(vault.erase(t::kAnna));
  EXPECT_FALSE(vault.get(t::kAnna));
  vault.put(t::kAnna, "15838510075");  // seen again after the erase: kept again
  EXPECT_EQ(vault.get(t::kAnna), "15838510075");

  // The retention run: Bo was last seen 400 days ago, Anna today.
  clock.advance(hours(24 * 400));
  vault.put(t::kAnna, "15838510075");
  EXPECT_EQ(vault.prune(clock.now() - hours(24 * 30)), 1U);
  EXPECT_TRUE(vault.get(t::kAnna));
  EXPECT_EQ(rows(state).size(), 1U);
}

TEST(IdentityVault, AKeyFileIsCheckedLikeEverySecretFile) {
  t::TempDir dir;
  store::StateStore state(dir / "state.db");
  ManualClock clock(sys_days{year{2027} / 1 / 4});
  t::writeFile(dir / "open.key", std::string(kKey) + "\n");
  std::filesystem::permissions(dir / "open.key", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_THROW((void)IdentityVault::fromKeyFile(dir / "open.key", "vault", state, clock),
               ConfigError);
  t::writeSecretFile(dir / "short.key", "too-short\n");
  EXPECT_THROW((void)IdentityVault::fromKeyFile(dir / "short.key", "vault", state, clock),
               ConfigError);
  t::writeSecretFile(dir / "good.key", std::string(kKey) + "\n");
  auto vault = IdentityVault::fromKeyFile(dir / "good.key", "vault", state, clock);
  vault->put(t::kAnna, "15838510075");
  EXPECT_EQ(vault->get(t::kAnna), "15838510075");
}

}  // namespace
}  // namespace wayhome::services
