#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

/// Structured logging: one line per event with time, level, component, message and
/// key=value fields. Every line passes through redact() so that a national identity
/// number that slipped into a message never reaches the log.
namespace wayhome::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Text, Json };

/// One key=value pair of a log line.
struct Field {
  std::string_view key;
  std::string value;
};

/// Global settings, set once at start-up (thread-safe).
void setLevel(Level level);
void setFormat(Format format);
/// Replaces the output (stderr by default); tests capture lines with it. Pass an empty
/// function to restore stderr.
void setSink(std::function<void(std::string_view line)> sink);

/// Parses "debug" / "info" / "warn" / "error".
/// Errors: returns false for anything else.
bool parseLevel(std::string_view text, Level& out);

[[nodiscard]] bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {});
/// The same with fields put together at run time.
void write(Level level, std::string_view component, std::string_view message,
           const std::vector<Field>& fields);

inline void debug(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Debug)) write(Level::Debug, c, m, f);
}
inline void info(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Info, c, m, f);
}
inline void warn(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Warn, c, m, f);
}
inline void error(std::string_view c, std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::Error, c, m, f);
}

/// redact::identityNumbers(): every run of exactly 11 digits, and every valid identity
/// number written with separators ("010190-12345"), becomes "[redacted]".
[[nodiscard]] std::string redact(std::string_view text);

}  // namespace wayhome::log
