#pragma once

// Small helpers to write JSON objects with RapidJSON.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include <wayhome/schemas/json_text.hpp>

namespace wayhome::services::router {

/// Builds a document member by member (owning copies of every string).
class JsonObject {
 public:
  JsonObject() { doc_.SetObject(); }
  JsonObject& set(std::string_view key, std::string_view value) {
    rapidjson::Value v(value.data(), static_cast<rapidjson::SizeType>(value.size()), a());
    put(key, v);
    return *this;
  }
  JsonObject& set(std::string_view key, const char* value) {
    return set(key, std::string_view(value));
  }
  JsonObject& set(std::string_view key, const rapidjson::Value& value) {
    rapidjson::Value v(value, a());
    put(key, v);
    return *this;
  }
  JsonObject& setIf(std::string_view key, std::string_view value) {
    if (!value.empty()) set(key, value);
    return *this;
  }
  rapidjson::Document& doc() { return doc_; }
  rapidjson::Document::AllocatorType& a() { return doc_.GetAllocator(); }
  [[nodiscard]] std::string text() const { return schemas::jsonText(doc_); }

 private:
  void put(std::string_view key, rapidjson::Value& v) {
    auto it = doc_.FindMember(rapidjson::StringRef(key.data(), key.size()));
    if (it != doc_.MemberEnd()) {
      it->value = v;
      return;
    }
    rapidjson::Value k(key.data(), static_cast<rapidjson::SizeType>(key.size()), a());
    doc_.AddMember(k, v, a());
  }
  rapidjson::Document doc_;
};

}  // namespace wayhome::services::router
