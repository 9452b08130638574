// `wayhome rules test`'s events file (one CloudEvent object a line) against the
// shipped rules.

#include <chrono>
#include <sstream>

#include <wayhome/router/router.hpp>
#include <wayhome/router/rules.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome;
  static const auto table =
      services::router::loadRulesFile(WAYHOME_FUZZ_RULES_FILE, fuzz::eventSchemas());
  std::istringstream in{std::string(fuzz::text(data, size))};
  std::ostringstream out;
  (void)services::rulesTestEvents(*table, fuzz::eventSchemas(), in, out,
                                  Clock::TimePoint(std::chrono::seconds(1793000000)));
  return 0;
}
