#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <wayhome/bus/audit.hpp>
#include <wayhome/core/ids.hpp>

namespace wayhome::bus::audit {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void text(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void field(Writer& w, const char* name, std::string_view value) {
  if (value.empty()) return;
  w.Key(name);
  text(w, value);
}

// At most `max` bytes, never cutting a UTF-8 sequence.
std::string_view cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

void disclosures(Writer& w, const std::vector<Disclosure>& list) {
  w.Key("disclosed");
  w.StartArray();
  for (const auto& d : list) {
    w.StartObject();
    field(w, "to_sector", d.toSector);
    w.Key("fields");
    w.StartArray();
    for (const auto& f : d.fields)
      text(w, f);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string idFor(std::string_view prefix, std::string_view material) {
  return std::string(prefix) + stableHexId(material);
}

CloudEvent event(const Record& r) {
  const std::string at = formatRfc3339(r.decidedAt);
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  field(w, "audit_id", r.id);
  field(w, "decided_at", at);
  field(w, "service", r.service);
  field(w, "source_event_id", r.sourceEventId);
  field(w, "person_ref", r.personRef);
  field(w, "actor", r.actor);
  w.Key("decisions");
  w.StartArray();
  for (const auto& e : r.decisions) {
    w.StartObject();
    field(w, "decision", e.decision);
    field(w, "rule_id", e.ruleId);
    if (e.action >= 0) {
      w.Key("action");
      w.Int(e.action);
    }
    if (e.sourceEventId != r.sourceEventId) field(w, "source_event_id", e.sourceEventId);
    field(w, "referral_id", e.referralId);
    field(w, "consent_id", e.consentId);
    field(w, "meeting_id", e.meetingId);
    field(w, "to_sector", e.toSector);
    field(w, "topic", e.topic);
    field(w, "output_id", e.outputId);
    disclosures(w, e.disclosed);
    field(w, "detail", cut(e.detail, 1000));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  CloudEvent e;
  e.id = r.id;
  e.source = r.source;
  e.type = std::string(kType);
  e.time = at;
  e.subject = !r.subject.empty()         ? r.subject
              : !r.personRef.empty()     ? r.personRef
              : !r.sourceEventId.empty() ? r.sourceEventId
                                         : r.id;
  e.data.assign(buffer.GetString(), buffer.GetSize());
  return e;
}

}  // namespace wayhome::bus::audit
