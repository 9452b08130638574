#include <sys/stat.h>

#include <gtest/gtest.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::connectors {
namespace {

using crypto::constantTimeEquals;
using crypto::hmacSha256;
using crypto::toHex;

// Synthetic test persons only (check digits computed independently of the code).
constexpr const char* kTenor = "15838510075";         // 15.03.1985, month + 80
constexpr const char* kTenorDNumber = "55838510069";  // day + 40 and month + 80
constexpr const char* kNhn = "15708510057";           // month + 65
constexpr const char* kDolly = "15458510072";         // month + 40 (H-number shape)
constexpr const char* kLeapDay = "29828410081";       // 29.02.1984
constexpr const char* kNoLeapDay = "29828310060";     // 29.02.1983 does not exist

TEST(ValidateNin, AcceptsEveryKindWithItsBirthDate) {
  auto r = validateNin(kTenor);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().kind, NinKind::kSyntheticTenor);
  EXPECT_EQ(r.value().birthYear, 1985);
  EXPECT_EQ(r.value().birthMonth, 3);
  EXPECT_EQ(r.value().birthDay, 15);

  r = validateNin(kTenorDNumber);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().birthDay, 15);
  EXPECT_EQ(validateNin(kNhn).value().kind, NinKind::kSyntheticNhn);
  EXPECT_EQ(validateNin(kNhn).value().birthMonth, 5);
  EXPECT_EQ(validateNin(kDolly).value().kind, NinKind::kHNumber);
  EXPECT_TRUE(validateNin(kLeapDay).ok());
}

TEST(ValidateNin, RefusesWrongChecksDatesAndShapes) {
  EXPECT_FALSE(validateNin(kNoLeapDay).ok());
  std::string wrong = kTenor;
  wrong[10] = wrong[10] == '9' ? '0' : static_cast<char>(wrong[10] + 1);
  auto r = validateNin(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("second check digit"), std::string::npos);
  wrong = kTenor;
  wrong[9] = wrong[9] == '9' ? '0' : static_cast<char>(wrong[9] + 1);
  EXPECT_FALSE(validateNin(wrong).ok());
  EXPECT_FALSE(validateNin("1583851007").ok());
  EXPECT_FALSE(validateNin("158385100750").ok());
  EXPECT_FALSE(validateNin("1583851007a").ok());
  EXPECT_FALSE(validateNin("").ok());
  EXPECT_FALSE(validateNin("00000000000").ok());
}

TEST(ValidateNin, ErrorsNeverEchoTheNumber) {
  std::string wrong = kTenor;
  wrong[10] = '0' + ((wrong[10] - '0' + 1) % 10);
  const auto r = validateNin(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(wrong), std::string::npos);
}

TEST(PersonRefs, AreStableKeyedAndShaped) {
  const PersonRefs a(std::string(32, 'k'));
  const PersonRefs b(std::string(32, 'j'));
  const auto ref = a.personRef(kTenor);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref.value().size(), 35u);
  EXPECT_EQ(ref.value().rfind("pr_", 0), 0u);
  EXPECT_EQ(ref.value(), a.personRef(kTenor).value());
  EXPECT_NE(ref.value(), b.personRef(kTenor).value());
  EXPECT_NE(ref.value(), a.personRef(kNhn).value());
  EXPECT_FALSE(a.personRef("12345678901").ok());
  EXPECT_THROW(PersonRefs("short"), std::invalid_argument);
}

TEST(PersonRefs, KeyFileIsCreatedOncePrivatelyAndReused) {
  testing::TempDir dir;
  const auto file = dir / "keys" / "person_ref.key";
  EXPECT_THROW((void)PersonRefs::fromKeyFile(file, false), std::runtime_error);
  const auto first = PersonRefs::fromKeyFile(file, true).personRef(kTenor).value();
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(PersonRefs::fromKeyFile(file, false).personRef(kTenor).value(), first);
  testing::writeSecretFile(dir / "weak.key", "tooshort\n");
  EXPECT_THROW((void)PersonRefs::fromKeyFile(dir / "weak.key", false), std::runtime_error);
}

// Issue 12, item 8: the key is never made through a planted link or over a file
// someone else made, and a key that group or others may read is refused.
TEST(PersonRefs, KeyFileIsNeverMadeThroughALinkAndAnOpenOneIsRefused) {
  testing::TempDir dir;
  const auto target = dir / "elsewhere";
  std::filesystem::create_symlink(target, dir / "person_ref.key");  // dangling link
  EXPECT_THROW((void)PersonRefs::fromKeyFile(dir / "person_ref.key", true), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(target)) << "the key was written through the link";

  const auto key = dir / "open.key";
  testing::writeFile(key, std::string(64, 'a') + "\n");
  std::filesystem::permissions(key, std::filesystem::perms(0644));
  try {
    (void)PersonRefs::fromKeyFile(key, false);
    ADD_FAILURE() << "a world-readable key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("group or others"), std::string::npos) << e.what();
  }
  std::filesystem::permissions(key, std::filesystem::perms(0600));
  EXPECT_NO_THROW((void)PersonRefs::fromKeyFile(key, false));
}

TEST(Crypto, HmacMatchesRfc4231AndComparesInConstantTime) {
  // RFC 4231 test case 2.
  EXPECT_EQ(toHex(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace wayhome::connectors
