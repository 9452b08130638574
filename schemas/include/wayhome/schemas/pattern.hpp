#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace wayhome::schemas {

/// A compiled JSON Schema `pattern` for the regular expressions event schemas use,
/// matched without std::regex: a position (Glushkov) automaton made deterministic when
/// compiled, so a match is one table look-up per byte, with no allocation. Same answer
/// as `std::regex_search(text, std::regex(pattern, ECMAScript))` for every pattern that
/// compile() accepts: literals, `.`, classes `[a-z._-]` / `[^...]`, `\d`, the control
/// escapes `\n \r \t \f \v`, escaped punctuation, groups `(...)` / `(?:...)`, `|`,
/// `? * + {n} {n,} {n,m}` (lazy or not), `^` only first and `$` only last. Anything else
/// (back-references, look-arounds, `\b \w \s`, anchors elsewhere, more than
/// kMaxPositions positions once counted repetitions are unrolled, or more than
/// kMaxStates deterministic states) is not compiled: the caller keeps std::regex for it.
///
/// Thread-safe: search() is const and keeps its state on the stack.
class Pattern {
 public:
  /// Most character positions after unrolling `{n,m}` (the bit sets' width).
  static constexpr std::size_t kMaxPositions = 256;
  /// Most states of the deterministic automaton (each a row of 256 transitions).
  static constexpr std::size_t kMaxStates = 1024;

  /// Compiles `pattern`, or nothing when it is outside the subset above (then nothing
  /// is said about whether it is a valid regular expression).
  [[nodiscard]] static std::optional<Pattern> compile(std::string_view pattern);

  /// True when some substring of `text` matches (ECMAScript regex_search), `text` read
  /// as bytes (embedded NULs included).
  [[nodiscard]] bool search(std::string_view text) const;

 private:
  Pattern() = default;

  std::size_t positions_ = 0;
  bool anchorBegin_ = false;
  bool anchorEnd_ = false;
  bool nullable_ = false;
  std::vector<std::uint16_t> next_;      // state * 256 + byte -> state; state 0 is the start
  std::vector<std::uint8_t> accepting_;  // per state: a match ends here
  std::vector<std::uint8_t> dead_;       // per state: no match can follow
  /// Per position while compiling only: the positions that may come next.
  std::vector<std::array<std::uint64_t, kMaxPositions / 64>> follow_;

  friend class PatternBuilder;
};

}  // namespace wayhome::schemas
