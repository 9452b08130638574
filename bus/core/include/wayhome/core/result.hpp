#pragma once

#include <string>
#include <utility>
#include <variant>

namespace wayhome {

/// An error on the data path. Data-path code never throws; it returns one of these,
/// and says whether trying again later may succeed (retry) or never will (dead letter).
struct Error {
  enum class Kind { Retryable, Permanent };
  Kind kind = Kind::Permanent;
  std::string message;

  [[nodiscard]] bool retryable() const { return kind == Kind::Retryable; }
  static Error permanent(std::string message) { return {Kind::Permanent, std::move(message)}; }
  static Error retry(std::string message) { return {Kind::Retryable, std::move(message)}; }
};

/// A value or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace wayhome
