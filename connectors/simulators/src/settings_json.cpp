#include "settings_json.hpp"

#include <rapidjson/document.h>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/schemas/json_parse.hpp>

namespace wayhome::connectors {

struct SettingsJson::Doc {
  rapidjson::Document d;
  [[nodiscard]] const rapidjson::Value* member(const char* key) const {
    return schemas::member(d, key);
  }
};

SettingsJson::SettingsJson(std::string_view simulator, std::string_view json)
    : doc_(std::make_unique<Doc>()) {
  if (schemas::parseJson(doc_->d, json) || !doc_->d.IsObject()) {
    throw ConnectorConfigError("simulator " + std::string(simulator) +
                               " settings: not a JSON object");
  }
}

SettingsJson::~SettingsJson() = default;

std::optional<std::string> SettingsJson::text(const char* key) const {
  const auto* v = doc_->member(key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

void SettingsJson::read(const char* key, std::string& out) const {
  if (auto t = text(key)) out = std::move(*t);
}

void SettingsJson::read(const char* key, std::vector<std::string>& out) const {
  const auto* v = doc_->member(key);
  if (v == nullptr || !v->IsArray()) return;
  for (const auto& item : v->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
}

void SettingsJson::read(const char* key, int& out) const {
  const auto* v = doc_->member(key);
  if (v != nullptr && v->IsInt()) out = v->GetInt();
}

void SettingsJson::read(const char* key, std::optional<std::uint64_t>& out) const {
  const auto* v = doc_->member(key);
  if (v != nullptr && v->IsUint64()) out = v->GetUint64();
}

void SettingsJson::read(const char* key, double& out) const {
  const auto* v = doc_->member(key);
  if (v != nullptr && v->IsNumber()) out = v->GetDouble();
}

void SettingsJson::read(const char* key, std::chrono::milliseconds& out) const {
  const auto* v = doc_->member(key);
  if (v != nullptr && v->IsInt()) out = std::chrono::milliseconds(v->GetInt());
}

void SenderSettings::read(const SettingsJson& d) {
  d.read("connector", connector);
  d.read("url", url);
  d.read("urls", urls);
  d.read("journeys", journeys);
  d.read("rate_per_s", ratePerSecond);
  d.read("seed", seed);
  d.read("max_attempts", maxAttempts);
  d.read("retry_initial_ms", retryInitial);
}

}  // namespace wayhome::connectors
