// The GERICA message contract: MsgHead envelope, Dialogmelding body, the code table,
// the AppRec receipt, and malformed, hostile, oversized and invalid input.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/connectors/connector.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/gerica/message.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::connectors::gerica {
namespace {

namespace t = wayhome::testing;

const std::string kNin = "15838510075";  // synthetic (Tenor)
const std::string kKey = "0123456789abcdef0123456789abcdef-unit-test-key";

/// The parts of a test message; each test changes what it is about.
struct Msg {
  std::string type = "DIALOG_NOTAT";
  std::string msgId = "MSG-2026-0001";
  std::string genDate = "2026-11-01T10:00:00+01:00";
  std::string sender = "974600951";
  std::string receiver = "921234567";
  std::string patient = "<Ident><Id>" + kNin + "</Id><TypeId V=\"FNR\"/></Ident>";
  std::string code = "HOUSING_NEED";
  std::string docId = "OBS-42";
  std::string date = "2026-11-01T09:40:00+01:00";
  std::string facts =
      R"(<Opplysning Navn="need" V="risk_of_eviction"/><Opplysning Navn="urgency" V="urgent"/><Opplysning Navn="observer_role" V="home_care_nurse"/>)";
  std::string note = "<TekstNotatInnhold>Rent unpaid for three months.</TekstNotatInnhold>";

  [[nodiscard]] std::string xml() const {
    const bool request = type == "DIALOG_FORESPORSEL";
    const std::string element = request ? "Foresporsel" : "Notat";
    const std::string idTag = request ? "DokIdForesp" : "DokIdNotat";
    const std::string dateTag = request ? "DatoForesp" : "DatoNotat";
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">
  <MsgInfo>
    <Type V=")" +
           type + R"(" DN="Notat"/>
    <MIGversion>v1.2 2006-05-24</MIGversion>
    <GenDate>)" +
           genDate + "</GenDate>\n    <MsgId>" + msgId +
           "</MsgId>\n    <Sender><Organisation><OrganisationName>Hjemmetjenesten</"
           "OrganisationName><Ident><Id>" +
           sender +
           "</Id><TypeId V=\"ENH\"/></Ident></Organisation></Sender>\n"
           "    <Receiver><Organisation><Ident><Id>" +
           receiver + "</Id><TypeId V=\"ENH\"/></Ident></Organisation></Receiver>\n" +
           "    <Patient>" + patient + "</Patient>\n  </MsgInfo>\n" +
           "  <Document><RefDoc><MsgType V=\"XML\"/><Content><Dialogmelding "
           "xmlns=\"http://www.kith.no/xmlstds/dialog/2006-10-11\"><" +
           element + "><TemaKodet V=\"" + code + "\"/><" + idTag + ">" + docId + "</" + idTag +
           "><" + dateTag + ">" + date + "</" + dateTag + ">" + facts + note + "</" + element +
           "></Dialogmelding></Content></RefDoc></Document>\n</MsgHead>\n";
  }
};

class GericaMessage : public ::testing::Test {
 protected:
  Parsed parse(const std::string& xml, ParseOptions options = {}) {
    return parseMessage(xml, options, [&](std::string_view n) { return refs_.personRef(n); });
  }

  // Rejected with `code`, the reason naming `mention`, nothing mapped, no identity number.
  void expectRejected(const std::string& xml, std::string_view code, const std::string& mention,
                      ParseOptions options = {}) {
    const auto p = parse(xml, options);
    ASSERT_TRUE(p.problem.has_value()) << xml;
    EXPECT_EQ(p.problem->code, code) << p.problem->text;
    EXPECT_NE(p.problem->text.find(mention), std::string::npos) << p.problem->text;
    EXPECT_FALSE(hasIdentityNumberShape(p.problem->text)) << p.problem->text;
    EXPECT_TRUE(p.event.type.empty());
    EXPECT_TRUE(p.event.data.empty());
  }

  // Mapped onto `type`, schema-valid, keyed by the person_ref, no identity number, and
  // each {member, value} of `strings` a string member of the event's data.
  rapidjson::Document expectMapped(
      const Msg& m, const std::string& type,
      std::initializer_list<std::pair<const char*, const char*>> strings = {}) {
    const auto p = parse(m.xml());
    EXPECT_FALSE(p.problem.has_value()) << (p.problem ? p.problem->text : "");
    EXPECT_EQ(p.event.type, type);
    EXPECT_EQ(p.head.msgId, m.msgId);
    EXPECT_EQ(p.head.senderOrgId, m.sender);
    EXPECT_EQ(p.recordId, m.docId);
    EXPECT_EQ(p.event.subject, refs_.personRef(kNin).value());
    EXPECT_EQ(p.event.time, m.date);
    EXPECT_FALSE(schemas_.validate(type, p.event.data).has_value())
        << p.event.data << " " << schemas_.validate(type, p.event.data)->message;
    EXPECT_FALSE(hasIdentityNumberShape(p.event.data)) << p.event.data;
    rapidjson::Document d;
    d.Parse(p.event.data.c_str());
    EXPECT_TRUE(d.IsObject()) << p.event.data;
    if (d.IsObject()) {
      EXPECT_EQ(std::string(d["person_ref"].GetString()), p.event.subject);
      for (const auto& [name, value] : strings) {
        const bool isString = d.HasMember(name) && d[name].IsString();
        EXPECT_TRUE(isString) << name << " in " << p.event.data;
        if (isString) {
          EXPECT_STREQ(d[name].GetString(), value) << name;
        }
      }
    }
    return d;
  }

  PersonRefs refs_{kKey};
  schemas::SchemaRegistry schemas_ = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
};

TEST_F(GericaMessage, HousingNeedMapsOntoCareHousingNeedObserved) {
  Msg m;
  expectMapped(m, "care.housing_need_observed.v1",
               {{"observation_id", "OBS-42"},
                {"need_code", "risk_of_eviction"},
                {"urgency", "urgent"},
                {"observer_role", "home_care_nurse"},
                {"observed_at", "2026-11-01T09:40:00+01:00"},
                {"note", "Rent unpaid for three months."}});
}

TEST_F(GericaMessage, AHousingNeedMayComeAsARequest) {
  Msg m;
  m.type = "DIALOG_FORESPORSEL";
  m.note = "<Sporsmal>Can housing help?</Sporsmal>";
  expectMapped(m, "care.housing_need_observed.v1", {{"note", "Can housing help?"}});
}

TEST_F(GericaMessage, ServiceGrantedAndEndedMapOntoServiceDecision) {
  Msg m;
  m.code = "SERVICE_GRANTED";
  m.docId = "VED-7";
  m.facts =
      R"(<Opplysning Navn="service" V="home_nursing"/><Opplysning Navn="valid_from" V="2026-11-03"/>)";
  m.note = "";
  expectMapped(m, "care.service_decision.v1",
               {{"decision_id", "VED-7"},
                {"service_code", "home_nursing"},
                {"outcome", "granted"},
                {"decided_date", "2026-11-01"},
                {"valid_from", "2026-11-03"}});
  m.code = "SERVICE_ENDED";
  m.facts =
      R"(<Opplysning Navn="service" V="home_nursing"/><Opplysning Navn="valid_to" V="2027-01-31"/>)";
  expectMapped(m, "care.service_decision.v1", {{"outcome", "ended"}, {"valid_to", "2027-01-31"}});
}

TEST_F(GericaMessage, PlanUpdatedMapsOntoIndividualPlanUpdated) {
  Msg m;
  m.code = "PLAN_UPDATED";
  m.docId = "IP-3";
  m.facts =
      R"(<Opplysning Navn="coordinator_role" V="care_coordinator"/><Opplysning Navn="coordinator_sector" V="health_care"/><Opplysning Navn="sector" V="health_care"/><Opplysning Navn="sector" V="housing"/>)";
  auto d = expectMapped(m, "care.individual_plan_updated.v1",
                        {{"plan_id", "IP-3"},
                         {"coordinator_role", "care_coordinator"},
                         {"updated_at", "2026-11-01T09:40:00+01:00"}});
  ASSERT_EQ(d["sectors"].Size(), 2U);
  EXPECT_STREQ(d["sectors"][1].GetString(), "housing");
}

TEST_F(GericaMessage, ConsentGrantedAndWithdrawnMapOntoConsentEvents) {
  Msg m;
  m.code = "CONSENT_GRANTED";
  m.docId = "CNS-9";
  m.facts =
      R"(<Opplysning Navn="to_sector" V="housing"/><Opplysning Navn="to_sector" V="nav"/><Opplysning Navn="purpose" V="housing_need"/><Opplysning Navn="valid_until" V="2027-11-01"/>)";
  auto d = expectMapped(m, "consent.granted.v1",
                        {{"consent_id", "CNS-9"},
                         {"from_sector", "health_care"},
                         {"purpose", "housing_need"},
                         {"granted_at", "2026-11-01T09:40:00+01:00"}});
  EXPECT_EQ(d["to_sectors"].Size(), 2U);
  m.code = "CONSENT_WITHDRAWN";
  m.facts = "";
  expectMapped(m, "consent.withdrawn.v1", {{"withdrawn_at", "2026-11-01T09:40:00+01:00"}});
}

TEST_F(GericaMessage, NamespacePrefixesAndDNumbersAreAccepted) {
  Msg m;
  m.patient =
      "<Ident><Id>LOCAL-7</Id><TypeId V=\"XX\"/></Ident><Ident><Id>55838510069</Id>"
      "<TypeId V=\"DNR\"/></Ident>";
  std::string xml = m.xml();
  for (const std::string tag : {"MsgInfo>", "MsgId>"}) {
    for (auto at = xml.find(tag); at != std::string::npos; at = xml.find(tag, at + 4)) {
      xml.insert(at, "mh:");
    }
  }
  ASSERT_NE(xml.find("<mh:MsgInfo>"), std::string::npos) << xml;
  const auto p = parse(xml);
  EXPECT_FALSE(p.problem) << p.problem->text;
  EXPECT_EQ(p.event.subject, refs_.personRef("55838510069").value());
}

TEST_F(GericaMessage, HostileXmlIsRefusedBeforeAnythingExpands) {
  const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<MsgHead>&lol2;</MsgHead>)";
  expectRejected(laughs, kForbiddenXml.code, "DOCTYPE");
  const std::string xxe = R"(<?xml version="1.0"?>
<!doctype foo [<!entity xxe SYSTEM "file:///etc/passwd">]><MsgHead>&xxe;</MsgHead>)";
  expectRejected(xxe, kForbiddenXml.code, "DOCTYPE");
  expectRejected("<MsgHead><!ENTITY x \"y\"></MsgHead>", kForbiddenXml.code, "entity declarations");
}

TEST_F(GericaMessage, MalformedInputNamesTheProblem) {
  expectRejected("{\"json\": true}", kNotXml.code, "not well-formed XML");
  expectRejected("", kNotXml.code, "No document element found");
  expectRejected("<MsgHead><MsgInfo></MsgHead>", kNotXml.code, "not well-formed XML");
  expectRejected("<?xml version=\"1.0\"?><AppRec/>", kNotXml.code, "root element: must be MsgHead");
}

TEST_F(GericaMessage, DeepNestingAndBadTextAreRefusedWithoutHarm) {
  // 30000 levels: a recursive parser would exhaust its stack; this one names the field.
  std::string deep = "<MsgHead>";
  for (int i = 0; i < 30000; ++i)
    deep += "<a>";
  for (int i = 0; i < 30000; ++i)
    deep += "</a>";
  deep += "</MsgHead>";
  expectRejected(deep, kBadEnvelope.code, "MsgHead/MsgInfo: is required");
  Msg bad;
  bad.note = "<TekstNotatInnhold>caf\xC3 \xFF</TekstNotatInnhold>";
  expectRejected(bad.xml(), kBadBody.code, "TekstNotatInnhold: is not valid UTF-8");
  // Latin-1, declared, is read as what it says.
  Msg latin;
  latin.note = "<TekstNotatInnhold>Bor p\xE5 hybel</TekstNotatInnhold>";
  std::string xml = latin.xml();
  xml.replace(xml.find("UTF-8"), 5, "ISO-8859-1");
  const auto p = parse(xml);
  ASSERT_FALSE(p.problem) << p.problem->text;
  EXPECT_NE(p.event.data.find("Bor p\xC3\xA5 hybel"), std::string::npos) << p.event.data;
}

TEST_F(GericaMessage, OversizedMessagesAreRefusedUnparsed) {
  Msg m;
  m.note = "<TekstNotatInnhold>" + std::string(3000, 'x') + "</TekstNotatInnhold>";
  expectRejected(m.xml(), kTooLarge.code, "exceed the limit of 2048", ParseOptions{2048, {}});
}

// One part of an otherwise good message set to a bad value: refused with its code, the
// reason naming the field (envelope and body alike).
TEST_F(GericaMessage, EveryBadFieldIsNamed) {
  struct Case {
    std::string Msg::*field;
    std::string value;
    std::string_view code;
    const char* mention;
  };
  const std::string facts = Msg{}.facts;
  const std::string withoutUrgency =
      R"(<Opplysning Navn="need" V="risk_of_eviction"/><Opplysning Navn="observer_role" V="home_care_nurse"/>)";
  for (const auto& c : std::vector<Case>{
           {&Msg::msgId, "a/../b", kBadMsgId.code, "MsgId: must be 1 to 128"},
           {&Msg::msgId, "MSG-" + kNin, kBadMsgId.code, "MsgId: must not hold an 11-digit run"},
           {&Msg::type, "APPREC", kBadEnvelope.code, "Type/@V: unknown message type 'APPREC'"},
           {&Msg::genDate, "yesterday", kBadEnvelope.code, "GenDate: must be an RFC 3339"},
           {&Msg::sender, "ABC", kBadEnvelope.code, "Sender/Organisation/Ident/Id"},
           {&Msg::patient, "<Ident><Id>LOCAL-1</Id><TypeId V=\"XX\"/></Ident>", kBadPatient.code,
            "no national identity number"},
           // A bad check digit.
           {&Msg::patient, "<Ident><Id>15838510076</Id><TypeId V=\"FNR\"/></Ident>",
            kBadPatient.code, "Patient/Ident/Id: "},
           {&Msg::code, "HOUSING_WISH", kUnknownCode.code, "unknown code 'HOUSING_WISH'"},
           {&Msg::facts, withoutUrgency, kBadBody.code, "Opplysning[@Navn='urgency']: is required"},
           {&Msg::facts, withoutUrgency + R"(<Opplysning Navn="urgency" V="soon"/>)", kBadBody.code,
            "'soon' is not valid; expected one of normal, urgent"},
           {&Msg::facts, facts + R"(<Opplysning Navn="colour" V="red"/>)", kBadBody.code,
            "Opplysning[@Navn='colour']: is not used with code HOUSING_NEED"},
           {&Msg::facts, facts + R"(<Opplysning Navn="urgency" V="normal"/>)", kBadBody.code,
            "appears more than once"},
           {&Msg::docId, "", kBadBody.code, "DokIdNotat: must be 1 to 128"},
           {&Msg::date, "2026-13-01T09:00:00Z", kBadBody.code, "DatoNotat: must be an RFC 3339"},
           {&Msg::note, "<TekstNotatInnhold>Her fnr er " + kNin + ".</TekstNotatInnhold>",
            kBadBody.code, "TekstNotatInnhold: holds an 11-digit run"},
       }) {
    SCOPED_TRACE(c.mention);
    Msg bad;
    bad.*c.field = c.value;
    expectRejected(bad.xml(), c.code, c.mention);
  }
}

TEST_F(GericaMessage, MissingEnvelopePartsAndAnotherReceiverAreNamed) {
  auto without = [](std::string xml, const std::string& from, const std::string& to) {
    const auto at = xml.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return xml.replace(at, to.empty() ? from.size() : xml.find(to, at) + to.size() - at, "");
  };
  const Msg m;
  expectRejected(without(m.xml(), "<MsgId>", "</MsgId>"), kBadMsgId.code,
                 "MsgHead/MsgInfo/MsgId: is required");
  expectRejected(without(m.xml(), "<Patient>", "</Patient>"), kBadPatient.code,
                 "MsgHead/MsgInfo/Patient: is required");
  expectRejected(m.xml(), kWrongReceiver.code, "is not this receiver",
                 ParseOptions{1 << 20, "999"});
  // The receipt can still name a message refused after its id was read.
  const auto p = parse(without(m.xml(), "<Patient>", "</Patient>"));
  EXPECT_EQ(p.head.msgId, m.msgId);
  EXPECT_EQ(p.head.senderOrgId, m.sender);
}

TEST_F(GericaMessage, ACodeOfTheWrongKindAndAMissingDocumentAreNamed) {
  const Msg bad{.type = "DIALOG_FORESPORSEL", .code = "CONSENT_WITHDRAWN", .facts = "", .note = ""};
  expectRejected(bad.xml(), kUnknownCode.code, "not used in a DIALOG_FORESPORSEL");
  const std::string xml = Msg{}.xml();
  expectRejected(xml.substr(0, xml.find("<Document>")) + "</MsgHead>", kBadBody.code,
                 "MsgHead/Document: is required");
}

TEST_F(GericaMessage, ReceiptsSayOkOrRejectedWithCodeAndNeverTheNumber) {
  Msg m;
  const auto p = parse(m.xml());
  const std::string ok =
      appRec({"921234567", "wayhome"}, p.head, std::nullopt, "apprec-1", "2026-11-01T10:00:01Z");
  auto v = readAppRec(ok);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v.value().ok);
  EXPECT_EQ(v.value().originalMsgId, m.msgId);
  EXPECT_NE(ok.find("<Status V=\"1\" DN=\"OK\""), std::string::npos) << ok;
  EXPECT_EQ(ok, appRec({"921234567", "wayhome"}, p.head, std::nullopt, "apprec-1",
                       "2026-11-01T10:00:01Z"));

  Msg bad;
  bad.patient = "<Ident><Id>15838510076</Id><TypeId V=\"FNR\"/></Ident>";
  const auto q = parse(bad.xml());
  ASSERT_TRUE(q.problem);
  const std::string rejected = appRec({}, q.head, q.problem, "apprec-2", "2026-11-01T10:00:01Z");
  auto r = readAppRec(rejected);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value().ok);
  EXPECT_EQ(r.value().errorCode, "E30");
  EXPECT_NE(r.value().details.find("Patient/Ident/Id"), std::string::npos) << rejected;
  EXPECT_FALSE(hasIdentityNumberShape(rejected)) << rejected;
  EXPECT_NE(rejected.find("<Status V=\"2\" DN=\"Avvist\""), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("DN=\"Invalid patient identity\""), std::string::npos) << rejected;
  EXPECT_EQ(problemName("E41"), "Invalid message body");
  EXPECT_EQ(problemName("Z99"), "Other error");
  // Reason text is escaped, not markup.
  const std::string tricky = appRec({}, {}, Problem{"E41", "a <b> & \"c\""}, "x", "y");
  EXPECT_NE(tricky.find("a &lt;b&gt; &amp;"), std::string::npos) << tricky;
  EXPECT_FALSE(readAppRec("<MsgHead/>"));
}

TEST(GericaSettings, NeedHttpOrADropFolder) {
  EXPECT_THROW((void)parseSettings("g", R"({"http": {"enabled": false}})"), ConnectorConfigError);
  const auto s = parseSettings(
      "g",
      R"({"http": {"enabled": false}, "drop_folder": {"path": "/tmp/x", "poll_interval_ms": 50}})");
  EXPECT_FALSE(s.httpEnabled);
  EXPECT_EQ(s.pollInterval.count(), 50);
  EXPECT_EQ(messagesPath("gerica-north"), "/api/v1/connectors/gerica/gerica-north/messages");
}

}  // namespace
}  // namespace wayhome::connectors::gerica
