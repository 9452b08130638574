#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <string_view>

#include <wayhome/core/result.hpp>

namespace wayhome::connectors {

/// What kind of number a valid national identity number is.
enum class NinKind {
  kBirthNumber,    ///< fødselsnummer
  kDNumber,        ///< first digit + 4
  kHNumber,        ///< month + 40 (also Dolly's synthetic test persons)
  kSyntheticNhn,   ///< month + 65: Norsk Helsenett's synthetic test persons
  kSyntheticTenor  ///< month + 80: Skatteetaten's Tenor synthetic test persons
};

/// A validated national identity number.
struct Nin {
  NinKind kind;
  int birthYear;
  int birthMonth;
  int birthDay;
};

/// Checks a Norwegian national identity number: 11 digits, a real birth date (after
/// the D-, H- and synthetic-number offsets) and both mod-11 check digits. The one
/// place this rule lives (from 2032 the first check digit may take other remainders).
/// Errors: a permanent Error saying what is wrong, never echoing the number.
[[nodiscard]] Result<Nin> validateNin(std::string_view number);

/// Turns identity numbers into the pseudonymous `person_ref` that travels on the bus:
/// "pr_" + the first 32 hex digits of HMAC-SHA256(key, number). The same key gives
/// the same reference in every connector; without the key it cannot be reversed.
class PersonRefs {
 public:
  /// Errors: throws std::invalid_argument if the key is shorter than 32 bytes.
  explicit PersonRefs(std::string key);

  /// Validates `number` and returns its person_ref.
  /// Errors: as validateNin().
  [[nodiscard]] Result<std::string> personRef(std::string_view number) const;

  /// Reads the key from `file` (trailing whitespace removed), or, if the file does not
  /// exist and `createIfMissing`, writes a new random key there (mode 0600, created
  /// exclusively, never through a symbolic link).
  /// Errors: throws std::runtime_error naming the file, also for a key file that group
  /// or others may read.
  static PersonRefs fromKeyFile(const std::filesystem::path& file, bool createIfMissing);

 private:
  std::string key_;
};

/// The first 32 lower-case hex digits of HMAC-SHA256(key, data), chosen so they hold
/// no run of 11 decimal digits: about one digest in eight does, and such a run looks
/// like an identity number to log redaction and to data-loss scanners. Those are
/// hashed again with a counter appended, so the result stays deterministic and keyed.
[[nodiscard]] std::string keyedDigest(std::string_view key, std::string_view data);
}  // namespace wayhome::connectors
