// A GERICA MsgHead message as POST /api/v1/connectors/gerica/<name>/messages and the
// drop folder receive it, and the AppRec receipt made for it (and read back).

#include <wayhome/connectors/identity.hpp>
#include <wayhome/gerica/message.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome::connectors;
  static const PersonRefs refs(std::string(40, 'k'));
  const auto xml = wayhome::fuzz::text(data, size);
  const auto parsed =
      gerica::parseMessage(xml, gerica::ParseOptions{256 * 1024, "921234567"},
                           [](std::string_view nin) { return refs.personRef(nin); });
  const auto receipt = gerica::appRec(gerica::ReceiptSender{"921234567"}, parsed.head,
                                      parsed.problem, "rcpt-1", "2026-11-01T10:00:00+01:00");
  const auto view = gerica::readAppRec(receipt);
  if (!view) __builtin_trap();  // our own receipt must read back
  if (view.value().ok != !parsed.problem.has_value()) __builtin_trap();
  (void)gerica::readAppRec(xml);
  return 0;
}
