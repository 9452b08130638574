#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <wayhome/core/ids.hpp>

namespace {

using wayhome::bus::hasDigitRun;
using wayhome::bus::stableHexId;

std::string plainSha256Hex(const std::string& text) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out.substr(0, 32);
}

TEST(Ids, DigitRunsAreFoundAtAnyPosition) {
  EXPECT_TRUE(hasDigitRun("12345678901", 11));
  EXPECT_TRUE(hasDigitRun("ab12345678901cd", 11));
  EXPECT_FALSE(hasDigitRun("1234567890a1", 11));
  EXPECT_FALSE(hasDigitRun("", 11));
}

TEST(Ids, StableIdsAreDeterministicAndNeverHoldAnIdentityNumberShape) {
  int plainWithRun = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string material = "event-" + std::to_string(i);
    const std::string id = stableHexId(material);
    ASSERT_EQ(id.size(), 32u);
    ASSERT_FALSE(hasDigitRun(id, 11)) << material << " -> " << id;
    ASSERT_EQ(id, stableHexId(material));
    if (hasDigitRun(plainSha256Hex(material), 11)) {
      ++plainWithRun;
      EXPECT_NE(id, plainSha256Hex(material));
    } else {
      EXPECT_EQ(id, plainSha256Hex(material)) << "ids without a run keep the plain digest";
    }
  }
  // The re-derivation is exercised: plain digests do have such runs now and then.
  EXPECT_GT(plainWithRun, 0);
  EXPECT_EQ(stableHexId("x", 12).size(), 12u);
}

}  // namespace
