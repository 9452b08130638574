#pragma once

// RapidJSON's schema validator with `pattern` and `patternProperties` matched by
// wayhome::schemas::Pattern instead of std::regex_search wherever Pattern compiles the
// expression (std::regex stays for the rest). Include this, never <rapidjson/schema.h>
// directly: the specialisations below must be seen before the validator is used, and
// by every translation unit that uses it (this is the only one: json_schema.cpp).
//
// How: RapidJSON 1.1.0 (built with std::regex, see the top CMakeLists.txt) makes each
// pattern once, in Schema::CreatePattern, as a std::regex in a block of its allocator,
// and matches it in the static Schema::IsPatternMatch. Both are specialised for
// rapidjson::SchemaDocument: the block is made one pointer longer, and that pointer
// names the compiled Pattern (interned by text, kept for the process's life, so it
// outlives every schema; nullptr means std::regex). Where Pattern compiles the text
// the std::regex in the block is left empty (compiling it is what made start-up slow:
// milliseconds per date-time pattern); every text Pattern takes is a valid ECMAScript
// expression. Other texts are compiled by std::regex as before, and one it refuses is
// ignored as before.

#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <regex>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/schema.h>

#include <wayhome/schemas/pattern.hpp>

#if !RAPIDJSON_SCHEMA_USE_STDREGEX
#error "rapidjson_schema.hpp expects RapidJSON's std::regex patterns (see CMakeLists.txt)"
#endif

namespace wayhome::schemas::detail {

/// The compiled Pattern for `text`, made once per distinct text; nullptr when the
/// expression is outside Pattern's subset.
inline const Pattern* internPattern(const std::string& text) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<const Pattern>> interned;
  std::lock_guard lock(mutex);
  auto [it, fresh] = interned.try_emplace(text);
  if (fresh) {
    if (auto compiled = Pattern::compile(text))
      it->second = std::make_unique<const Pattern>(*compiled);
  }
  return it->second.get();
}

using StdRegex = std::basic_regex<char>;
/// Where the Pattern pointer sits: right after the std::regex in its block, stored and
/// read as `const void*` (the type it was constructed with).
inline const void* const* patternSlot(const StdRegex* regex) {
  return reinterpret_cast<const void* const*>(reinterpret_cast<const char*>(regex) +
                                              sizeof(StdRegex));
}

}  // namespace wayhome::schemas::detail

namespace rapidjson::internal {

template <>
template <>
inline std::basic_regex<char>* Schema<SchemaDocument>::CreatePattern<Value>(const Value& value) {
  using wayhome::schemas::detail::StdRegex;
  static_assert(sizeof(StdRegex) % alignof(const void*) == 0);
  if (!value.IsString()) return nullptr;
  void* block = allocator_->Malloc(sizeof(StdRegex) + sizeof(const void*));
  if (block == nullptr) return nullptr;
  const auto* pattern = wayhome::schemas::detail::internPattern(
      std::string(value.GetString(), value.GetStringLength()));
  StdRegex* regex = nullptr;
  if (pattern != nullptr) {
    // Never consulted, only destroyed: an empty std::regex costs nothing to make,
    // where compiling a date-time pattern costs milliseconds (start-up).
    regex = new (block) StdRegex();
  } else {
    try {
      regex = new (block) StdRegex(value.GetString(), std::size_t(value.GetStringLength()),
                                   std::regex_constants::ECMAScript);
    } catch (const std::regex_error&) {
      AllocatorType::Free(block);
      return nullptr;
    }
  }
  new (static_cast<char*>(block) + sizeof(StdRegex)) const void*(pattern);
  return regex;
}

template <>
inline bool Schema<SchemaDocument>::IsPatternMatch(const std::basic_regex<char>* pattern,
                                                   const char* str, SizeType length) {
  if (const auto* fast = static_cast<const wayhome::schemas::Pattern*>(
          *wayhome::schemas::detail::patternSlot(pattern))) {
    return fast->search(std::string_view(str, length));
  }
  std::match_results<const char*> r;
  return std::regex_search(str, str + length, r, *pattern);
}

}  // namespace rapidjson::internal
