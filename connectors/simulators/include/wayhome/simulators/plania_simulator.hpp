#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wayhome/plania/records.hpp>
#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors::plania {

/// Settings of the Plania simulator (see connectors/plania/README.md).
struct SimulatorSettings {
  std::string address = "127.0.0.1";
  int port = 0;  ///< 0: any free port (see PlaniaSimulator::port())
  std::string token = "plania-demo-token";
  /// One simulated day per interval; 0: only step() and POST /admin/step move time.
  std::chrono::milliseconds stepInterval{2000};
  std::uint64_t seed = 1;
  int households = 6;
  int units = 8;
};

/// What the simulator answers instead of the next requests to /api/v1 (tests).
enum class Fault {
  kUnauthorized,  ///< 401 whatever the token
  kHtml,          ///< 200 with an HTML login page
  kGarbage,       ///< 200 application/json that is not JSON
  kWrongShape,    ///< 200 JSON whose `items` is not an array
  kServerError,   ///< 503 with Retry-After: 0
  kSlow,          ///< the right answer, after `delay`
};

/// One request the simulator answered (what the connector asked for, and who): a list
/// ("contracts", with its page) or one record ("customers/CUS-2001", page 0). Served
/// at GET /admin/requests with the wall-clock times as started_ms and finished_ms.
struct SeenRequest {
  std::string collection;    ///< "contracts", or "customers/CUS-2001" for one record
  std::string updatedSince;  ///< as sent, "" if absent
  int page = 0;
  std::string userAgent;        ///< the client's User-Agent, "" if absent
  std::int64_t startedMs = 0;   ///< when its handling began (Unix ms)
  std::int64_t finishedMs = 0;  ///< when its answer was made (Unix ms)
};

/// A Plania installation's REST API (the contract in README.md) over real HTTP, with
/// synthetic citizens whose journeys move on one simulated day per step: applications,
/// approvals, allocations, signings, arrears, renewals, terminations, vacancies and work
/// orders. Deterministic for a seed, so a restarted simulator replays the same history
/// with the same `updated` times. Synthetic identity numbers only (Tenor, month + 80).
class PlaniaSimulator final : public Simulator {
 public:
  explicit PlaniaSimulator(SimulatorSettings settings);
  ~PlaniaSimulator() override;

  /// Errors: throws std::runtime_error when the port cannot be listened on.
  void start(const SimulatorContext& context) override;
  void stop() override;
  /// The connector polls it: up before the service, down after it.
  [[nodiscard]] bool servesTheService() const override { return true; }
  /// The port listened on (after start()).
  [[nodiscard]] std::uint16_t port() const;
  /// "http://127.0.0.1:PORT".
  [[nodiscard]] std::string baseUrl() const;

  /// Moves the journeys on by `days` simulated days.
  void step(int days = 1);
  /// The simulated day (0 at start).
  [[nodiscard]] int day() const;
  /// "YYYY-MM-DD" of a simulated day.
  [[nodiscard]] std::string dateOf(int day) const;

  /// Creates or changes a record: the members of `fieldsJson` (a JSON object) replace
  /// the record's, then `updated` moves to now. Returns the new `updated`.
  /// Errors: throws std::invalid_argument if `fieldsJson` is not a JSON object.
  std::string put(Entity entity, const std::string& id, const std::string& fieldsJson);
  /// Stores `itemJson` exactly as given (any JSON, for broken records), ordered by its
  /// own `updated` if that is valid, else as if updated now. Returns that time.
  std::string putVerbatim(Entity entity, const std::string& id, std::string itemJson);
  /// The record as the API serves it, if it exists.
  [[nodiscard]] std::optional<std::string> get(Entity entity, const std::string& id) const;
  /// The ids of an entity's records.
  [[nodiscard]] std::vector<std::string> ids(Entity entity) const;

  /// Answers the next `count` API requests with `fault`.
  void injectFault(Fault fault, int count,
                   std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  /// The requests answered so far (lists, and single records found or not), oldest
  /// first; at most a bounded number are kept.
  [[nodiscard]] std::vector<SeenRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The JSON Schema (draft-04) of the simulator's settings.
[[nodiscard]] std::string_view simulatorSettingsSchema();
/// Errors: none beyond the schema (checked before).
[[nodiscard]] SimulatorSettings parseSimulatorSettings(std::string_view json);

/// Makes Plania simulators: type "plania".
class PlaniaSimulatorFactory final : public SimulatorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "plania"; }
  [[nodiscard]] std::string_view configSchema() const override { return simulatorSettingsSchema(); }
  std::unique_ptr<Simulator> create(std::string_view settingsJson) const override;
};

}  // namespace wayhome::connectors::plania
