// The gerica connector in the real binary on the embedded bus: MsgHead XML over HTTP
// and from a drop folder, every message answered with an AppRec receipt, schema-valid
// care.* and consent.* events out, keyed by person_ref, never an identity number;
// re-sent messages get the same receipt and no second event; bad ones publish nothing.

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <wayhome/gerica/message.hpp>
#include <wayhome/schemas/registry.hpp>

#include "loan_support.hpp"

namespace {

using namespace wayhome::loantest;
using wayhome::connectors::hasIdentityNumberShape;
using wayhome::connectors::gerica::readAppRec;

constexpr int kPartitions = 2;
const std::string kNin = "15838510075";   // synthetic (Tenor)
const std::string kNin2 = "55838510069";  // synthetic D-number
const std::string kAdminToken = "gerica-e2e-admin-token-0123456789";
const std::string kSenderSecret = "gerica-sender-974600951-secret-0123456789";
const std::string kOtherSecret = "gerica-sender-111111111-secret-0123456789";
// Two senders, each with its own signing secret.
const std::string kSigned = R"("senders": [{"her_id": "974600951", "secret": ")" + kSenderSecret +
                            R"("}, {"her_id": "111111111", "secret": ")" + kOtherSecret + R"("}])";

// Headers of a message signed with `secret` at `at` (Unix seconds; now by default).
std::vector<std::pair<std::string, std::string>> signedHeaders(const std::string& secret,
                                                               const std::string& body,
                                                               std::int64_t at = 0) {
  if (at == 0) {
    at = std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  }
  const std::string ts = std::to_string(at);
  return {{"Content-Type", "application/xml"},
          {"X-Wayhome-Timestamp", ts},
          {"X-Wayhome-Signature", wayhome::crypto::webhookSignature(secret, ts, body)}};
}

struct Msg {
  std::string type = "DIALOG_NOTAT";
  std::string msgId;
  std::string nin = kNin;
  std::string code;
  std::string docId;
  std::string facts;
  std::string extra;  // before </MsgHead>, e.g. a hostile tail

  [[nodiscard]] std::string xml() const {
    const bool request = type == "DIALOG_FORESPORSEL";
    const std::string element = request ? "Foresporsel" : "Notat";
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>
<Type V=")" +
           type + R"("/><GenDate>2026-11-01T10:00:00+01:00</GenDate><MsgId>)" + msgId +
           R"(</MsgId>
<Sender><Organisation><Ident><Id>974600951</Id><TypeId V="ENH"/></Ident></Organisation></Sender>
<Receiver><Organisation><Ident><Id>921234567</Id><TypeId V="ENH"/></Ident></Organisation></Receiver>
<Patient><Ident><Id>)" +
           nin + R"(</Id><TypeId V="FNR"/></Ident></Patient></MsgInfo>
<Document><RefDoc><Content><Dialogmelding><)" +
           element + R"(><TemaKodet V=")" + code + R"("/><)" +
           (request ? "DokIdForesp" : "DokIdNotat") + ">" + docId + "</" +
           (request ? "DokIdForesp" : "DokIdNotat") + "><" +
           (request ? "DatoForesp" : "DatoNotat") + ">2026-11-01T09:40:00+01:00</" +
           (request ? "DatoForesp" : "DatoNotat") + ">" + facts + "</" + element +
           "></Dialogmelding></Content></RefDoc></Document>" + extra + "</MsgHead>\n";
  }
};

Msg housingNeed(const std::string& id, const std::string& nin = kNin) {
  return {
      "DIALOG_NOTAT",
      id,
      nin,
      "HOUSING_NEED",
      "OBS-" + id,
      R"(<Opplysning Navn="need" V="risk_of_eviction"/><Opplysning Navn="urgency" V="urgent"/><Opplysning Navn="observer_role" V="home_care_nurse"/>)",
      ""};
}

// Reads `topic` from the start until `expect` records came; none more are there.
std::vector<wayhome::bus::KafkaRecord> readTopic(const std::string& bootstrap,
                                                 const std::string& topic, std::size_t expect) {
  if (expect == 0) {
    wayhome::bus::Consumer c({{"bootstrap.servers", bootstrap}},
                             {.groupId = t::uniquePrefix() + "reader"});
    std::int64_t total = 0;
    for (int p = 0; p < kPartitions; ++p) {
      auto wm = c.watermarks(topic, p, t::scaled(10000ms));
      EXPECT_TRUE(wm.ok());
      if (wm.ok()) total += wm.value().second - wm.value().first;
    }
    EXPECT_EQ(total, 0) << topic;
    return {};
  }
  return readExactly(bootstrap, topic, kPartitions, expect, 30000ms);
}

class GericaE2E : public ::testing::Test {
 protected:
  // Unsigned HTTP intake (insecure_demo, loopback) unless the settings name senders.
  void start(const std::string& settings, const std::string& extra = "") {
    ASSERT_TRUE(served_.start(
        R"(, "insecure_demo": true, "bus": {"default_partitions": 2}, "router": {"enabled": false},
           "scheduler": {"enabled": false},
           "ops": {"tokens": [{"name": "e2e", "role": "admin", "token": ")" +
        kAdminToken + R"("}]},
           "connectors": [{"type": "gerica", "name": "gerica", "settings": )" +
        settings + "}]" + extra))
        << served_.log();
  }

  void TearDown() override {
    if (served_.process().running()) {
      EXPECT_EQ(served_.stop(t::scaled(15000ms)), std::optional<int>(0)) << served_.log();
    }
    // Nothing the service logged holds an identity number.
    EXPECT_FALSE(hasIdentityNumberShape(served_.log())) << served_.log();
  }

  t::HttpResult post(const std::string& body, const std::string& contentType = "application/xml") {
    return t::http(served_.port(), "POST", "/api/v1/connectors/gerica/gerica/messages", body,
                   {{"Content-Type", contentType}});
  }
  t::HttpResult postSigned(const std::string& body, const std::string& secret,
                           std::int64_t at = 0) {
    return t::http(served_.port(), "POST", "/api/v1/connectors/gerica/gerica/messages", body,
                   signedHeaders(secret, body, at));
  }

  rapidjson::Document counts() {
    rapidjson::Document d;
    d.Parse(t::http(served_.port(), "GET", "/api/v1/connectors/gerica", "",
                    {{"Authorization", "Bearer " + kAdminToken}})
                .body.c_str());
    return d;
  }

  // Schema-valid, keyed by the person_ref in the payload, from this instance, no
  // 11-digit run anywhere.
  static void expectClean(const std::vector<wayhome::bus::KafkaRecord>& records) {
    expectConnectorRecords(records, {"care.", "consent."}, "/wayhome/connectors/gerica/gerica");
  }

  t::TempDir dir_;
  t::ServedBinary served_{dir_.path()};
  wayhome::schemas::SchemaRegistry schemas_ =
      wayhome::schemas::SchemaRegistry::loadDirectory(t::schemaDir());
};

TEST_F(GericaE2E, HttpMessagesBecomeEventsEveryOneGetsAReceiptAndResendsAreIdempotent) {
  ASSERT_NO_FATAL_FAILURE(start(R"({"max_body_bytes": 4096, "receiver_org_id": "921234567"})"));
  std::set<std::string> okIds;
  auto good = [&](const Msg& m) -> std::string {
    auto r = post(m.xml());
    EXPECT_EQ(r.status, 200) << r.body << served_.log();
    EXPECT_NE(r.headers["content-type"].find("application/xml"), std::string::npos);
    auto v = readAppRec(r.body);
    EXPECT_TRUE(v) << r.body;
    if (v) {
      EXPECT_TRUE(v.value().ok) << r.body;
      EXPECT_EQ(v.value().originalMsgId, m.msgId);
    }
    okIds.insert(m.msgId);
    return r.body;
  };
  int rejected = 0;
  auto bad = [&](int status, const std::string& body, const std::string& code,
                 const std::string& mention, const std::string& contentType = "application/xml") {
    const auto r = post(body, contentType);
    ++rejected;
    EXPECT_EQ(r.status, status) << r.body;
    auto v = readAppRec(r.body);
    ASSERT_TRUE(v) << r.body;
    EXPECT_FALSE(v.value().ok);
    EXPECT_EQ(v.value().errorCode, code) << r.body;
    EXPECT_NE(v.value().details.find(mention), std::string::npos) << r.body;
    EXPECT_FALSE(hasIdentityNumberShape(r.body)) << r.body;
  };

  const std::string first = good(housingNeed("M-1"));

  // Bad ones: each with its status, code and reason; none publishes anything.
  bad(400,
      R"(<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><MsgHead>&b;</MsgHead>)",
      "X02", "DOCTYPE");
  bad(400, "this is not XML", "X01", "not well-formed XML");
  bad(400, "<Other/>", "X01", "root element: must be MsgHead");
  bad(415, housingNeed("M-2").xml(), "X01", "Content-Type: must be application/xml",
      "application/json");
  Msg big = housingNeed("M-3");
  big.extra = "<Padding>" + std::string(5000, 'x') + "</Padding>";
  bad(413, big.xml(), "X03", "exceed the limit of 4096");
  bad(400, housingNeed("M-4", "15838510076").xml(), "E30", "MsgHead/MsgInfo/Patient/Ident/Id");
  Msg unknown = housingNeed("M-5");
  unknown.code = "HOUSING_WISH";
  bad(400, unknown.xml(), "E40", "unknown code 'HOUSING_WISH'");
  Msg noFacts = housingNeed("M-6");
  noFacts.facts = "";
  bad(400, noFacts.xml(), "E41", "Opplysning[@Navn='need']: is required");
  Msg noId = housingNeed("");
  bad(400, noId.xml(), "E10", "MsgId");

  // Good ones after the bad ones go through: every code once.
  good(
      {"DIALOG_NOTAT", "M-10", kNin, "SERVICE_GRANTED", "VED-1",
       R"(<Opplysning Navn="service" V="home_nursing"/><Opplysning Navn="valid_from" V="2026-11-03"/>)",
       ""});
  good({"DIALOG_NOTAT", "M-11", kNin, "SERVICE_ENDED", "VED-1-end",
        R"(<Opplysning Navn="service" V="home_nursing"/>)", ""});
  good(
      {"DIALOG_NOTAT", "M-12", kNin, "PLAN_UPDATED", "IP-1",
       R"(<Opplysning Navn="coordinator_role" V="care_coordinator"/><Opplysning Navn="sector" V="health_care"/><Opplysning Navn="sector" V="housing"/>)",
       ""});
  good(
      {"DIALOG_NOTAT", "M-13", kNin2, "CONSENT_GRANTED", "CNS-1",
       R"(<Opplysning Navn="to_sector" V="housing"/><Opplysning Navn="purpose" V="housing_need"/><Opplysning Navn="valid_until" V="2027-11-01"/>)",
       ""});
  good({"DIALOG_NOTAT", "M-14", kNin2, "CONSENT_WITHDRAWN", "CNS-1", "", ""});
  Msg request = housingNeed("M-15", kNin2);
  request.type = "DIALOG_FORESPORSEL";
  good(request);

  // The sender got no receipt (say) and sends M-1 again: the very same receipt, and
  // no second event. A rejected message re-sent is rejected the same way.
  {
    const auto r = post(housingNeed("M-1").xml());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, first);
    const auto again = post(housingNeed("M-4", "15838510076").xml());
    EXPECT_EQ(again.status, 400);
    ++rejected;
  }

  const auto cases = readTopic(served_.runtime().bootstrap, "cases.gerica", 5);
  const auto consents = readTopic(served_.runtime().bootstrap, "consent.events", 2);
  expectClean(cases);
  expectClean(consents);
  std::map<std::string, int> types;
  std::set<std::string> keys;
  for (const auto* list : {&cases, &consents}) {
    for (const auto& r : *list) {
      ++types[header(r, "ce_type")];
      keys.insert(r.key);
    }
  }
  EXPECT_EQ(types["care.housing_need_observed.v1"], 2);
  EXPECT_EQ(types["care.service_decision.v1"], 2);
  EXPECT_EQ(types["care.individual_plan_updated.v1"], 1);
  EXPECT_EQ(types["consent.granted.v1"], 1);
  EXPECT_EQ(types["consent.withdrawn.v1"], 1);
  EXPECT_EQ(keys.size(), 2U);  // two citizens, one key each

  auto d = counts();
  ASSERT_TRUE(d.IsObject());
  const auto& c = d["counts"];
  EXPECT_EQ(c["out"].GetUint64(), 7U);
  EXPECT_EQ(c["duplicates"].GetUint64(), 1U);
  EXPECT_EQ(c["rejected"].GetUint64(), static_cast<std::uint64_t>(rejected));
  EXPECT_EQ(c["in"].GetUint64(), 7U + 1U + static_cast<std::uint64_t>(rejected));
}

TEST_F(GericaE2E, DropFolderMovesFilesToDoneOrFailedWithReceiptsAndPublishesOnlyGoodOnes) {
  const auto drop = dir_ / "drop";
  ASSERT_NO_FATAL_FAILURE(start(R"({"http": {"enabled": false}, "drop_folder": {"path": ")" +
                                drop.string() +
                                R"(", "poll_interval_ms": 50}, "max_body_bytes": 4096})"));
  // Senders write a temporary name and rename: half-written files are never taken.
  t::writeFile(drop / "half.xml.tmp", housingNeed("D-0").xml().substr(0, 100));
  t::writeFile(drop / "notes.txt", "not a message");
  t::writeFile(drop / "good.xml.tmp", housingNeed("D-1").xml());
  std::filesystem::rename(drop / "good.xml.tmp", drop / "good.xml");
  t::writeFile(drop / "bad.xml.tmp", housingNeed("D-2", "15838510076").xml());
  std::filesystem::rename(drop / "bad.xml.tmp", drop / "bad.xml");
  t::writeFile(drop / "hostile.xml",
               R"(<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><MsgHead>&e;</MsgHead>)");

  Msg big = housingNeed("D-3");
  big.extra = "<Padding>" + std::string(10000, 'x') + "</Padding>";
  t::writeFile(drop / "big.xml", big.xml());
  ASSERT_TRUE(t::waitFor(
      [&] {
        return std::filesystem::exists(drop / "done" / "good.xml") &&
               std::filesystem::exists(drop / "failed" / "big.xml.reason.txt") &&
               std::filesystem::exists(drop / "failed" / "bad.xml.reason.txt") &&
               std::filesystem::exists(drop / "failed" / "hostile.xml.reason.txt");
      },
      10000ms))
      << served_.log();
  EXPECT_FALSE(std::filesystem::exists(drop / "good.xml"));
  EXPECT_TRUE(std::filesystem::exists(drop / "failed" / "bad.xml"));
  EXPECT_TRUE(std::filesystem::exists(drop / "half.xml.tmp"));
  EXPECT_TRUE(std::filesystem::exists(drop / "notes.txt"));
  const std::string reason = t::readFile(drop / "failed" / "bad.xml.reason.txt");
  EXPECT_NE(reason.find("E30 MsgHead/MsgInfo/Patient/Ident/Id"), std::string::npos) << reason;
  EXPECT_FALSE(hasIdentityNumberShape(reason)) << reason;
  EXPECT_NE(t::readFile(drop / "failed" / "hostile.xml.reason.txt").find("X02 DOCTYPE"),
            std::string::npos);
  EXPECT_NE(t::readFile(drop / "failed" / "big.xml.reason.txt")
                .find("X03 message: " + std::to_string(big.xml().size()) +
                      " bytes exceed the limit of 4096"),
            std::string::npos)
      << t::readFile(drop / "failed" / "big.xml.reason.txt");
  auto ok = readAppRec(t::readFile(drop / "apprec" / "good.apprec.xml"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.value().ok);
  EXPECT_EQ(ok.value().originalMsgId, "D-1");
  auto no = readAppRec(t::readFile(drop / "apprec" / "bad.apprec.xml"));
  ASSERT_TRUE(no);
  EXPECT_FALSE(no.value().ok);
  EXPECT_EQ(no.value().errorCode, "E30");
  EXPECT_FALSE(hasIdentityNumberShape(t::readFile(drop / "apprec" / "bad.apprec.xml")));

  // The same message dropped again under another name: the same receipt, no event.
  const std::string firstReceipt = t::readFile(drop / "apprec" / "good.apprec.xml");
  t::writeFile(drop / "again.xml.tmp", housingNeed("D-1").xml());
  std::filesystem::rename(drop / "again.xml.tmp", drop / "again.xml");
  ASSERT_TRUE(
      t::waitFor([&] { return std::filesystem::exists(drop / "done" / "again.xml"); }, 10000ms));
  EXPECT_EQ(t::readFile(drop / "apprec" / "again.apprec.xml"), firstReceipt);

  // Paused by an operator: a file dropped now waits where it is, and is taken on resume.
  auto operate = [&](const std::string& action) {
    return t::http(served_.port(), "POST", "/api/v1/connectors/gerica/" + action, "",
                   {{"Authorization", "Bearer " + kAdminToken}})
        .status;
  };
  ASSERT_EQ(operate("pause"), 200);
  t::writeFile(drop / "later.xml", housingNeed("D-4").xml());
  ASSERT_TRUE(t::waitFor(
      [&] { return served_.log().find("msg=\"drop folder file waits\"") != std::string::npos; },
      10000ms))
      << served_.log();
  EXPECT_TRUE(std::filesystem::exists(drop / "later.xml"));
  EXPECT_FALSE(std::filesystem::exists(drop / "apprec" / "later.apprec.xml"));
  ASSERT_EQ(operate("resume"), 200);
  ASSERT_TRUE(
      t::waitFor([&] { return std::filesystem::exists(drop / "done" / "later.xml"); }, 10000ms));

  const auto cases = readTopic(served_.runtime().bootstrap, "cases.gerica", 2);
  expectClean(cases);
  auto d = counts();
  EXPECT_EQ(d["counts"]["out"].GetUint64(), 2U);
  EXPECT_EQ(d["counts"]["rejected"].GetUint64(), 3U);
  EXPECT_EQ(d["counts"]["duplicates"].GetUint64(), 1U);
}

// The drop folder as a place others can write to (issue 12, item 9): a link planted
// where a receipt is written overwrites nothing; a dropped link is not followed; a
// file still being written is waited for; names in done/ and apprec/ are never
// reused; old files in done/ and failed/ are deleted.
TEST_F(GericaE2E, DropFolderFollowsNoLinkWaitsForWritersNeverOverwritesAndForgets) {
  namespace fs = std::filesystem;
  const auto drop = dir_ / "drop";
  for (const char* sub : {"done", "failed", "apprec"})
    fs::create_directories(drop / sub);
  // What an attacker wants overwritten (the person_ref key, say) and read.
  t::writeFile(dir_ / "victim.key", "the key\n");
  t::writeFile(dir_ / "elsewhere.xml", housingNeed("D-X").xml());
  for (const char* planted : {"evil.apprec.xml", "evil.apprec.xml.tmp"})
    fs::create_symlink(dir_ / "victim.key", drop / "apprec" / planted);
  // Old files in done/ and failed/ (identity numbers) go; a fresh one stays.
  t::writeFile(drop / "done" / "old.xml", housingNeed("D-OLD").xml());
  t::writeFile(drop / "failed" / "old.xml.reason.txt", "old\n");
  t::writeFile(drop / "done" / "fresh.xml", housingNeed("D-FRESH").xml());
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(24 * 40);
  fs::last_write_time(drop / "done" / "old.xml", old);
  fs::last_write_time(drop / "failed" / "old.xml.reason.txt", old);

  ASSERT_NO_FATAL_FAILURE(start(R"({"http": {"enabled": false}, "drop_folder": {"path": ")" +
                                drop.string() +
                                R"(", "poll_interval_ms": 50, "settle_ms": 2000}})"));
  EXPECT_TRUE(t::waitFor([&] { return !fs::exists(drop / "done" / "old.xml"); }, 10000ms));
  EXPECT_FALSE(fs::exists(drop / "failed" / "old.xml.reason.txt"));
  EXPECT_TRUE(fs::exists(drop / "done" / "fresh.xml"));

  // A receipt named like the planted link: written beside it, the victim untouched.
  t::writeFile(drop / "evil.xml", housingNeed("D-10").xml());
  ASSERT_TRUE(t::waitFor([&] { return fs::exists(drop / "done" / "evil.xml"); }, 10000ms))
      << served_.log();
  EXPECT_EQ(t::readFile(dir_ / "victim.key"), "the key\n");
  EXPECT_TRUE(fs::is_symlink(drop / "apprec" / "evil.apprec.xml"));
  ASSERT_TRUE(fs::exists(drop / "apprec" / "evil.apprec.1.xml"));
  EXPECT_TRUE(readAppRec(t::readFile(drop / "apprec" / "evil.apprec.1.xml")).value().ok);

  // A link dropped in the folder is not read: failed/, with its reason.
  fs::create_symlink(dir_ / "elsewhere.xml", drop / "link.xml");
  ASSERT_TRUE(
      t::waitFor([&] { return fs::exists(drop / "failed" / "link.xml.reason.txt"); }, 10000ms))
      << served_.log();
  EXPECT_TRUE(fs::is_symlink(drop / "failed" / "link.xml"));
  EXPECT_NE(t::readFile(drop / "failed" / "link.xml.reason.txt").find("not a regular file"),
            std::string::npos);

  // A writer that is not done yet: taken only once it stopped changing, whole.
  const std::string whole = housingNeed("D-11").xml();
  t::writeFile(drop / "slow.xml", whole.substr(0, whole.size() / 2));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(fs::exists(drop / "failed" / "slow.xml")) << "taken half-written";
  }
  {
    std::ofstream out(drop / "slow.xml", std::ios::app | std::ios::binary);
    out << whole.substr(whole.size() / 2);
  }
  ASSERT_TRUE(t::waitFor([&] { return fs::exists(drop / "done" / "slow.xml"); }, 10000ms))
      << served_.log();

  // The same name twice: both kept, nothing overwritten.
  t::writeFile(drop / "dup.xml.tmp", housingNeed("D-12").xml());
  fs::rename(drop / "dup.xml.tmp", drop / "dup.xml");
  ASSERT_TRUE(t::waitFor([&] { return fs::exists(drop / "done" / "dup.xml"); }, 10000ms));
  t::writeFile(drop / "dup.xml.tmp", housingNeed("D-13").xml());
  fs::rename(drop / "dup.xml.tmp", drop / "dup.xml");
  ASSERT_TRUE(t::waitFor([&] { return fs::exists(drop / "done" / "dup.1.xml"); }, 10000ms));
  EXPECT_NE(t::readFile(drop / "done" / "dup.xml").find("D-12"), std::string::npos);
  EXPECT_NE(t::readFile(drop / "done" / "dup.1.xml").find("D-13"), std::string::npos);
  EXPECT_EQ(readAppRec(t::readFile(drop / "apprec" / "dup.apprec.xml")).value().originalMsgId,
            "D-12");
  EXPECT_EQ(readAppRec(t::readFile(drop / "apprec" / "dup.apprec.1.xml")).value().originalMsgId,
            "D-13");

  const auto cases = readTopic(served_.runtime().bootstrap, "cases.gerica", 4);
  expectClean(cases);
}

TEST_F(GericaE2E, SimulatedJourneysOverHttpAndTheDropFolderArriveOncePerMessage) {
  const auto drop = dir_ / "drop";
  ASSERT_NO_FATAL_FAILURE(
      start(R"({"drop_folder": {"path": ")" + drop.string() + R"(", "poll_interval_ms": 20}})",
            R"(, "simulators": [
             {"type": "gerica", "settings": {"journeys": 6, "rate_per_s": 1000, "seed": 42,
                                             "resend_rate": 0.3}},
             {"type": "gerica", "name": "gerica-drop", "settings": {"journeys": 2, "rate_per_s": 1000, "seed": 7,
                                             "drop_folder": ")" +
                drop.string() + R"(", "sender_org_id": "991234567", "resend_rate": 0.5}}])"));
  std::vector<std::string> lines;
  ASSERT_TRUE(t::waitFor(
      [&] {
        lines.clear();
        const std::string log = served_.log();
        for (auto at = log.find("component=gerica-simulator msg=finished"); at != std::string::npos;
             at = log.find("component=gerica-simulator msg=finished", at + 1)) {
          lines.push_back(log.substr(at, log.find('\n', at) - at));
        }
        return lines.size() == 2;
      },
      60000ms))
      << served_.log();
  std::uint64_t delivered = 0;
  auto field = [](const std::string& line, const std::string& name) -> std::uint64_t {
    const auto at = line.find(" " + name + "=");
    return at == std::string::npos ? 0 : std::stoull(line.substr(at + name.size() + 2));
  };
  for (const auto& line : lines) {
    EXPECT_EQ(field(line, "rejected"), 0U) << line;
    EXPECT_EQ(field(line, "given_up"), 0U) << line;
    EXPECT_EQ(field(line, "resent"), field(line, "same_receipt")) << line;
    delivered += field(line, "ok") - field(line, "same_receipt");
  }
  EXPECT_GE(delivered, 16U);  // at least observation and decision per journey

  auto d = counts();
  EXPECT_EQ(d["counts"]["out"].GetUint64(), delivered);
  EXPECT_EQ(d["counts"]["rejected"].GetUint64(), 0U);
  // Every message once on the bus, whichever way it came and however often.
  wayhome::bus::Consumer cases({{"bootstrap.servers", served_.runtime().bootstrap}},
                               {.groupId = t::uniquePrefix() + "cases"});
  wayhome::bus::Consumer consents({{"bootstrap.servers", served_.runtime().bootstrap}},
                                  {.groupId = t::uniquePrefix() + "consents"});
  cases.assign("cases.gerica", {0, 1}, true);
  consents.assign("consent.events", {0, 1}, true);
  std::vector<wayhome::bus::KafkaRecord> records;
  ASSERT_TRUE(t::waitFor(
      [&] {
        for (auto* c : {&cases, &consents}) {
          for (auto& r : c->poll(50ms))
            records.push_back(std::move(r));
        }
        return records.size() >= delivered;
      },
      30000ms))
      << records.size() << " of " << delivered;
  EXPECT_EQ(records.size(), delivered);
  expectClean(records);
  std::set<std::string> ids;
  std::map<std::string, std::set<std::int32_t>> partitions;
  for (const auto& r : records) {
    ids.insert(header(r, "ce_id"));
    if (header(r, "ce_type").starts_with("care.")) partitions[r.key].insert(r.partition);
  }
  EXPECT_EQ(ids.size(), records.size());
  EXPECT_EQ(partitions.size(), 8U);  // eight citizens
  for (const auto& [ref, p] : partitions)
    EXPECT_EQ(p.size(), 1U) << ref;  // keyed: one citizen's care events stay in order
}

TEST_F(GericaE2E, SimulateCommandFeedsARunningServiceAndExitsWhenDone) {
  ASSERT_NO_FATAL_FAILURE(start("{}"));
  const auto r = t::run({t::wayhomeBinary().string(), "simulate", "gerica", "--url",
                         "http://127.0.0.1:" + std::to_string(served_.port()), "--settings",
                         R"({"journeys": 2, "rate_per_s": 1000, "seed": 3})"},
                        t::scaled(30000ms));
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_FALSE(hasIdentityNumberShape(r.out)) << r.out;
  auto d = counts();
  EXPECT_GE(d["counts"]["out"].GetUint64(), 4U);
  EXPECT_EQ(d["counts"]["rejected"].GetUint64(), 0U);
  // A type nobody knows, or settings its schema refuses: exit code 2, nothing sent.
  EXPECT_EQ(t::run({t::wayhomeBinary().string(), "simulate", "nosuch"}).exitCode, 2);
  EXPECT_EQ(t::run({t::wayhomeBinary().string(), "simulate", "gerica", "--settings",
                    R"({"journeys": -1})"})
                .exitCode,
            2);
}

TEST_F(GericaE2E, AnUrgentHousingNeedWithConsentBecomesAReferralToHousing) {
  // The router on: rule R6 refers a housing need seen by health and care to housing,
  // with the citizen's consent recorded in GERICA.
  // Signed messages: the production set-up.
  ASSERT_TRUE(served_.start(R"(, "bus": {"default_partitions": 2}, "scheduler": {"enabled": false},
           "connectors": [{"type": "gerica", "name": "gerica", "settings": {)" +
                            kSigned + "}}]"))
      << served_.log();
  EXPECT_EQ(
      postSigned(
          Msg{"DIALOG_NOTAT", "R-1", kNin, "CONSENT_GRANTED", "CNS-R1",
              R"(<Opplysning Navn="to_sector" V="housing"/><Opplysning Navn="purpose" V="housing_need"/><Opplysning Navn="valid_until" V="2030-01-01"/>)",
              ""}
              .xml(),
          kSenderSecret)
          .status,
      200);
  EXPECT_EQ(postSigned(housingNeed("R-2").xml(), kSenderSecret).status, 200);
  // Whichever the router reads first, the consent or the need: a referral comes (if
  // the need came first, after a referral.consent_needed).
  wayhome::bus::Consumer reader({{"bootstrap.servers", served_.runtime().bootstrap}},
                                {.groupId = t::uniquePrefix() + "referrals"});
  reader.assign("referrals.housing", {0, 1}, true);
  std::optional<wayhome::bus::KafkaRecord> created;
  ASSERT_TRUE(t::waitFor(
      [&] {
        for (auto& record : reader.poll(50ms)) {
          EXPECT_FALSE(hasIdentityNumberShape(record.value)) << record.value;
          if (header(record, "ce_type") == "referral.created.v1") created = std::move(record);
        }
        return created.has_value();
      },
      30000ms))
      << served_.log();
  const auto& r = *created;
  EXPECT_FALSE(schemas_.validate("referral.created.v1", r.value).has_value()) << r.value;
  rapidjson::Document d;
  d.Parse(r.value.c_str());
  ASSERT_TRUE(d.IsObject()) << r.value;
  EXPECT_STREQ(d["from_sector"].GetString(), "health_care");
  EXPECT_STREQ(d["consent_id"].GetString(), "CNS-R1");
  EXPECT_EQ(d["person_ref"].GetString(), header(r, "ce_subject"));
  EXPECT_FALSE(hasIdentityNumberShape(r.value)) << r.value;
}

// Issue 12, item 1: an HTTP intake without authentication does not start, unless the
// config says insecure_demo on a loopback listener.
TEST_F(GericaE2E, AnUnauthenticatedHttpIntakeIsRefusedAtStart) {
  EXPECT_FALSE(served_.start(R"(, "connectors": [{"type": "gerica", "name": "gerica",
                                                  "settings": {}}])"));
  EXPECT_TRUE(t::waitFor([&] { return !served_.process().running(); }));
  EXPECT_NE(served_.log().find("/senders: the HTTP intake has no authentication"),
            std::string::npos)
      << served_.log();
  // A drop folder alone is trusted by its file-system permissions.
  std::filesystem::create_directories(dir_.path() / "folder-only");
  t::ServedBinary folderOnly(dir_.path() / "folder-only");
  EXPECT_TRUE(folderOnly.start(R"(, "connectors": [{"type": "gerica", "name": "gerica",
      "settings": {"http": {"enabled": false}, "drop_folder": {"path": ")" +
                               (dir_.path() / "drop").string() + R"("}}}])"))
      << folderOnly.log();
  EXPECT_EQ(folderOnly.stop(), 0);
}

// Issue 12, item 1: over HTTP only signed messages count, each in the name of the
// sender that signed it; nobody can pre-register another sender's (sender, MsgId) so
// that the real message later gets a stored rejection and is dropped.
TEST_F(GericaE2E, OnlySignedMessagesInTheSignersOwnNameAreTaken) {
  ASSERT_NO_FATAL_FAILURE(start("{" + kSigned + "}"));
  const Msg consent{
      "DIALOG_NOTAT",
      "S-1",
      kNin,
      "CONSENT_GRANTED",
      "CNS-S1",
      R"(<Opplysning Navn="to_sector" V="housing"/><Opplysning Navn="purpose" V="housing_need"/><Opplysning Navn="valid_until" V="2030-01-01"/>)",
      ""};
  const std::string xml = consent.xml();  // Sender 974600951
  // Unsigned, badly signed, stale, or signed over other bytes: 401, no receipt.
  auto r = post(xml);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("X-Wayhome-Timestamp"), std::string::npos) << r.body;
  EXPECT_EQ(postSigned(xml, "not-the-secret-of-anybody-0123456789").status, 401);
  r = postSigned(xml, kSenderSecret, 1700000000);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("stale"), std::string::npos) << r.body;
  auto headers = signedHeaders(kSenderSecret, xml);
  r = t::http(served_.port(), "POST", "/api/v1/connectors/gerica/gerica/messages", xml + " ",
              headers);
  EXPECT_EQ(r.status, 401) << r.body;

  // Signed by another sender in 974600951's name: refused, and nothing is kept.
  r = postSigned(xml, kOtherSecret);
  EXPECT_EQ(r.status, 403) << r.body;
  auto v = readAppRec(r.body);
  ASSERT_TRUE(v) << r.body;
  EXPECT_EQ(v.value().errorCode, "E20");
  // The real message with the same MsgId is taken: no stored rejection answers it.
  r = postSigned(xml, kSenderSecret);
  EXPECT_EQ(r.status, 200) << r.body;
  v = readAppRec(r.body);
  ASSERT_TRUE(v) << r.body;
  EXPECT_TRUE(v.value().ok) << r.body;
  const auto consents = readTopic(served_.runtime().bootstrap, "consent.events", 1);
  ASSERT_EQ(consents.size(), 1U);
  expectClean(consents);
  auto d = counts();
  EXPECT_EQ(d["counts"]["out"].GetUint64(), 1U);
}

// The simulator signs when given its sender's secret, so the demo needs no
// unauthenticated intake.
TEST_F(GericaE2E, TheSimulatorSignsItsMessages) {
  ASSERT_NO_FATAL_FAILURE(start("{" + kSigned + "}"));
  const auto r = t::run(
      {t::wayhomeBinary().string(), "simulate", "gerica", "--url",
       "http://127.0.0.1:" + std::to_string(served_.port()), "--settings",
       R"({"journeys": 2, "rate_per_s": 1000, "seed": 3, "secret": ")" + kSenderSecret + R"("})"},
      t::scaled(30000ms));
  EXPECT_EQ(r.exitCode, 0) << r.out;
  auto d = counts();
  EXPECT_GE(d["counts"]["out"].GetUint64(), 4U);
  EXPECT_EQ(d["counts"]["rejected"].GetUint64(), 0U);
}

}  // namespace
