#pragma once

#include <random>
#include <string>

namespace wayhome::simulators {

/// A synthetic (Tenor, month + 80) identity number for simulators: a birth date from
/// `fromYear` to 2004, valid check digits (found by connectors::validateNin), never a
/// real person's. Lives here, not in a production header, so that nothing in the
/// service proper can make one.
[[nodiscard]] std::string syntheticNin(std::mt19937_64& rng, int fromYear = 1940);

}  // namespace wayhome::simulators
