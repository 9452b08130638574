// The service config (wayhome serve --config: the host's keys and each module's section)
// and the connectors' settings, read the way start-up reads them: schema first, then
// the typed structs. A refusal must be a
// ConfigError / ConnectorConfigError, never anything else.

#include <wayhome/app/builtin.hpp>
#include <wayhome/connectors/connector.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/plania/connector.hpp>
#include <wayhome/runtime/config.hpp>
#include <wayhome/schemas/json_schema.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome;
  const auto text = fuzz::text(data, size);
  try {
    (void)connectors::parseCheckedConfig(text, "fuzz.jsonc");
  } catch (const services::ConfigError&) {
  }
  static const schemas::JsonSchema loan(connectors::loan::loanSettingsSchema(), "loan");
  static const schemas::JsonSchema gerica(connectors::gerica::settingsSchema(), "gerica");
  static const schemas::JsonSchema plania(connectors::plania::settingsSchema(), "plania");
  try {
    if (!loan.validate(text)) (void)connectors::loan::parseLoanSettings("fuzz", text);
  } catch (const connectors::ConnectorConfigError&) {
  }
  try {
    if (!gerica.validate(text)) (void)connectors::gerica::parseSettings("fuzz", text);
  } catch (const connectors::ConnectorConfigError&) {
  }
  try {
    if (!plania.validate(text)) (void)connectors::plania::parseSettings(text);
  } catch (const connectors::ConnectorConfigError&) {
  }
  return 0;
}
