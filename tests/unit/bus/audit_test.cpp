#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/audit.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

namespace audit = wayhome::bus::audit;
namespace t = wayhome::testing;

const wayhome::schemas::SchemaRegistry& registry() {
  static const auto r = wayhome::schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  return r;
}

audit::Record record() {
  audit::Record r;
  r.id = audit::idFor("aud-", "ev-1");
  r.source = "/wayhome/router";
  r.service = "router";
  r.sourceEventId = "ev-1";
  r.personRef = "pr_0123456789abcdef0123456789abcdef";
  audit::Entry e;
  e.decision = "no_match";
  e.detail = "no rule matched";
  r.decisions.push_back(e);
  return r;
}

// The record is valid audit.decision.v2; empty fields are left out, text is escaped,
// the subject falls back from person to source event to the record's id.
TEST(AuditRecord, IsValidAndLeavesOutWhatIsEmpty) {
  auto r = record();
  r.decisions[0].detail = "quote \" backslash \\ newline \n tab \t";
  const auto e = audit::event(r);
  EXPECT_EQ(e.type, "audit.decision.v2");
  EXPECT_EQ(e.id, r.id);
  EXPECT_EQ(e.subject, r.personRef);
  EXPECT_FALSE(registry().validate(e.type, e.data)) << e.data;
  rapidjson::Document d;
  d.Parse(e.data.c_str());
  ASSERT_TRUE(d.IsObject()) << e.data;
  EXPECT_FALSE(d.HasMember("actor"));
  EXPECT_FALSE(d["decisions"][0].HasMember("rule_id"));
  EXPECT_FALSE(d["decisions"][0].HasMember("action"));
  EXPECT_EQ(d["decisions"][0]["disclosed"].Size(), 0U);
  EXPECT_STREQ(d["decisions"][0]["detail"].GetString(), r.decisions[0].detail.c_str());

  r.personRef.clear();
  EXPECT_EQ(audit::event(r).subject, "ev-1");
  r.sourceEventId.clear();
  EXPECT_EQ(audit::event(r).subject, r.id);
}

// A detail longer than the schema allows is cut to 1 000 bytes, never inside a UTF-8
// character, so the record stays valid JSON and valid against its schema.
TEST(AuditRecord, AnOversizedDetailIsCutOnACharacterBoundary) {
  auto r = record();
  r.decisions[0].detail = "x";
  for (int i = 0; i < 700; ++i)
    r.decisions[0].detail += "\xC3\xA5";  // å, two bytes: byte 1 000 falls inside one
  const auto e = audit::event(r);
  rapidjson::Document d;
  d.Parse(e.data.c_str());
  ASSERT_TRUE(d.IsObject()) << "not JSON";
  const std::string detail = d["decisions"][0]["detail"].GetString();
  EXPECT_EQ(detail.size(), 999U);  // "x" and 499 whole å
  EXPECT_FALSE(registry().validate(e.type, e.data)) << e.data.substr(0, 200);
}

// The per-decision source event is written only when it is not the record's.
TEST(AuditRecord, ADecisionNamesItsOwnSourceEventOnlyWhenItDiffers) {
  auto r = record();
  r.decisions[0].sourceEventId = "ev-1";
  audit::Entry released;
  released.decision = "referral_created";
  released.sourceEventId = "ev-0";
  released.referralId = "ref-1";
  released.toSector = "nav";
  released.disclosed.push_back({"nav", {"contract_id"}});
  r.decisions.push_back(released);
  const auto e = audit::event(r);
  EXPECT_FALSE(registry().validate(e.type, e.data)) << e.data;
  rapidjson::Document d;
  d.Parse(e.data.c_str());
  EXPECT_FALSE(d["decisions"][0].HasMember("source_event_id"));
  EXPECT_STREQ(d["decisions"][1]["source_event_id"].GetString(), "ev-0");
  EXPECT_STREQ(d["decisions"][1]["disclosed"][0]["fields"][0].GetString(), "contract_id");
}

}  // namespace
