#pragma once

// Shared by the libFuzzer harnesses (tests/fuzz/README.md): input splitting and the
// event schemas, loaded once per process.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <wayhome/schemas/registry.hpp>

namespace wayhome::fuzz {

/// The fuzzer's bytes as text.
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Takes the first line off `in` (without its '\n'); `in` keeps the rest.
inline std::string_view takeLine(std::string_view& in) {
  const auto nl = in.find('\n');
  const auto line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

/// The repository's event schemas.
inline const schemas::SchemaRegistry& eventSchemas() {
  static const auto registry = schemas::SchemaRegistry::loadDirectory(WAYHOME_FUZZ_SCHEMA_DIR);
  return registry;
}

}  // namespace wayhome::fuzz
