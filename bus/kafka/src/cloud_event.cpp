#include <array>
#include <string_view>

#include <wayhome/bus/cloud_event.hpp>

namespace wayhome::bus {
namespace {

constexpr std::string_view kPrefix = "ce_";

bool validExtensionName(std::string_view name) {
  if (name.empty() || name.size() > 20) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

const std::string* KafkaRecord::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

const std::string* CloudEvent::extension(std::string_view name) const {
  for (const auto& [n, v] : extensions) {
    if (n == name) return &v;
  }
  return nullptr;
}

namespace binding {

std::vector<Header> toHeaders(const CloudEvent& event) {
  std::vector<Header> headers;
  headers.reserve(7 + event.extensions.size());
  headers.push_back({"ce_specversion", event.specversion});
  headers.push_back({"ce_id", event.id});
  headers.push_back({"ce_source", event.source});
  headers.push_back({"ce_type", event.type});
  if (!event.time.empty()) headers.push_back({"ce_time", event.time});
  if (!event.subject.empty()) headers.push_back({"ce_subject", event.subject});
  headers.push_back({"content-type", event.dataContentType});
  for (const auto& [name, value] : event.extensions) {
    headers.push_back({std::string(kPrefix) + name, value});
  }
  return headers;
}

Result<void> check(const CloudEvent& event) {
  if (event.specversion != "1.0") {
    return Error::permanent("ce_specversion: must be \"1.0\", got \"" + event.specversion + "\"");
  }
  const std::array<std::pair<std::string_view, const std::string*>, 3> required{
      {{"ce_id", &event.id}, {"ce_source", &event.source}, {"ce_type", &event.type}}};
  for (const auto& [name, value] : required) {
    if (value->empty())
      return Error::permanent(std::string(name) + ": required attribute is empty");
  }
  for (const auto& [name, value] : event.extensions) {
    static constexpr std::array<std::string_view, 7> kReserved{
        "id", "source", "type", "specversion", "time", "subject", "datacontenttype"};
    for (auto r : kReserved) {
      if (name == r) return Error::permanent("ce_" + name + ": not an extension attribute");
    }
    if (!validExtensionName(name)) {
      return Error::permanent("ce_" + name +
                              ": extension names are 1-20 lower-case letters or digits");
    }
  }
  return {};
}

Result<CloudEvent> fromRecord(const KafkaRecord& record) {
  CloudEvent event;
  bool haveSpec = false;
  bool haveContentType = false;
  for (const auto& h : record.headers) {
    if (h.name == "content-type") {
      event.dataContentType = h.value;
      haveContentType = true;
      continue;
    }
    if (!h.name.starts_with(kPrefix)) continue;
    const std::string attr = h.name.substr(kPrefix.size());
    if (attr == "specversion") {
      event.specversion = h.value;
      haveSpec = true;
    } else if (attr == "id") {
      event.id = h.value;
    } else if (attr == "source") {
      event.source = h.value;
    } else if (attr == "type") {
      event.type = h.value;
    } else if (attr == "time") {
      event.time = h.value;
    } else if (attr == "subject") {
      event.subject = h.value;
    } else {
      event.extensions.emplace_back(attr, h.value);
    }
  }
  if (!haveSpec) return Error::permanent("ce_specversion: required header is missing");
  if (event.specversion != "1.0") {
    return Error::permanent("ce_specversion: unsupported version \"" + event.specversion + "\"");
  }
  if (event.id.empty()) return Error::permanent("ce_id: required header is missing or empty");
  if (event.source.empty()) {
    return Error::permanent("ce_source: required header is missing or empty");
  }
  if (event.type.empty()) return Error::permanent("ce_type: required header is missing or empty");
  if (!haveContentType) return Error::permanent("content-type: required header is missing");
  if (!event.dataContentType.starts_with("application/json")) {
    return Error::permanent("content-type: expected application/json, got \"" +
                            event.dataContentType + "\"");
  }
  event.data = record.value;
  return event;
}

}  // namespace binding
}  // namespace wayhome::bus
