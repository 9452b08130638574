#pragma once

// What every connector does first with its settings text.

#include <string>
#include <string_view>

#include <rapidjson/fwd.h>

namespace wayhome::connectors {

/// Reads the settings of instance `instanceName`, already checked against the
/// connector's schema, into `doc`; the caller reads the members (schemas::member*()).
/// Errors: throws ConnectorConfigError "'<instanceName>' settings: not a JSON object"
/// ("settings: not a JSON object" without a name).
void readSettings(rapidjson::Document& doc, std::string_view json,
                  const std::string& instanceName = {});

}  // namespace wayhome::connectors
