// The loan webhook: signature check, then the body. Input: the X-Wayhome-Timestamp
// line, the X-Wayhome-Signature line, the body.

#include <chrono>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/loan/webhook.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome::connectors;
  static const PersonRefs refs(std::string(40, 'k'));
  static const std::string secret(40, 's');
  std::string_view in = wayhome::fuzz::text(data, size);
  const auto timestamp = wayhome::fuzz::takeLine(in);
  const auto signature = wayhome::fuzz::takeLine(in);
  const auto now = wayhome::Clock::TimePoint(std::chrono::seconds(1793000000));
  (void)loan::verifyWebhook(secret, timestamp, signature, in, now, std::chrono::seconds(300));
  (void)loan::parseLoanWebhook(in, [](std::string_view nin) { return refs.personRef(nin); });
  return 0;
}
