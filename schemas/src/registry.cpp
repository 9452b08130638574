#include <wayhome/schemas/registry.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace wayhome::schemas {
namespace {

constexpr std::string_view kSuffix = ".schema.json";

std::string readFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SchemaLoadError(file.string() + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

SchemaRegistry SchemaRegistry::loadDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw SchemaLoadError(dir.string() + ": schema folder does not exist");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw SchemaLoadError(dir.string() + ": holds no *.schema.json file");

  SchemaRegistry registry;
  registry.dir_ = dir;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const std::string type = name.substr(0, name.size() - kSuffix.size());
    try {
      JsonSchema schema(readFile(file), file.string());
      if (schema.title() != type) {
        throw SchemaLoadError(file.string() + ": title is '" + schema.title() +
                              "' but the file name says the type is '" + type + "'");
      }
      registry.schemas_.emplace(type, std::move(schema));
    } catch (const std::invalid_argument& e) {
      throw SchemaLoadError(e.what());
    }
  }
  return registry;
}

std::optional<ValidationError> SchemaRegistry::validate(std::string_view type,
                                                        std::string_view data) const {
  const JsonSchema* schema = find(type);
  if (schema == nullptr) {
    return ValidationError{"", "type", "unknown event type '" + std::string(type) + "'"};
  }
  return schema->validate(data);
}

bool SchemaRegistry::has(std::string_view type) const { return find(type) != nullptr; }

const JsonSchema* SchemaRegistry::find(std::string_view type) const {
  auto it = schemas_.find(type);
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<std::string> SchemaRegistry::types() const {
  std::vector<std::string> out;
  out.reserve(schemas_.size());
  for (const auto& [type, schema] : schemas_) out.push_back(type);
  return out;
}

}  // namespace wayhome::schemas
