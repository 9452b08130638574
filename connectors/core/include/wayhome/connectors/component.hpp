#pragma once

#include <memory>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/runtime/component.hpp>
#include <wayhome/runtime/config.hpp>

namespace wayhome::connectors {

/// The component that runs every enabled connector of `config` (made by `registry`,
/// which must outlive it: a restarted connector is made anew from it), with one
/// person_ref key for all of them.
/// Errors: throws ConnectorConfigError for an unknown type or bad settings.
[[nodiscard]] std::unique_ptr<services::Component> makeConnectorsComponent(
    const ConnectorRegistry& registry, const services::ServiceConfig& config);

}  // namespace wayhome::connectors
