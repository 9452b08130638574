#pragma once

#include <filesystem>

namespace wayhome::services {

/// The data that ships with wayhome (event schemas, default rules) is looked up in
/// this order, never through a path into the source tree for an installed binary:
///  1. beside the running binary: `<exe>/../share/wayhome` (an install under any
///     prefix, a DESTDIR staging tree, or a relocated copy of one);
///  2. the source tree, only for a binary that runs from the build tree it was built
///     in (development and tests);
///  3. the data folder of the configured install prefix
///     (`CMAKE_INSTALL_FULL_DATADIR/wayhome`), also when it does not exist, so that
///     the start-up error names the path an operator expects.
/// A config's `schemas.dir` and `router.rules_file` override both.

/// The event schemas: `<data>/schemas`, or `schemas/events` of the source
/// tree for a build-tree binary.
[[nodiscard]] std::filesystem::path defaultSchemaDir();

/// The shipped routing rules: `<data>/rules.json`, or
/// `deploy/config/rules.json` of the source tree for a build-tree binary.
[[nodiscard]] std::filesystem::path defaultRulesFile();

/// Resolves the lookup above for a given executable path (what /proc/self/exe
/// names); exposed so that tests can check a relocated install without moving files.
struct DataLocation {
  std::filesystem::path schemaDir;
  std::filesystem::path rulesFile;
};
[[nodiscard]] DataLocation locateData(const std::filesystem::path& executable);

}  // namespace wayhome::services
