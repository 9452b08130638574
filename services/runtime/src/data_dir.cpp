#include <system_error>

#include <wayhome/runtime/data_dir.hpp>

namespace wayhome::services {
namespace {

namespace fs = std::filesystem;

bool isDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// True when `p` lies inside `dir` (both absolute).
bool inside(const fs::path& p, const fs::path& dir) {
  const auto rel = p.lexically_normal().lexically_relative(dir.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

fs::path selfExecutable() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

}  // namespace

DataLocation locateData(const fs::path& executable) {
  const fs::path installed = fs::path(WAYHOME_INSTALL_DATADIR);
  if (!executable.empty()) {
    const auto beside = (executable.parent_path() / ".." / "share" / "wayhome").lexically_normal();
    if (isDir(beside / "schemas")) return {beside / "schemas", beside / "rules.json"};
    // A binary still in the build tree reads the source tree it was built from, so
    // that a change to a schema or the rules needs no install step.
    if (inside(executable, fs::path(WAYHOME_BUILD_DIR))) {
      return {fs::path(WAYHOME_SOURCE_DIR) / "schemas" / "events",
              fs::path(WAYHOME_SOURCE_DIR) / "deploy" / "config" / "rules.json"};
    }
  }
  return {installed / "schemas", installed / "rules.json"};
}

fs::path defaultSchemaDir() {
  return locateData(selfExecutable()).schemaDir;
}

fs::path defaultRulesFile() {
  return locateData(selfExecutable()).rulesFile;
}

}  // namespace wayhome::services
