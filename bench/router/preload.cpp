// Preloads the router benchmark: N realistic case events (as the Plania connector publishes them)
// keyed by person_ref.
//
//   wayhome_bench_preload BOOTSTRAP PREFIX N
//
// Prints the bytes produced. Exit 1 when the bus refuses.

#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>

#include <wayhome/bus/producer.hpp>

namespace {

using namespace wayhome;

std::string personRef(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "pr_%08x%08x%08x%08x", 0xa1b2c3d4U, static_cast<unsigned>(i),
                0x5e6f7081U, static_cast<unsigned>(i * 2654435761U));
  return buf;
}

// One line of JSON each (kcat's pass-through splits records on newlines). Three shapes
// in turn: rent arrears (R5 finance, R6 nav under consent), a contract
// signed (R1 and R2 notice requests), a unit vacated (no referral: no_match audit).
bus::CloudEvent event(int i) {
  const std::string person = personRef(i % 5000);
  const std::string n = std::to_string(i);
  bus::CloudEvent e;
  e.id = "bench-" + n;
  e.source = "/wayhome/connectors/plania/bench";
  e.time = "2026-12-01T09:00:00.000Z";
  e.subject = person;
  switch (i % 3) {
    case 0:
      e.type = "tenancy.rent_arrears.v1";
      e.data = R"({"contract_id": "K-)" + n + R"(", "person_ref": ")" + person +
               R"(", "months_overdue": )" + std::to_string(1 + i % 4) +
               R"(, "amount_nok": 18400, "housing_contact_id": "hc-oslo-12"})";
      break;
    case 1:
      e.type = "tenancy.contract_signed.v1";
      e.data = R"({"contract_id": "K-)" + n + R"(", "unit_id": "AREA-)" + n +
               R"(", "person_ref": ")" + person +
               R"(", "start_date": "2027-01-04", "scheduled_end_date": "2029-12-31", )"
               R"("fixed_term": true, "housing_contact_id": "hc-oslo-12", )"
               R"("guidance_folder_handed_over": true})";
      break;
    default:
      e.type = "property.unit_vacated.v1";
      e.subject = "AREA-" + n;
      e.data = R"({"unit_id": "AREA-)" + n +
               R"(", "available_from": "2027-01-01", )"
               R"("rent_to_own_potential": )" +
               (i % 2 == 0 ? "true" : "false") + R"(, "monthly_rent_nok": 11200})";
      break;
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: wayhome_bench_preload BOOTSTRAP PREFIX N\n";
    return 64;
  }
  const std::string bootstrap = argv[1];
  const std::string prefix = argv[2];
  const int count = std::stoi(argv[3]);
  const bus::ClientProperties props{{"bootstrap.servers", bootstrap}};
  try {
    bus::Producer producer(props, {.name = "bench-preload"});
    std::atomic<int> failed{0};
    std::size_t bytes = 0;
    for (int i = 0; i < count; ++i) {
      const auto e = event(i);
      bytes += e.data.size();
      for (;;) {
        auto queued = producer.send(prefix + "cases.plania", e, [&failed](const auto& report) {
          if (!report.ok) ++failed;
        });
        if (queued) break;
        if (!queued.error().retryable()) {
          std::cerr << "event " << i << ": " << queued.error().message << "\n";
          return 1;
        }
        producer.flush(std::chrono::milliseconds(100));  // local queue full: let it drain
      }
    }
    if (!producer.flush(std::chrono::minutes(2)) || failed > 0) {
      std::cerr << failed << " events were not delivered\n";
      return 1;
    }
    std::cout << bytes << "\n";
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
