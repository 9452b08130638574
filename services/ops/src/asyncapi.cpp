#include <map>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/schemas/json_writer.hpp>

#include "ops_api.hpp"

namespace wayhome::services {
namespace {

using namespace schemas::json;

struct Channel {
  std::string topic;
  std::string description;
  std::vector<std::string> typePrefixes;  ///< message types on it start with one of these
};

/// Which message types travel on which topic: the one table the AsyncAPI document is
/// generated from.
std::vector<Channel> channels(const bus::Topics& topics) {
  static const std::map<std::string, std::vector<std::string>> kSourceTypes{
      {"gerica", {"care."}},
      {"plania", {"housing.", "tenancy.", "property."}},
      {"loan", {"loan."}},
  };
  std::vector<Channel> out;
  for (const auto& source : bus::Topics::sources()) {
    auto it = kSourceTypes.find(source);
    out.push_back({topics.cases(source),
                   "Canonical case events from the " + source + " connector, keyed by person_ref.",
                   it == kSourceTypes.end() ? std::vector<std::string>{} : it->second});
  }
  out.push_back({topics.consentEvents(),
                 "Consents granted and withdrawn, keyed by person_ref.",
                 {"consent."}});
  for (const auto& sector : topics.sectorNames()) {
    out.push_back({topics.referrals(sector),
                   "Referrals to the " + sector +
                       " sector with only the facts it may see; its acknowledgements and "
                       "closings.",
                   {"referral."}});
  }
  out.push_back(
      {topics.noticeRequests(), "Requests from the router to the scheduler.", {"notice."}});
  out.push_back(
      {topics.meetingNotices(), "Meeting notices with their iCalendar invitation.", {"meeting."}});
  for (const auto& sector : topics.sectorNames()) {
    out.push_back({topics.sectorNotices(sector),
                   "Meeting notices of meetings where the " + sector +
                       " sector takes part (a copy of notices.meetings, with its own event id).",
                   {"meeting."}});
  }
  out.push_back(
      {topics.auditDecisions(), "Every decision and what was disclosed to whom.", {"audit."}});
  out.push_back({topics.reports(),
                 "Reports of months and tertials made (aggregates only, docs/REPORTS.md).",
                 {"report."}});
  return out;
}

// {"type": "string"}
void writeStringType(JsonWriter& w) {
  w.StartObject();
  member(w, "type", "string");
  w.EndObject();
}

// "bindings": {"kafka": {<what `fields` writes>, "bindingVersion": "0.4.0"}}
template <typename Fields>
void writeKafkaBindings(JsonWriter& w, const Fields& fields) {
  key(w, "bindings");
  w.StartObject();
  key(w, "kafka");
  w.StartObject();
  fields();
  member(w, "bindingVersion", "0.4.0");
  w.EndObject();
  w.EndObject();
}

void writeHeaders(JsonWriter& w) {
  // The CloudEvents Kafka binary-mode binding: attributes travel as headers.
  w.StartObject();
  member(w, "type", "object");
  key(w, "required");
  w.StartArray();
  for (const char* h : {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"})
    string(w, h);
  w.EndArray();
  key(w, "properties");
  w.StartObject();
  for (const char* h : {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject",
                        "content-type"}) {
    key(w, h);
    writeStringType(w);
  }
  w.EndObject();
  w.EndObject();
}

void writeDocument(JsonWriter& w, const schemas::SchemaRegistry& schemas,
                   const bus::Topics& topics) {
  w.StartObject();
  member(w, "asyncapi", "2.6.0");
  key(w, "info");
  w.StartObject();
  member(w, "title", "wayhome");
  member(w, "version", WAYHOME_VERSION);
  member(w, "description",
         "The Way Home's event bus: canonical case events from GERICA/LMP, Plania and the "
         "start-up loan system, cross-sector referrals and meeting notices. Every message is a "
         "CloudEvent in Kafka binary mode; the key is the person_ref (or the case id).");
  w.EndObject();
  member(w, "defaultContentType", "application/json");
  key(w, "channels");
  w.StartObject();
  const auto types = schemas.types();
  for (const auto& channel : channels(topics)) {
    std::vector<std::string> on;
    for (const auto& type : types) {
      for (const auto& prefix : channel.typePrefixes) {
        if (type.rfind(prefix, 0) == 0) on.push_back(type);
      }
    }
    key(w, channel.topic);
    w.StartObject();
    member(w, "description", channel.description);
    key(w, "subscribe");
    w.StartObject();
    std::string id = "read_" + channel.topic;
    for (auto& c : id) {
      if (c == '.' || c == '-') c = '_';
    }
    member(w, "operationId", id);
    key(w, "message");
    w.StartObject();
    key(w, "oneOf");
    w.StartArray();
    for (const auto& type : on) {
      w.StartObject();
      member(w, "$ref", "#/components/messages/" + type);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    w.EndObject();
    writeKafkaBindings(w, [&] { member(w, "topic", channel.topic); });
    w.EndObject();
  }
  w.EndObject();
  key(w, "components");
  w.StartObject();
  key(w, "messages");
  w.StartObject();
  for (const auto& type : types) {
    const auto* schema = schemas.find(type);
    key(w, type);
    w.StartObject();
    member(w, "name", type);
    member(w, "title", type);
    member(w, "contentType", "application/json");
    key(w, "headers");
    writeHeaders(w);
    key(w, "payload");
    w.RawValue(schema->text().data(), schema->text().size(), rapidjson::kObjectType);
    writeKafkaBindings(w, [&] {
      key(w, "key");
      writeStringType(w);
    });
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string asyncApiDocument(const schemas::SchemaRegistry& schemas, const bus::Topics& topics) {
  return schemas::json::text([&](JsonWriter& w) { writeDocument(w, schemas, topics); });
}

}  // namespace wayhome::services
