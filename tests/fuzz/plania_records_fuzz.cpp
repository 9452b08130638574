// One Plania record (an item of a page GET /api/<entity> answered) through what the
// connector does with it: head, typed record, its "seen" copy, the events it derives.
// Input: the first byte picks the entity, the rest is the item JSON.

#include <wayhome/plania/records.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wayhome::connectors::plania;
  if (size == 0) return 0;
  const auto json = wayhome::fuzz::text(data + 1, size - 1);
  (void)parseHead(json);
  (void)customerSeenFromJson(json);
  (void)personRefOfSeenContract(json);
  (void)parseRfc3339Ms(json);
  (void)isDate(json);
  switch (data[0] % 4) {
    case 0:
      if (auto c = parseCustomer(json)) {
        (void)customerSeenFromJson(toSeenJson(CustomerSeen{"pr_0", c.value().householdSize}));
      }
      break;
    case 1:
      if (auto a = parseArea(json)) {
        (void)toSeenJson(a.value());
        (void)deriveArea(std::nullopt, a.value());
        (void)deriveArea(a.value(), a.value());
      }
      break;
    case 2:
      if (auto c = parseContract(json)) {
        const ContractParty party{"pr_0123456789abcdef0123456789abcdef", 2};
        (void)personRefOfSeenContract(toSeenJson(c.value(), party.personRef));
        (void)deriveContract(std::nullopt, c.value(), party);
        (void)deriveContract(c.value(), c.value(), party);
        (void)terminationReason(c.value().terminationReason);
      }
      break;
    default:
      if (auto w = parseWorkOrder(json)) {
        (void)toSeenJson(w.value());
        const Tenancy tenancy{"K-1", "pr_0123456789abcdef0123456789abcdef"};
        (void)deriveWorkOrder(std::nullopt, w.value(), tenancy);
        (void)deriveWorkOrder(w.value(), w.value(), std::nullopt);
      }
  }
  return 0;
}
