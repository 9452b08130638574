#include <rapidjson/document.h>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/settings.hpp>
#include <wayhome/schemas/json_parse.hpp>

namespace wayhome::connectors {

void readSettings(rapidjson::Document& doc, std::string_view json,
                  const std::string& instanceName) {
  if (schemas::parseJson(doc, json) || !doc.IsObject()) {
    throw ConnectorConfigError((instanceName.empty() ? "" : "'" + instanceName + "' ") +
                               "settings: not a JSON object");
  }
}

}  // namespace wayhome::connectors
