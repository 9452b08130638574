#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <sstream>
#include <vector>

#include <pugixml.hpp>

#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/gerica/message.hpp>
#include <wayhome/schemas/json_text.hpp>

namespace wayhome::connectors::gerica {
namespace {

constexpr std::string_view kHead = "MsgHead/MsgInfo/";

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// The id shape of the canonical schemas: ^[A-Za-z0-9._:-]+$, 1 to 128 characters.
bool isIdText(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
}

// ^[a-z][a-z0-9_]{0,63}$: a role such as home_care_nurse.
bool isRole(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || c == '_'; });
}

bool isOrgId(std::string_view s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), isDigit);
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// What we may say back about a value the sender gave: short, printable, and never
// anything shaped like an identity number.
std::string echoValue(std::string_view s) {
  if (hasIdentityNumberShape(s)) return "(a value with an 11-digit run, withheld)";
  std::string out = "'";
  for (char c : s.substr(0, 64))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 64) out += "...";
  return out + "'";
}

std::string_view localName(const pugi::xml_node& n) {
  std::string_view s = n.name();
  const auto colon = s.find(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

// Element children called `name` (any namespace prefix).
std::vector<pugi::xml_node> children(const pugi::xml_node& parent, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (auto c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && localName(c) == name) out.push_back(c);
  }
  return out;
}

struct Rejected {
  Problem problem;
};

// The one child called `name`, nothing when missing and `required` is false.
// Throws Rejected naming `path` when it is missing (and required) or repeated.
pugi::xml_node single(const pugi::xml_node& parent, std::string_view name, const std::string& path,
                      std::string_view code, bool required = true) {
  auto found = children(parent, name);
  if (found.size() > 1) throw Rejected{{std::string(code), path + ": appears more than once"}};
  if (found.empty()) {
    if (required) throw Rejected{{std::string(code), path + ": is required"}};
    return {};
  }
  return found.front();
}

std::string text(const pugi::xml_node& n) {
  return trim(n.text().get());
}

std::string attr(const pugi::xml_node& n, const char* name) {
  return trim(n.attribute(name).value());
}

// The organisation number of a party (Sender, Receiver) at `path`:
// Organisation/Ident/Id, one each, 1 to 9 digits; anything else is refused with `code`.
std::string orgIdOf(const pugi::xml_node& party, const std::string& path, std::string_view code) {
  const std::string org = path + "/Organisation";
  const auto organisation = single(party, "Organisation", org, code);
  const auto ident = single(organisation, "Ident", org + "/Ident", code);
  const std::string id = text(single(ident, "Id", org + "/Ident/Id", code));
  if (!isOrgId(id)) {
    throw Rejected{{std::string(code), org + "/Ident/Id: must be an organisation number or "
                                             "HER-id of 1 to 9 digits"}};
  }
  return id;
}

// ---- the code table --------------------------------------------------------------

enum class Kind { kEnum, kRole, kDate, kSector };

struct Fact {
  std::string_view name;  // Opplysning/@Navn
  Kind kind;
  bool required;
  bool repeated = false;                      // kSector lists: one Opplysning per sector
  std::vector<std::string_view> values = {};  // kEnum
};

struct Code {
  std::string_view code;       // TemaKodet/@V
  std::string_view eventType;  // canonical type
  std::vector<Fact> facts;
  bool request = false;  // also allowed in a DIALOG_FORESPORSEL
};

const std::vector<Code>& codeTable() {
  // A service granted or ended: the same facts, the outcome told by the code.
  static const std::vector<Fact> serviceDecision{
      {"service",
       Kind::kEnum,
       true,
       false,
       {"home_nursing", "practical_assistance", "mental_health_follow_up",
        "substance_abuse_follow_up", "safety_alarm", "meals_on_wheels", "day_care", "other"}},
      {"valid_from", Kind::kDate, false},
      {"valid_to", Kind::kDate, false}};
  static const std::vector<Code> kCodes{
      {"HOUSING_NEED",
       "care.housing_need_observed.v1",
       {{"need",
         Kind::kEnum,
         true,
         false,
         {"unsuitable_dwelling", "needs_adaptation", "risk_of_eviction", "homeless_or_at_risk",
          "unsafe_living_conditions", "other"}},
        {"urgency", Kind::kEnum, true, false, {"normal", "urgent"}},
        {"observer_role", Kind::kRole, true}},
       true},
      {"SERVICE_GRANTED", "care.service_decision.v1", serviceDecision},
      {"SERVICE_ENDED", "care.service_decision.v1", serviceDecision},
      {"PLAN_UPDATED",
       "care.individual_plan_updated.v1",
       {{"coordinator_role", Kind::kRole, true},
        {"coordinator_sector", Kind::kSector, false},
        {"sector", Kind::kSector, true, true}}},
      {"CONSENT_GRANTED",
       "consent.granted.v1",
       {{"to_sector", Kind::kSector, true, true},
        {"purpose",
         Kind::kEnum,
         true,
         false,
         {"housing_follow_up", "financial_advice", "social_services", "care_coordination",
          "housing_need"}},
        {"valid_until", Kind::kDate, true}}},
      {"CONSENT_WITHDRAWN", "consent.withdrawn.v1", {}},
  };
  return kCodes;
}

std::string knownCodes() {
  std::string out;
  for (const auto& c : codeTable())
    out += (out.empty() ? "" : ", ") + std::string(c.code);
  return out;
}

// The body element of each message type and the names of its parts.
struct BodyShape {
  std::string_view msgType;
  std::string_view element;
  std::string_view docId;
  std::string_view date;
  std::string_view text;
};

constexpr std::array<BodyShape, 2> kBodies{{
    {"DIALOG_NOTAT", "Notat", "DokIdNotat", "DatoNotat", "TekstNotatInnhold"},
    {"DIALOG_FORESPORSEL", "Foresporsel", "DokIdForesp", "DatoForesp", "Sporsmal"},
}};

// ---- parsing ---------------------------------------------------------------------

bool containsNoCase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
    return a == b;
  });
  return it != hay.end();
}

void readEnvelope(const pugi::xml_node& root, const ParseOptions& options, Parsed& out,
                  const PersonRefFn& personRef, std::string& personRefOut) {
  const std::string info = "MsgHead/MsgInfo";
  auto msgInfo = single(root, "MsgInfo", info, kBadEnvelope.code);

  // The id first: everything after it can be answered with a receipt that names it.
  auto msgIdNode = single(msgInfo, "MsgId", std::string(kHead) + "MsgId", kBadMsgId.code);
  const std::string msgId = text(msgIdNode);
  if (msgId.empty())
    throw Rejected{{std::string(kBadMsgId.code), std::string(kHead) + "MsgId: is empty"}};
  if (!isIdText(msgId)) {
    throw Rejected{{std::string(kBadMsgId.code),
                    std::string(kHead) + "MsgId: must be 1 to 128 of A-Z a-z 0-9 . _ : -"}};
  }
  if (hasIdentityNumberShape(msgId)) {
    throw Rejected{
        {std::string(kBadMsgId.code), std::string(kHead) + "MsgId: must not hold an 11-digit run"}};
  }
  out.head.msgId = msgId;

  const std::string senderPath = std::string(kHead) + "Sender";
  out.head.senderOrgId = orgIdOf(single(msgInfo, "Sender", senderPath, kBadEnvelope.code),
                                 senderPath, kBadEnvelope.code);

  auto type = single(msgInfo, "Type", std::string(kHead) + "Type", kBadEnvelope.code);
  const std::string msgType = attr(type, "V");
  if (msgType.empty()) {
    throw Rejected{{std::string(kBadEnvelope.code), std::string(kHead) + "Type/@V: is required"}};
  }
  const bool knownType = std::any_of(kBodies.begin(), kBodies.end(),
                                     [&](const BodyShape& b) { return b.msgType == msgType; });
  if (!knownType) {
    throw Rejected{{std::string(kBadEnvelope.code),
                    std::string(kHead) + "Type/@V: unknown message type " + echoValue(msgType) +
                        " (expected DIALOG_NOTAT or DIALOG_FORESPORSEL)"}};
  }
  out.head.msgType = msgType;

  const std::string genDate =
      text(single(msgInfo, "GenDate", std::string(kHead) + "GenDate", kBadEnvelope.code));
  if (!isRfc3339(genDate)) {
    throw Rejected{{std::string(kBadEnvelope.code),
                    std::string(kHead) +
                        "GenDate: must be an RFC 3339 date-time, e.g. 2026-11-01T10:00:00+01:00"}};
  }
  out.head.genDate = genDate;

  const std::string receiverPath = std::string(kHead) + "Receiver";
  auto receiver =
      single(msgInfo, "Receiver", receiverPath, kBadEnvelope.code, !options.receiverOrgId.empty());
  if (receiver) {
    const std::string id = orgIdOf(receiver, receiverPath, kWrongReceiver.code);
    if (!options.receiverOrgId.empty() && id != options.receiverOrgId) {
      throw Rejected{{std::string(kWrongReceiver.code),
                      std::string(kHead) + "Receiver/Organisation/Ident/Id: " + echoValue(id) +
                          " is not this receiver (" + options.receiverOrgId + ")"}};
    }
    out.head.receiverOrgId = id;
  }

  // The patient: the Ident typed FNR, DNR or HNR (or the one untyped Ident).
  const std::string patientPath = std::string(kHead) + "Patient";
  auto patient = single(msgInfo, "Patient", patientPath, kBadPatient.code);
  pugi::xml_node nin;
  int untyped = 0;
  pugi::xml_node firstUntyped;
  for (const auto& ident : children(patient, "Ident")) {
    auto typeId = single(ident, "TypeId", patientPath + "/Ident/TypeId", kBadPatient.code, false);
    const std::string v = typeId ? attr(typeId, "V") : std::string();
    if (v == "FNR" || v == "DNR" || v == "HNR") {
      if (nin) {
        throw Rejected{{std::string(kBadPatient.code),
                        patientPath + "/Ident: more than one national identity number"}};
      }
      nin = ident;
    } else if (v.empty()) {
      if (++untyped == 1) firstUntyped = ident;
    }
  }
  if (!nin && untyped == 1) nin = firstUntyped;
  if (!nin) {
    throw Rejected{{std::string(kBadPatient.code),
                    patientPath + "/Ident: no national identity number (TypeId FNR, DNR or HNR)"}};
  }
  auto idNode = single(nin, "Id", patientPath + "/Ident/Id", kBadPatient.code);
  auto ref = personRef(text(idNode));
  if (!ref) {
    throw Rejected{
        {std::string(kBadPatient.code), patientPath + "/Ident/Id: " + ref.error().message}};
  }
  personRefOut = ref.value();
}

// Reads one fact's values; appends it to the JSON object in `json`.
void readFacts(const Code& code, const pugi::xml_node& body, const std::string& bodyPath,
               const ParseOptions& options, std::string& json) {
  std::vector<std::pair<std::string, std::string>> given;  // (Navn, V) in document order
  for (const auto& o : children(body, "Opplysning")) {
    const std::string name = attr(o, "Navn");
    const auto fact = std::find_if(code.facts.begin(), code.facts.end(),
                                   [&](const Fact& f) { return f.name == name; });
    if (name.empty()) {
      throw Rejected{{std::string(kBadBody.code), bodyPath + "/Opplysning/@Navn: is required"}};
    }
    if (fact == code.facts.end()) {
      throw Rejected{
          {std::string(kBadBody.code), bodyPath + "/Opplysning[@Navn=" + echoValue(name) +
                                           "]: is not used with code " + std::string(code.code)}};
    }
    given.emplace_back(name, attr(o, "V"));
  }
  for (const auto& f : code.facts) {
    const std::string path = bodyPath + "/Opplysning[@Navn='" + std::string(f.name) + "']";
    std::vector<std::string> values;
    for (const auto& [name, value] : given) {
      if (name == f.name) values.push_back(value);
    }
    if (values.empty()) {
      if (f.required) throw Rejected{{std::string(kBadBody.code), path + ": is required"}};
      continue;
    }
    if (values.size() > 1 && !f.repeated) {
      throw Rejected{{std::string(kBadBody.code), path + ": appears more than once"}};
    }
    for (const auto& v : values) {
      if (v.empty()) throw Rejected{{std::string(kBadBody.code), path + "/@V: is required"}};
      bool ok = true;
      std::string expected;
      switch (f.kind) {
        case Kind::kEnum:
          ok = std::find(f.values.begin(), f.values.end(), v) != f.values.end();
          for (auto e : f.values)
            expected += (expected.empty() ? "" : ", ") + std::string(e);
          expected = "one of " + expected;
          break;
        case Kind::kSector:
          ok =
              std::find(options.sectors.begin(), options.sectors.end(), v) != options.sectors.end();
          expected = "a configured sector (";
          for (std::size_t i = 0; i < options.sectors.size(); ++i)
            expected += (i == 0 ? "" : ", ") + options.sectors[i];
          expected += ")";
          break;
        case Kind::kRole:
          ok = isRole(v);
          expected = "a role of a-z 0-9 _ starting with a letter, e.g. home_care_nurse";
          break;
        case Kind::kDate:
          ok = isIsoDate(v);
          expected = "a date YYYY-MM-DD";
          break;
      }
      if (!ok) {
        throw Rejected{{std::string(kBadBody.code),
                        path + "/@V: " + echoValue(v) + " is not valid; expected " + expected}};
      }
    }
    if (f.repeated) {
      std::set<std::string> unique(values.begin(), values.end());
      if (unique.size() != values.size()) {
        throw Rejected{{std::string(kBadBody.code), path + ": names a value twice"}};
      }
    }
    // Canonical field names where they differ from the message's.
    std::string field(f.name);
    if (field == "need") field = "need_code";
    if (field == "service") field = "service_code";
    if (field == "sector") field = "sectors";
    if (field == "to_sector") field = "to_sectors";
    json += ',';
    schemas::appendJsonString(json, field);
    json += ':';
    if (f.repeated) {
      json += '[';
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) json += ',';
        schemas::appendJsonString(json, values[i]);
      }
      json += ']';
    } else {
      schemas::appendJsonString(json, values.front());
    }
  }
}

void readBody(const pugi::xml_node& root, const ParseOptions& options, Parsed& out,
              const std::string& personRef) {
  const BodyShape& shape = *std::find_if(kBodies.begin(), kBodies.end(), [&](const BodyShape& b) {
    return b.msgType == out.head.msgType;
  });
  std::string path = "MsgHead/Document";
  auto document = single(root, "Document", path, kBadBody.code);
  auto refDoc = single(document, "RefDoc", path += "/RefDoc", kBadBody.code);
  auto content = single(refDoc, "Content", path += "/Content", kBadBody.code);
  auto dialog = single(content, "Dialogmelding", path += "/Dialogmelding", kBadBody.code);
  auto body =
      single(dialog, shape.element, path += "/" + std::string(shape.element), kBadBody.code);

  auto tema = single(body, "TemaKodet", path + "/TemaKodet", kBadBody.code);
  const std::string codeText = attr(tema, "V");
  if (codeText.empty()) {
    throw Rejected{{std::string(kBadBody.code), path + "/TemaKodet/@V: is required"}};
  }
  const auto code = std::find_if(codeTable().begin(), codeTable().end(),
                                 [&](const Code& c) { return c.code == codeText; });
  if (code == codeTable().end()) {
    throw Rejected{{std::string(kUnknownCode.code), path + "/TemaKodet/@V: unknown code " +
                                                        echoValue(codeText) +
                                                        " (known: " + knownCodes() + ")"}};
  }
  if (shape.msgType == "DIALOG_FORESPORSEL" && !code->request) {
    throw Rejected{{std::string(kUnknownCode.code), path + "/TemaKodet/@V: code " + codeText +
                                                        " is not used in a DIALOG_FORESPORSEL"}};
  }
  out.code = codeText;

  const std::string docIdPath = path + "/" + std::string(shape.docId);
  const std::string docId = text(single(body, shape.docId, docIdPath, kBadBody.code));
  if (!isIdText(docId)) {
    throw Rejected{
        {std::string(kBadBody.code), docIdPath + ": must be 1 to 128 of A-Z a-z 0-9 . _ : -"}};
  }
  if (hasIdentityNumberShape(docId)) {
    throw Rejected{{std::string(kBadBody.code), docIdPath + ": must not hold an 11-digit run"}};
  }
  out.recordId = docId;

  const std::string datePath = path + "/" + std::string(shape.date);
  const std::string when = text(single(body, shape.date, datePath, kBadBody.code));
  if (!isRfc3339(when)) {
    throw Rejected{{std::string(kBadBody.code),
                    datePath + ": must be an RFC 3339 date-time, e.g. 2026-11-01T09:40:00+01:00"}};
  }

  const std::string textPath = path + "/" + std::string(shape.text);
  auto textNode = single(body, shape.text, textPath, kBadBody.code, false);
  const std::string note = textNode ? text(textNode) : std::string();
  if (hasIdentityNumberShape(note)) {
    throw Rejected{{std::string(kBadBody.code),
                    textPath +
                        ": holds an 11-digit run; identity numbers go in MsgHead/MsgInfo/Patient "
                        "only"}};
  }
  if (!text::validUtf8(note)) {
    throw Rejected{{std::string(kBadBody.code), textPath + ": is not valid UTF-8"}};
  }
  if (note.size() > 1000) {
    throw Rejected{{std::string(kBadBody.code), textPath + ": longer than 1000 bytes"}};
  }

  std::string json;
  auto member = [&](std::string_view name, std::string_view value) {
    json += json.empty() ? "{" : ",";
    schemas::appendJsonString(json, name);
    json += ':';
    schemas::appendJsonString(json, value);
  };
  const std::string_view type = code->eventType;
  if (type == "care.housing_need_observed.v1") {
    member("observation_id", docId);
  } else if (type == "care.service_decision.v1") {
    member("decision_id", docId);
  } else if (type == "care.individual_plan_updated.v1") {
    member("plan_id", docId);
  } else {
    member("consent_id", docId);
  }
  member("person_ref", personRef);
  readFacts(*code, body, path, options, json);
  if (type == "care.housing_need_observed.v1") {
    member("observed_at", when);
    if (!note.empty()) member("note", note);
  } else if (type == "care.service_decision.v1") {
    member("outcome", code->code == "SERVICE_GRANTED" ? "granted" : "ended");
    member("decided_date", std::string_view(when).substr(0, 10));
  } else if (type == "care.individual_plan_updated.v1") {
    member("updated_at", when);
  } else if (type == "consent.granted.v1") {
    member("from_sector", "health_care");
    member("granted_at", when);
    member("recorded_by", "gerica");
  } else {
    member("withdrawn_at", when);
    member("recorded_by", "gerica");
  }
  json += '}';

  out.event.type = std::string(type);
  out.event.subject = personRef;
  out.event.data = std::move(json);
  out.event.time = when;
}

}  // namespace

std::string_view problemName(std::string_view code) {
  for (const auto& error : {kNotXml, kForbiddenXml, kTooLarge, kBadMsgId, kBadEnvelope,
                            kWrongReceiver, kBadPatient, kUnknownCode, kBadBody}) {
    if (error.code == code) return error.name;
  }
  return "Other error";
}

Parsed parseMessage(std::string_view xml, const ParseOptions& options,
                    const PersonRefFn& personRef) {
  Parsed out;
  if (xml.size() > options.maxBytes) {
    out.problem = Problem{std::string(kTooLarge.code), "message: " + std::to_string(xml.size()) +
                                                           " bytes exceed the limit of " +
                                                           std::to_string(options.maxBytes)};
    return out;
  }
  // Refused before parsing: no entity is ever declared, so none can expand (billion
  // laughs) or reach outside (XXE), and pugixml's DOCTYPE scanner never sees hostile
  // nesting.
  if (containsNoCase(xml, "<!DOCTYPE") || containsNoCase(xml, "<!ENTITY")) {
    out.problem = Problem{std::string(kForbiddenXml.code),
                          "DOCTYPE: document type and entity declarations are not accepted"};
    return out;
  }
  pugi::xml_document doc;
  const auto result = doc.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype | pugi::parse_declaration,
      pugi::encoding_auto);
  if (!result) {
    const auto offset = static_cast<std::size_t>(std::max<std::ptrdiff_t>(result.offset, 0));
    out.problem = Problem{std::string(kNotXml.code),
                          std::string("message: not well-formed XML: ") + result.description() +
                              " at " + schemas::describeOffset(xml, std::min(offset, xml.size()))};
    return out;
  }
  pugi::xml_node root;
  for (auto n = doc.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype) {
      out.problem = Problem{std::string(kForbiddenXml.code),
                            "DOCTYPE: document type and entity declarations are not accepted"};
      return out;
    }
    if (n.type() == pugi::node_element) root = n;
  }
  if (!root) {
    out.problem = Problem{std::string(kNotXml.code), "message: no root element"};
    return out;
  }
  if (localName(root) != "MsgHead") {
    out.problem = Problem{std::string(kNotXml.code),
                          "root element: must be MsgHead, got " + echoValue(localName(root))};
    return out;
  }
  try {
    std::string ref;
    readEnvelope(root, options, out, personRef, ref);
    readBody(root, options, out, ref);
  } catch (const Rejected& r) {
    out.problem = r.problem;
    out.event = {};
  }
  return out;
}

std::string appRec(const ReceiptSender& us, const Envelope& head,
                   const std::optional<Problem>& problem, std::string_view receiptId,
                   std::string_view genDate) {
  pugi::xml_document doc;
  auto root = doc.append_child("AppRec");
  root.append_attribute("xmlns") = "http://www.kith.no/xmlstds/apprec/2012-02-15";
  auto msgType = root.append_child("MsgType");
  msgType.append_attribute("V") = "APPREC";
  root.append_child("MIGversion").text() = "v1.1 2012-02-15";
  root.append_child("GenDate").text() = std::string(genDate).c_str();
  root.append_child("Id").text() = std::string(receiptId).c_str();
  auto party = [](pugi::xml_node parent, const char* role, const std::string& name,
                  const std::string& id) {
    auto inst = parent.append_child(role).append_child("HCP").append_child("Inst");
    if (!name.empty()) inst.append_child("Name").text() = name.c_str();
    if (!id.empty()) {
      inst.append_child("Id").text() = id.c_str();
      auto typeId = inst.append_child("TypeId");
      typeId.append_attribute("V") = "ENH";
      typeId.append_attribute("DN") = "Organisasjonsnummeret i Enhetsregisteret";
    }
  };
  party(root, "Sender", us.name, us.orgId);
  party(root, "Receiver", "", head.senderOrgId);
  auto status = root.append_child("Status");
  status.append_attribute("V") = problem ? "2" : "1";
  status.append_attribute("DN") = problem ? "Avvist" : "OK";
  if (problem) {
    auto error = root.append_child("Error");
    error.append_attribute("V") = problem->code.c_str();
    error.append_attribute("S") = "2.16.578.1.12.4.1.1.8221";
    error.append_attribute("DN") = std::string(problemName(problem->code)).c_str();
    error.append_child("Details").text() = problem->text.c_str();
  }
  if (!head.msgId.empty()) {
    auto original = root.append_child("OriginalMsgId");
    auto t = original.append_child("MsgType");
    t.append_attribute("V") = head.msgType.empty() ? "UNKNOWN" : head.msgType.c_str();
    if (!head.genDate.empty()) original.append_child("IssueDate").text() = head.genDate.c_str();
    original.append_child("Id").text() = head.msgId.c_str();
  }
  std::ostringstream os;
  doc.save(os, "  ", pugi::format_default | pugi::format_no_declaration, pugi::encoding_utf8);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + os.str();
}

Result<ReceiptView> readAppRec(std::string_view xml) {
  if (containsNoCase(xml, "<!DOCTYPE") || containsNoCase(xml, "<!ENTITY")) {
    return Error::permanent("receipt: DOCTYPE is not accepted");
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return Error::permanent("receipt: not XML");
  auto root = doc.document_element();
  if (localName(root) != "AppRec") return Error::permanent("receipt: not an AppRec");
  ReceiptView v;
  auto first = [](const pugi::xml_node& parent, std::string_view name) {
    auto found = children(parent, name);
    return found.empty() ? pugi::xml_node() : found.front();
  };
  v.ok = attr(first(root, "Status"), "V") == "1";
  auto error = first(root, "Error");
  v.errorCode = attr(error, "V");
  v.details = text(first(error, "Details"));
  v.originalMsgId = text(first(first(root, "OriginalMsgId"), "Id"));
  return v;
}

}  // namespace wayhome::connectors::gerica
