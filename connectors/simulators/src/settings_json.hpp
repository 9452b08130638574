#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wayhome::connectors {

/// A simulator's settings object, read member by member once its schema passed. A
/// member that is absent (or of another type) leaves the value as it was: the
/// settings struct's defaults stand.
class SettingsJson {
 public:
  /// Errors: throws ConnectorConfigError "simulator <simulator> settings: not a JSON
  /// object" when `json` is not one.
  SettingsJson(std::string_view simulator, std::string_view json);
  ~SettingsJson();
  SettingsJson(const SettingsJson&) = delete;
  SettingsJson& operator=(const SettingsJson&) = delete;

  /// The string member `key`, if there is one.
  [[nodiscard]] std::optional<std::string> text(const char* key) const;

  void read(const char* key, std::string& out) const;
  /// An array of strings (other items are passed over).
  void read(const char* key, std::vector<std::string>& out) const;
  void read(const char* key, int& out) const;
  void read(const char* key, std::optional<std::uint64_t>& out) const;
  void read(const char* key, double& out) const;
  /// A whole number of milliseconds.
  void read(const char* key, std::chrono::milliseconds& out) const;

 private:
  struct Doc;
  std::unique_ptr<Doc> doc_;
};

/// What a simulator that sends to the service (messages, webhooks) is told, besides
/// its own settings.
struct SenderSettings {
  std::string connector;          // the instance it sends to
  std::string url;                // empty: the service's own
  std::vector<std::string> urls;  // several: round-robin, another tried on failure
  int journeys = 20;              // 0: forever
  double ratePerSecond = 5;
  std::optional<std::uint64_t> seed;
  int maxAttempts = 10;
  std::chrono::milliseconds retryInitial{200};
  std::chrono::milliseconds retryMax{30000};

  /// Takes the members `d` has (connector, url, urls, journeys, rate_per_s, seed,
  /// max_attempts, retry_initial_ms).
  void read(const SettingsJson& d);
};

}  // namespace wayhome::connectors
