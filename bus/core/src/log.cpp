#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <span>

#include <wayhome/core/log.hpp>
#include <wayhome/core/redact.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::log {
namespace {

std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::atomic<int> gFormat{static_cast<int>(Format::Text)};
std::mutex gSinkMutex;
std::function<void(std::string_view)> gSink;

const char* levelName(Level level) {
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  return text::enumName(level, kNames, "info");
}

std::string nowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void appendTextValue(std::string& line, std::string_view v) {
  if (needsQuotes(v)) {
    schemas::appendJsonString(line, v);
  } else {
    line += v;
  }
}

}  // namespace

void setLevel(Level level) {
  gLevel = static_cast<int>(level);
}
void setFormat(Format format) {
  gFormat = static_cast<int>(format);
}
void setSink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(gSinkMutex);
  gSink = std::move(sink);
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug") {
    out = Level::Debug;
  } else if (text == "info") {
    out = Level::Info;
  } else if (text == "warn") {
    out = Level::Warn;
  } else if (text == "error") {
    out = Level::Error;
  } else {
    return false;
  }
  return true;
}

bool enabled(Level level) {
  return static_cast<int>(level) >= gLevel.load();
}

std::string redact(std::string_view text) {
  return redact::identityNumbers(text);
}

namespace {

void writeLine(Level level, std::string_view component, std::string_view message,
               std::span<const Field> fields) {
  std::string line;
  line.reserve(128);
  if (static_cast<Format>(gFormat.load()) == Format::Json) {
    line += "{\"time\":\"" + nowUtc() + "\",\"level\":\"" + levelName(level) + "\",\"component\":";
    schemas::appendJsonString(line, component);
    line += ",\"msg\":";
    schemas::appendJsonString(line, message);
    for (const auto& f : fields) {
      line += ',';
      schemas::appendJsonString(line, f.key);
      line += ':';
      schemas::appendJsonString(line, f.value);
    }
    line += '}';
  } else {
    line += nowUtc();
    line += " level=";
    line += levelName(level);
    line += " component=";
    appendTextValue(line, component);
    line += " msg=";
    appendTextValue(line, message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      appendTextValue(line, f.value);
    }
  }
  line = redact(line);
  line += '\n';
  std::lock_guard lock(gSinkMutex);
  if (gSink) {
    gSink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) {
  if (enabled(level)) writeLine(level, component, message, {fields.begin(), fields.size()});
}

void write(Level level, std::string_view component, std::string_view message,
           const std::vector<Field>& fields) {
  if (enabled(level)) writeLine(level, component, message, fields);
}

}  // namespace wayhome::log
