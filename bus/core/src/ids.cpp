#include <algorithm>
#include <array>

#include <openssl/sha.h>

#include <wayhome/core/ids.hpp>

namespace wayhome::bus {

bool hasDigitRun(std::string_view s, std::size_t length) {
  std::size_t run = 0;
  for (char c : s) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= length) return true;
  }
  return false;
}

namespace {

std::string sha256Hex(std::string_view text, std::size_t chars) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> md{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : md) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  out.resize(std::min(out.size(), chars));
  return out;
}

}  // namespace

std::string stableHexId(std::string_view material, std::size_t hexChars) {
  std::string id = sha256Hex(material, hexChars);
  for (int attempt = 1; hasDigitRun(id, 11); ++attempt) {
    std::string again(material);
    again += '\0';
    again += std::to_string(attempt);
    id = sha256Hex(again, hexChars);
  }
  return id;
}

}  // namespace wayhome::bus
