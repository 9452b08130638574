// A rules file (router.rules_file, wayhome rules check, POST /api/v1/reload): refused
// with a RulesError or accepted, never anything else.

#include <wayhome/router/rules.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome::services::router;
  try {
    (void)parseRules(wayhome::fuzz::text(data, size), wayhome::fuzz::eventSchemas(), "fuzz.json");
  } catch (const RulesError&) {
  }
  return 0;
}
