// Schema validation of event data (every consumer, POST /api/v1/schemas/{type}/validate).
// Input: the first byte picks the event type, the rest is the data.

#include <rapidjson/document.h>

#include <wayhome/schemas/json_parse.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome;
  if (size == 0) return 0;
  const auto& schemas = fuzz::eventSchemas();
  const auto types = schemas.types();
  const auto& type = types[data[0] % types.size()];
  const auto json = fuzz::text(data + 1, size - 1);
  const auto invalid = schemas.validate(type, json);
  rapidjson::Document doc;
  const auto unreadable = schemas::parseJson(doc, json);
  // The validator and the parser agree on what is readable.
  if (!invalid && unreadable) __builtin_trap();
  if (invalid && invalid->keyword == "parse" && !unreadable) __builtin_trap();
  (void)schemas.find(type)->validate(json, {.allowComments = true});
  return 0;
}
