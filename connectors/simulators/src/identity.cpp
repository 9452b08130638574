#include <chrono>
#include <cstdio>

#include <wayhome/connectors/identity.hpp>
#include <wayhome/simulators/identity.hpp>

namespace wayhome::simulators {

using connectors::validateNin;

std::string syntheticNin(std::mt19937_64& rng, int fromYear) {
  using namespace std::chrono;
  for (;;) {
    const int year = std::uniform_int_distribution<int>(fromYear, 2004)(rng);
    const sys_days birth = sys_days(std::chrono::year(year) / January / 1) +
                           days(std::uniform_int_distribution<int>(0, 364)(rng));
    const year_month_day ymd(birth);
    const int individual = year < 2000 ? std::uniform_int_distribution<int>(0, 499)(rng)
                                       : std::uniform_int_distribution<int>(500, 999)(rng);
    char base[32];
    std::snprintf(base, sizeof base, "%02u%02u%02d%03d", static_cast<unsigned>(ymd.day()),
                  static_cast<unsigned>(ymd.month()) + 80, year % 100, individual);
    for (int check = 0; check < 100; ++check) {
      char nin[48];
      std::snprintf(nin, sizeof nin, "%s%02d", base, check);
      if (validateNin(nin)) return nin;
    }
  }
}

}  // namespace wayhome::simulators
