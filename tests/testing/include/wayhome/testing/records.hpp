#pragma once

// Events as the bus carries them, for tests that feed a consumer's logic without a bus,
// and the event schemas they are checked against.

#include <string>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/schemas/registry.hpp>

namespace wayhome::testing {

/// The event schemas of the source tree (schemaDir()), loaded once.
[[nodiscard]] const schemas::SchemaRegistry& schemaRegistry();

/// A record as the bus carries a CloudEvent with id `id`, type `type`, time `time`,
/// source "/test" and subject "s": `data` as the value, the event in the binding's
/// headers, key "s", topic "test".
[[nodiscard]] bus::KafkaRecord eventRecord(const std::string& type, const std::string& id,
                                           const std::string& data, const std::string& time);

}  // namespace wayhome::testing
