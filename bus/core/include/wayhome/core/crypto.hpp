#pragma once

// The one home of the small cryptographic helpers: keyed digests, webhook signatures
// and comparisons that do not leak where (or whether by length) two secrets differ.

#include <string>
#include <string_view>

namespace wayhome::crypto {

/// HMAC-SHA256 of `data` under `key`, as raw bytes.
[[nodiscard]] std::string hmacSha256(std::string_view key, std::string_view data);

/// SHA-256 of `data`, as raw bytes.
[[nodiscard]] std::string sha256(std::string_view data);

/// Lower-case hex of bytes.
[[nodiscard]] std::string toHex(std::string_view bytes);

/// Compares two secrets in constant time. Both sides are hashed first, so neither the
/// position of the first difference nor the length of the expected value leaks.
[[nodiscard]] bool constantTimeEquals(std::string_view a, std::string_view b);

/// The signature of a webhook: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." +
/// body). Used by the loan intake (to verify) and by delivery (to sign).
[[nodiscard]] std::string webhookSignature(std::string_view secret, std::string_view timestamp,
                                           std::string_view body);

}  // namespace wayhome::crypto
