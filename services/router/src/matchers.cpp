// The condition operators. Adding one: a class here and one line in
// registerBuiltinMatchers().

#include <algorithm>

#include <wayhome/router/rules.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services::router {
namespace {

/// The field's JSON Schema types ("string", "integer", ...), empty when unconstrained.
std::vector<std::string> schemaTypes(const rapidjson::Value& s) {
  std::vector<std::string> out;
  if (!s.IsObject()) return out;
  auto it = s.FindMember("type");
  if (it == s.MemberEnd()) return out;
  if (it->value.IsString()) out.emplace_back(it->value.GetString());
  if (it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString());
    }
  }
  return out;
}

/// Why `value` can never equal a value of the field, or nothing.
std::optional<std::string> fits(const rapidjson::Value& value, const rapidjson::Value& field) {
  const auto types = schemaTypes(field);
  if (types.empty()) return std::nullopt;
  bool ok = false;
  for (const auto& t : types) {
    ok =
        ok || (t == "string" && value.IsString()) || (t == "boolean" && value.IsBool()) ||
        (t == "integer" && value.IsNumber() &&
         (value.IsInt64() || value.IsUint64() ||
          (value.IsDouble() &&
           value.GetDouble() == static_cast<double>(static_cast<long long>(value.GetDouble()))))) ||
        (t == "number" && value.IsNumber()) || (t == "array" && value.IsArray()) ||
        (t == "object" && value.IsObject()) || (t == "null" && value.IsNull());
  }
  if (!ok)
    return "the field is of type " + types.front() + "; the value " + schemas::jsonText(value) +
           " can never match";
  if (auto e = field.FindMember("enum"); e != field.MemberEnd() && e->value.IsArray()) {
    const auto& list = e->value.GetArray();
    if (std::find(list.begin(), list.end(), value) == list.end()) {
      return "the value " + schemas::jsonText(value) + " is not one the field allows (" +
             schemas::jsonText(e->value) + ")";
    }
  }
  return std::nullopt;
}

class Equals : public Matcher {
 public:
  explicit Equals(bool negate) : negate_(negate) {}
  std::optional<std::string> check(const rapidjson::Value* value,
                                   const rapidjson::Value& field) const override {
    if (value == nullptr) return "needs a value";
    return fits(*value, field);
  }
  bool matches(const rapidjson::Value* actual, const rapidjson::Value* value) const override {
    const bool eq = actual != nullptr && *actual == *value;
    return negate_ ? !eq : eq;
  }

 private:
  bool negate_;
};

class In : public Matcher {
 public:
  std::optional<std::string> check(const rapidjson::Value* value,
                                   const rapidjson::Value& field) const override {
    if (value == nullptr || !value->IsArray() || value->Empty() || value->Size() > 100) {
      return "needs a value that is an array of 1 to 100 items";
    }
    for (const auto& v : value->GetArray()) {
      if (auto problem = fits(v, field)) return problem;
    }
    return std::nullopt;
  }
  bool matches(const rapidjson::Value* actual, const rapidjson::Value* value) const override {
    if (actual == nullptr) return false;
    const auto& list = value->GetArray();
    return std::find(list.begin(), list.end(), *actual) != list.end();
  }
};

/// gt/gte/lt/lte on numbers, or on strings such as dates (YYYY-MM-DD sorts by time).
class Compare : public Matcher {
 public:
  using Test = bool (*)(int);
  explicit Compare(Test test) : test_(test) {}
  std::optional<std::string> check(const rapidjson::Value* value,
                                   const rapidjson::Value& field) const override {
    if (value == nullptr || !(value->IsNumber() || value->IsString())) {
      return "needs a number or a string value";
    }
    return fits(*value, field);
  }
  bool matches(const rapidjson::Value* actual, const rapidjson::Value* value) const override {
    if (actual == nullptr) return false;
    if (actual->IsNumber() && value->IsNumber()) {
      const double a = actual->GetDouble();
      const double b = value->GetDouble();
      return test_(a < b ? -1 : a > b ? 1 : 0);
    }
    if (actual->IsString() && value->IsString()) {
      const int c = std::string_view(actual->GetString(), actual->GetStringLength())
                        .compare(std::string_view(value->GetString(), value->GetStringLength()));
      return test_(c < 0 ? -1 : c > 0 ? 1 : 0);
    }
    return false;
  }

 private:
  Test test_;
};

class Exists : public Matcher {
 public:
  explicit Exists(bool negate) : negate_(negate) {}
  std::optional<std::string> check(const rapidjson::Value* value,
                                   const rapidjson::Value&) const override {
    if (value != nullptr) return "takes no value";
    return std::nullopt;
  }
  bool matches(const rapidjson::Value* actual, const rapidjson::Value*) const override {
    const bool present = actual != nullptr && !actual->IsNull();
    return negate_ ? !present : present;
  }

 private:
  bool negate_;
};

}  // namespace

void registerBuiltinMatchers(Registry& registry) {
  registry.addMatcher("equals", std::make_unique<Equals>(false));
  registry.addMatcher("not_equals", std::make_unique<Equals>(true));
  registry.addMatcher("in", std::make_unique<In>());
  registry.addMatcher("gt", std::make_unique<Compare>([](int c) { return c > 0; }));
  registry.addMatcher("gte", std::make_unique<Compare>([](int c) { return c >= 0; }));
  registry.addMatcher("lt", std::make_unique<Compare>([](int c) { return c < 0; }));
  registry.addMatcher("lte", std::make_unique<Compare>([](int c) { return c <= 0; }));
  registry.addMatcher("exists", std::make_unique<Exists>(false));
  registry.addMatcher("not_exists", std::make_unique<Exists>(true));
}

}  // namespace wayhome::services::router
