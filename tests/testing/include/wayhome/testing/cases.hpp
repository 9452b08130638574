#pragma once

// Tables of small cases for a pure function: one assertion per case, each failure
// naming its input, instead of one hand-written EXPECT line per case.

#include <initializer_list>
#include <utility>

#include <gtest/gtest.h>

namespace wayhome::testing {

/// Expects f(input) == expected for each {input, expected} of `cases`.
template <typename F>
void expectEach(const F& f, std::initializer_list<std::pair<const char*, const char*>> cases) {
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(f(input), expected) << "for " << input;
  }
}

/// Expects f(input) to hold (`holds` true) or not (false) for each of `inputs`.
template <typename F>
void expectEach(const F& f, bool holds, std::initializer_list<const char*> inputs) {
  for (const char* input : inputs) {
    EXPECT_EQ(static_cast<bool>(f(input)), holds) << "for " << input;
  }
}

}  // namespace wayhome::testing
