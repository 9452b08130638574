#include <wayhome/testing/records.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

const schemas::SchemaRegistry& schemaRegistry() {
  static const auto registry = schemas::SchemaRegistry::loadDirectory(schemaDir());
  return registry;
}

bus::KafkaRecord eventRecord(const std::string& type, const std::string& id,
                             const std::string& data, const std::string& time) {
  bus::CloudEvent e;
  e.id = id;
  e.source = "/test";
  e.type = type;
  e.time = time;
  e.subject = "s";
  e.data = data;
  bus::KafkaRecord r;
  r.topic = "test";
  r.key = e.subject;
  r.value = data;
  r.headers = bus::binding::toHeaders(e);
  return r;
}

}  // namespace wayhome::testing
