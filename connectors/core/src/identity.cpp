#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/core/ids.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::connectors {
namespace {

int checkDigit(std::string_view digits, const int* weights, int count) {
  int sum = 0;
  for (int i = 0; i < count; ++i)
    sum += (digits[static_cast<std::size_t>(i)] - '0') * weights[i];
  const int k = 11 - (sum % 11);
  if (k == 11) return 0;
  return k;  // 10 means "no valid check digit"
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysIn(int month, int year) {
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// The century follows from the individual number (digits 7-9) and the two-digit year.
int century(int individual, int yy) {
  if (individual <= 499) return 1900;
  if (individual <= 749 && yy >= 54) return 1800;
  if (yy <= 39) return 2000;
  if (individual >= 900) return 1900;
  return -1;
}

}  // namespace

std::string keyedDigest(std::string_view key, std::string_view data) {
  std::string digest = crypto::toHex(crypto::hmacSha256(key, data)).substr(0, 32);
  for (int attempt = 1; bus::hasDigitRun(digest, 11); ++attempt) {
    std::string material(data);
    material += '\0';
    material += std::to_string(attempt);
    digest = crypto::toHex(crypto::hmacSha256(key, material)).substr(0, 32);
  }
  return digest;
}

Result<Nin> validateNin(std::string_view n) {
  if (n.size() != 11) {
    return Error::permanent("national identity number must have 11 digits, got " +
                            std::to_string(n.size()) + " characters");
  }
  for (char c : n) {
    if (c < '0' || c > '9') return Error::permanent("national identity number must be digits only");
  }
  static constexpr int kW1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
  static constexpr int kW2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  const int k1 = checkDigit(n, kW1, 9);
  if (k1 == 10 || k1 != n[9] - '0') {
    return Error::permanent("national identity number has a wrong first check digit");
  }
  const int k2 = checkDigit(n, kW2, 10);
  if (k2 == 10 || k2 != n[10] - '0') {
    return Error::permanent("national identity number has a wrong second check digit");
  }
  auto two = [&](std::size_t i) { return (n[i] - '0') * 10 + (n[i + 1] - '0'); };
  int day = two(0);
  int month = two(2);
  const int yy = two(4);
  const int individual = (n[6] - '0') * 100 + two(7);

  Nin out{NinKind::kBirthNumber, 0, 0, 0};
  if (day > 40) {
    day -= 40;
    out.kind = NinKind::kDNumber;
  }
  if (month > 80) {
    month -= 80;
    out.kind = NinKind::kSyntheticTenor;
  } else if (month > 65) {
    month -= 65;
    out.kind = NinKind::kSyntheticNhn;
  } else if (month > 40) {
    month -= 40;
    out.kind = NinKind::kHNumber;
  }
  const int c = century(individual, yy);
  if (c < 0)
    return Error::permanent("national identity number has an impossible individual number");
  const int year = c + yy;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) {
    return Error::permanent("national identity number does not hold a valid birth date");
  }
  out.birthYear = year;
  out.birthMonth = month;
  out.birthDay = day;
  return out;
}

PersonRefs::PersonRefs(std::string key) : key_(std::move(key)) {
  if (key_.size() < 32) {
    throw std::invalid_argument("the person_ref key must be at least 32 bytes");
  }
}

Result<std::string> PersonRefs::personRef(std::string_view number) const {
  auto valid = validateNin(number);
  if (!valid) return valid.error();
  return "pr_" + keyedDigest(key_, number);
}

PersonRefs PersonRefs::fromKeyFile(const std::filesystem::path& file, bool createIfMissing) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (!createIfMissing)
      throw std::runtime_error("person_ref key file " + file.string() + ": no such file");
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no randomness for a new key");
    const std::string key =
        crypto::toHex(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    if (file.has_parent_path()) {
      std::filesystem::create_directories(file.parent_path(), ec);
      ::chmod(file.parent_path().c_str(), 0700);  // ours only; not an error if not ours
    }
    // Created new (never through a planted link, never over a file someone else made),
    // owner-only from the first byte, and written whole or not at all.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      const int error = errno;
      struct stat st {};
      // Another process (a second instance starting) made it a moment ago: use that
      // one, read below. A link or anything else is refused.
      const bool made = error == EEXIST && ::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
      if (!made) {
        throw std::runtime_error("person_ref key file " + file.string() +
                                 ": cannot be created: " + std::strerror(error));
      }
    } else {
      const std::string line = key + "\n";
      const bool written =
          ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
          ::fsync(fd) == 0;
      const bool closed = ::close(fd) == 0;
      if (!written || !closed) {
        std::filesystem::remove(file, ec);
        throw std::runtime_error("person_ref key file " + file.string() + ": cannot be written");
      }
      return PersonRefs(key);
    }
  }
  try {
    services::checkSecretFilePermissions(file, "person_ref key file");
  } catch (const services::ConfigError& e) {
    throw std::runtime_error(e.what());
  }
  std::ifstream in(file);
  if (!in) throw std::runtime_error("person_ref key file " + file.string() + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back())))
    key.pop_back();
  try {
    return PersonRefs(key);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("person_ref key file " + file.string() + ": " + e.what());
  }
}

}  // namespace wayhome::connectors
