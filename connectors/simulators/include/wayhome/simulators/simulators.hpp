#pragma once

// The simulators of the source systems, one factory each (the Plania one, with its
// test hooks, in plania_simulator.hpp).

#include <memory>
#include <string_view>

#include <wayhome/simulators/simulator.hpp>

namespace wayhome::connectors::gerica {

/// The `gerica` simulator: synthetic citizens' care journeys as MsgHead messages,
/// posted over HTTP or written to a drop folder, re-sent when no receipt comes.
class GericaSimulatorFactory final : public SimulatorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "gerica"; }
  [[nodiscard]] std::string_view configSchema() const override;
  std::unique_ptr<Simulator> create(std::string_view settingsJson) const override;
};

}  // namespace wayhome::connectors::gerica

namespace wayhome::connectors::loan {

/// The `loan` simulator: synthetic citizens' loan journeys, posted as signed webhooks
/// with the retries and back-off of a real webhook sender.
class LoanSimulatorFactory final : public SimulatorFactory {
 public:
  [[nodiscard]] std::string_view type() const override { return "loan"; }
  [[nodiscard]] std::string_view configSchema() const override;
  /// Errors: throws ConnectorConfigError for an unusable secret.
  std::unique_ptr<Simulator> create(std::string_view settingsJson) const override;
};

}  // namespace wayhome::connectors::loan
