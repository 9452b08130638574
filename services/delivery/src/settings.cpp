#include <set>

#include <rapidjson/document.h>

#include <wayhome/delivery/delivery.hpp>
#include <wayhome/delivery/settings.hpp>
#include <wayhome/runtime/http_client.hpp>
#include <wayhome/schemas/json_parse.hpp>

#include "settings_schema.hpp"  // generated: kDeliverySettingsSchema

namespace wayhome::services {
namespace {

std::chrono::milliseconds ms(const rapidjson::Value& obj, const char* key,
                             std::chrono::milliseconds fallback) {
  return std::chrono::milliseconds(schemas::memberInt(obj, key, fallback.count()));
}

// The schema checks the shape; here: a host, and a port that is a port.
bool hostAndPortOk(std::string_view url) {
  std::string_view rest(url);
  rest.remove_prefix(rest.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  const bool v6 = rest.starts_with('[');
  const auto host =
      colon == std::string_view::npos || (v6 && rest.back() == ']') ? rest : rest.substr(0, colon);
  const auto port = host.size() == rest.size() ? std::string_view() : rest.substr(colon + 1);
  const bool portOk =
      port.empty()
          ? host.size() == rest.size()
          : port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos &&
                std::stoi(std::string(port)) > 0 && std::stoi(std::string(port)) <= 65535;
  return !host.empty() && host != "[]" && portOk;
}

std::string secretOf(const rapidjson::Value& item, const SettingsSection& section,
                     const std::string& at) {
  const bool inline_ = item.HasMember("secret");
  if (inline_ == item.HasMember("secret_file")) {
    throw section.error(at + "/secret", "give exactly one of secret and secret_file");
  }
  if (inline_) return schemas::memberText(item, "secret", "");
  const std::string file = schemas::memberText(item, "secret_file", "");
  std::string secret = readSecretFile(file, section.where(at + "/secret_file"));
  if (secret.empty()) {
    throw section.error(at + "/secret_file", "cannot read " + file + " (or it is empty)");
  }
  if (secret.size() < 16) {
    throw section.error(at + "/secret_file", "the secret must be at least 16 bytes");
  }
  return secret;
}

WebhookSettings webhook(const rapidjson::Value& item, const SettingsSection& section,
                        const ServiceConfig& config, const std::string& at) {
  WebhookSettings w;
  w.name = schemas::memberText(item, "name", "");
  w.sector = schemas::memberText(item, "sector", "");
  w.url = schemas::memberText(item, "url", "");
  w.caFile = schemas::memberText(item, "ca_file", "");
  w.timeout = ms(item, "timeout_ms", w.timeout);
  if (const auto it = item.FindMember("max_attempts"); it != item.MemberEnd()) {
    w.maxAttempts = it->value.GetInt();
  }
  w.initialBackoff = ms(item, "initial_backoff_ms", w.initialBackoff);
  w.maxBackoff = ms(item, "max_backoff_ms", w.maxBackoff);
  if (const auto it = item.FindMember("enabled"); it != item.MemberEnd()) {
    w.enabled = it->value.GetBool();
  }
  if (const auto it = item.FindMember("events"); it != item.MemberEnd()) {
    w.events.clear();
    for (const auto& e : it->value.GetArray())
      w.events.emplace_back(e.GetString(), e.GetStringLength());  // the schema checked them
  }
  w.secret = secretOf(item, section, at);
  if (!hostAndPortOk(w.url)) {
    throw section.error(at + "/url", "needs a host and, if given, a port 1-65535");
  }
  if (auto problem = cleartextProblem(w.url)) throw section.error(at + "/url", *problem);
  if (w.maxBackoff < w.initialBackoff) {
    throw section.error(at + "/max_backoff_ms", "must not be less than initial_backoff_ms");
  }
  checkConfiguredSector(config, section.pointer(at + "/sector"), w.sector);
  return w;
}

}  // namespace

DeliverySettings parseDeliverySettings(const SettingsSection& section,
                                       const ServiceConfig& config) {
  const rapidjson::Document cfg = readSection(section);
  DeliverySettings d;
  const auto list = cfg.FindMember("webhooks");
  if (list == cfg.MemberEnd()) return d;
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list->value.Size(); ++i) {
    const std::string at = "/webhooks/" + std::to_string(i);
    const std::string name = schemas::memberText(list->value[i], "name", "");
    if (!names.insert(name).second)
      throw section.error(at + "/name", "'" + name + "' is used twice");
    d.webhooks.push_back(webhook(list->value[i], section, config, at));
  }
  return d;
}

std::unique_ptr<ModuleFactory> makeDeliveryModule() {
  return std::make_unique<ModuleOf<DeliverySettings>>(
      "delivery", kDeliverySettingsSchema, parseDeliverySettings,
      [](DeliverySettings settings) -> std::unique_ptr<Component> {
        if (settings.webhooks.empty()) return nullptr;
        return std::make_unique<Delivery>(
            DeliveryOptions{.webhooks = std::move(settings.webhooks)});
      });
}

}  // namespace wayhome::services
