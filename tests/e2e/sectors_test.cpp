// Sectors as configuration (issue 15 item 10), through the real binary: a sector the
// code has never heard of (elderly_care) is added in the config alone. A rule in the
// test's rules file refers an observed need to it, the referral appears on its own
// topic, a case worker of that sector acknowledges it through the API, and the topic
// catalogue and the rules check know it when given the config.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

constexpr const char* kElderly = "sectors-elderly-token-0123456789";

constexpr const char* kRules = R"({"rules": [
  {"id": "E1-elderly-adaptation",
   "description": "A home adaptation a housing contact sees: the elderly care service.",
   "match": {"type": "housing.need_observed.v1",
             "conditions": [{"field": "/need", "op": "equals", "value": "home_adaptation"}]},
   "actions": [{"refer": {"to": "elderly_care", "reason": "home_adaptation_observed",
                          "due": "P7D", "fields": ["observation_id", "need", "urgency"]}}]}
]})";

std::string sectorsConfig() {
  return R"(, "sectors": [
      {"name": "housing", "role": "housing_contact"}, {"name": "finance"},
      {"name": "health_care"}, {"name": "nav"}, {"name": "property"},
      {"name": "elderly_care", "description": "services for elderly people",
       "role": "elderly_care_coordinator", "topics": {"partitions": 2, "retention_days": 30}}])";
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  return d;
}

TEST(Sectors, AnAddedSectorGetsReferralsItsCaseWorkersAcknowledge) {
  t::TempDir dir;
  const auto rules = dir.path() / "rules.json";
  t::writeFile(rules, kRules);
  t::ServedBinary served(dir.path());
  const std::string config =
      sectorsConfig() + R"(, "bus": {"default_partitions": 1},
      "router": {"rules_file": ")" +
      rules.string() + R"("},
      "ops": {"tokens": [)" +
      t::opsTokenJson("housing-system", "caseworker", t::kHousingToken, {"housing"}) + "," +
      t::opsTokenJson("elderly-system", "caseworker", kElderly, {"elderly_care"}) + "]}";
  ASSERT_TRUE(served.start(config)) << served.log();
  const auto configFile = dir.path() / "wayhome.json";

  auto post = [&](const std::string& path, const std::string& body, const char* bearer) {
    return t::http(
        served.port(), "POST", path, body,
        {{"Content-Type", "application/json"}, {"Authorization", std::string("Bearer ") + bearer}});
  };
  auto r = post("/api/v1/needs",
                std::string(R"({"observation_id": "OBS-E1", "person_ref": ")") + t::kAnna +
                    R"(", "need": "home_adaptation", "urgency": "normal"})",
                t::kHousingToken);
  ASSERT_EQ(r.status, 201) << r.body << "\n" << served.log();
  auto answer = json(r.body);
  ASSERT_TRUE(answer.IsObject() && answer.HasMember("referrals")) << r.body;
  ASSERT_EQ(answer["referrals"].Size(), 1U) << r.body;
  const std::string id = answer["referrals"][0]["referral_id"].GetString();

  // The referral is on the new sector's own topic (both its partitions).
  t::TopicReader topic(served.runtime().bootstrap, "referrals.elderly_care", 2);
  auto typesOf = [&] {
    std::vector<std::string> out;
    for (const auto& rec : topic.records()) {
      auto e = bus::binding::fromRecord(rec);
      if (e && e.value().data.find(id) != std::string::npos) out.push_back(e.value().type);
    }
    return out;
  };
  ASSERT_TRUE(t::waitFor([&] { return !typesOf().empty(); }, 15000ms)) << served.log();
  EXPECT_EQ(typesOf().front(), "referral.created.v1");
  for (const auto& rec : topic.records()) {
    auto e = bus::binding::fromRecord(rec);
    if (!e || e.value().type != "referral.created.v1") continue;
    auto d = json(e.value().data);
    EXPECT_STREQ(d["to_sector"].GetString(), "elderly_care");
    EXPECT_STREQ(d["rule_id"].GetString(), "E1-elderly-adaptation");
  }

  // Only the new sector's case workers acknowledge it; they can.
  const std::string ack = "/api/v1/referrals/" + id + "/acknowledge";
  EXPECT_EQ(post(ack, "{}", t::kHousingToken).status, 403);
  r = post(ack, "{}", kElderly);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(t::waitFor(
      [&] {
        const auto types = typesOf();
        return std::find(types.begin(), types.end(), "referral.acknowledged.v1") != types.end();
      },
      15000ms))
      << served.log();
  // A consent naming a sector that is not configured is refused, naming the field.
  r = post("/api/v1/consents",
           std::string(R"({"consent_id": "C-X", "person_ref": ")") + t::kAnna +
               R"(", "to_sectors": ["housing", "school"], "purpose": "housing_need",
               "valid_until": "2099-12-31", "granted_at": "2026-01-05T10:00:00Z"})",
           t::kHousingToken);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("/to_sectors/1"), std::string::npos) << r.body;
  EXPECT_EQ(served.stop(), 0) << served.log();

  // The catalogue, with the config, lists the new sector's topics and its readers.
  const auto bin = t::wayhomeBinary().string();
  auto listed = t::run({bin, "topics", "list", "--config", configFile.string()});
  ASSERT_EQ(listed.exitCode, 0) << listed.out;
  auto catalogue = json(listed.out);
  ASSERT_TRUE(catalogue.IsObject()) << listed.out;
  bool referrals = false, notices = false;
  for (const auto& topicSpec : catalogue["topics"].GetArray()) {
    const std::string name = topicSpec["name"].GetString();
    if (name == "referrals.elderly_care") {
      referrals = true;
      EXPECT_EQ(topicSpec["partitions"].GetInt(), 2);
      EXPECT_EQ(topicSpec["retention_ms"].GetInt64(), 30LL * 24 * 3600 * 1000);
      EXPECT_STREQ(topicSpec["readers"][1].GetString(), "elderly_care");
    }
    notices = notices || name == "notices.elderly_care";
  }
  EXPECT_TRUE(referrals) << listed.out;
  EXPECT_TRUE(notices) << listed.out;
  listed = t::run({bin, "topics", "list", "--format", "strimzi", "--config", configFile.string()});
  EXPECT_NE(listed.out.find("wayhome-sector-elderly-care"), std::string::npos) << listed.out;
  // Without it, the five of today only.
  listed = t::run({bin, "topics", "list"});
  EXPECT_EQ(listed.out.find("elderly_care"), std::string::npos);

  // The rules check knows the sectors of --config; without it the rule names an
  // unknown sector, and the error says which rule and field.
  auto checked = t::run({bin, "rules", "check", rules.string(), "--config", configFile.string()});
  EXPECT_EQ(checked.exitCode, 0) << checked.out;
  checked = t::run({"sh", "-c", bin + " rules check " + rules.string() + " 2>&1"});
  EXPECT_EQ(checked.exitCode, 1) << checked.out;
  EXPECT_NE(checked.out.find("rule E1-elderly-adaptation"), std::string::npos) << checked.out;
  EXPECT_NE(checked.out.find("/rules/0/actions/0/refer/to"), std::string::npos) << checked.out;
  EXPECT_NE(checked.out.find("\"elderly_care\" is not a configured sector"), std::string::npos)
      << checked.out;
}

// The service refuses to start when its rules name a sector the config does not have.
TEST(Sectors, RulesNamingAnUnconfiguredSectorStopTheStart) {
  t::TempDir dir;
  const auto rules = dir.path() / "rules.json";
  t::writeFile(rules, kRules);
  t::ServedBinary served(dir.path());
  EXPECT_FALSE(served.start(R"(, "router": {"rules_file": ")" + rules.string() + R"("})"));
  EXPECT_TRUE(served.process().wait(10000ms).has_value());
  EXPECT_NE(served.log().find("\"elderly_care\" is not a configured sector"), std::string::npos)
      << served.log();
}

}  // namespace
}  // namespace wayhome
