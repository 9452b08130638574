// A Kafka record as the consumers read it: CloudEvent attributes from the headers,
// the data checked against its schema, then parsed. Input: "name: value" header
// lines, an empty line, the record value.

#include <rapidjson/document.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome;
  std::string_view in = fuzz::text(data, size);
  bus::KafkaRecord record;
  record.topic = "cases.fuzz";
  record.partition = 0;
  record.offset = 1;
  while (!in.empty()) {
    const auto line = fuzz::takeLine(in);
    if (line.empty()) break;
    const auto colon = line.find(": ");
    record.headers.push_back(
        colon == std::string_view::npos
            ? bus::Header{std::string(line), ""}
            : bus::Header{std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
  }
  record.value = std::string(in);
  auto event = bus::binding::fromRecord(record);
  if (!event) return 0;
  (void)bus::binding::check(event.value());
  (void)bus::binding::toHeaders(event.value());
  const auto& schemas = fuzz::eventSchemas();
  if (!schemas.has(event.value().type)) return 0;
  if (schemas.validate(event.value().type, event.value().data)) return 0;
  rapidjson::Document doc;
  if (schemas::parseJson(doc, event.value().data)) __builtin_trap();  // validated: must parse
  return 0;
}
