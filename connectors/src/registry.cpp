#include <wayhome/connectors/connector.hpp>

namespace wayhome::connectors {

void ConnectorRegistry::add(std::unique_ptr<ConnectorFactory> factory) {
  const std::string type(factory->type());
  if (factories_.contains(type)) {
    throw std::logic_error("connector type '" + type + "' is registered twice");
  }
  auto schema = std::make_unique<schemas::JsonSchema>(factory->configSchema(),
                                                      "config schema of connector " + type);
  factories_.emplace(type, Entry{std::move(factory), std::move(schema)});
}

const ConnectorFactory* ConnectorRegistry::find(std::string_view type) const {
  auto it = factories_.find(type);
  return it == factories_.end() ? nullptr : it->second.factory.get();
}

std::vector<std::string> ConnectorRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [type, entry] : factories_) out.push_back(type);
  return out;
}

ConnectorPtr ConnectorRegistry::create(std::string_view type, const std::string& instanceName,
                                       std::string_view configJson) const {
  auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
    throw ConnectorConfigError("connector '" + instanceName + "': unknown type '" +
                               std::string(type) + "' (known: " + known + ")");
  }
  if (auto invalid = it->second.schema->validate(configJson)) {
    throw ConnectorConfigError("connector '" + instanceName + "': " + invalid->message);
  }
  return it->second.factory->create(instanceName, configJson);
}

}  // namespace wayhome::connectors
