// The operators' API of the real binary: probes, /metrics read by an independent
// Prometheus parser, the connectors/topics/schemas/AsyncAPI endpoints, and the two
// roles with their refusals.

#include <wayhome/testing/testing.hpp>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

constexpr const char* kViewer = "viewer-token-0123456789";
constexpr const char* kAdmin = "admin-token-0123456789ab";

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

class Ops : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new t::TempDir();
    t::writeFile(*dir_ / "admin.token", std::string(kAdmin) + "\n");
    served_ = new t::ServedBinary(dir_->path());
    ASSERT_TRUE(served_->start(
        ",\n  \"ops\": {\"tokens\": [{\"name\": \"ola\", \"role\": \"viewer\", \"token\": \"" +
        std::string(kViewer) + "\"}, {\"name\": \"kari\", \"role\": \"admin\", \"token_file\": \"" +
        (*dir_ / "admin.token").string() + "\"}]}"))
        << served_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(served_->stop(), 0);
    delete served_;
    delete dir_;
  }
  static t::HttpResult get(const std::string& target, const std::string& token = kViewer) {
    return t::http(served_->port(), "GET", target, "", token.empty() ? decltype(bearer(""))() : bearer(token));
  }

  static t::TempDir* dir_;
  static t::ServedBinary* served_;
};
t::TempDir* Ops::dir_ = nullptr;
t::ServedBinary* Ops::served_ = nullptr;

TEST_F(Ops, ProbesNeedNoToken) {
  EXPECT_EQ(get("/healthz", "").status, 200);
  const auto ready = get("/readyz", "");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_TRUE(parse(ready.body)["ready"].GetBool());
}

TEST_F(Ops, EveryOtherEndpointRefusesAMissingOrUnknownToken) {
  for (const char* target : {"/metrics", "/api/v1/connectors", "/api/v1/topics",
                             "/api/v1/schemas", "/api/v1/asyncapi"}) {
    t::HttpResult r = get(target, "");
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_NE(r.body.find("bearer token"), std::string::npos) << r.body;
    EXPECT_EQ(r.headers.at("www-authenticate").rfind("Bearer", 0), 0u);
    r = get(target, "not-a-token-of-anyone");
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_NE(r.body.find("unknown token"), std::string::npos) << r.body;
    r = t::http(served_->port(), "GET", target, "", {{"Authorization", "Basic b2xhOnB3"}});
    EXPECT_EQ(r.status, 401) << target;
  }
}

TEST_F(Ops, MetricsAreParsedByPrometheusOwnParser) {
  const auto r = get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  t::writeFile(*dir_ / "metrics.txt", r.body);
  // prometheus_client's own text parser (Debian python3-prometheus-client) reads the
  // scrape; it raises on anything malformed.
  const auto parsed = t::run(
      {"/usr/bin/python3", "-c",
       "import sys\n"
       "from prometheus_client.parser import text_string_to_metric_families as parse\n"
       "for f in parse(open(sys.argv[1]).read()):\n"
       "    for s in f.samples: print(s.name, s.value)\n",
       (*dir_ / "metrics.txt").string()});
  ASSERT_EQ(parsed.exitCode, 0) << parsed.out << r.body;
  for (const char* series : {"wayhome_build_info 1.0", "wayhome_outbox_backlog ",
                             "wayhome_outbox_published_total ", "wayhome_uptime_seconds "}) {
    EXPECT_NE(parsed.out.find(series), std::string::npos) << series << "\n" << parsed.out;
  }
  // The topic monitor has looked at the bus at least once within a few seconds.
  ASSERT_TRUE(t::waitFor([&] {
    return get("/metrics").body.find("wayhome_topic_messages{topic=\"cases.loan\"}") !=
           std::string::npos;
  }, 15000ms));
}

TEST_F(Ops, TopicsListEveryTopicWithPartitionsAndWatermarks) {
  rapidjson::Document d;
  ASSERT_TRUE(t::waitFor([&] {
    d = parse(get("/api/v1/topics").body);
    return d.IsObject() && d["topics"].Size() > 0 && d["topics"][0]["partitions"].Size() > 0;
  }, 15000ms));
  std::set<std::string> names;
  for (const auto& topic : d["topics"].GetArray()) {
    names.insert(topic["name"].GetString());
    EXPECT_FALSE(topic.HasMember("error")) << topic["name"].GetString();
    for (const auto& p : topic["partitions"].GetArray()) {
      EXPECT_GE(p["high_watermark"].GetInt64(), p["low_watermark"].GetInt64());
    }
  }
  for (const char* name : {"cases.gerica", "cases.plania", "cases.loan", "consent.events",
                           "referrals.finance", "notices.meetings", "audit.decisions", "dlq.router"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
}

TEST_F(Ops, ConnectorsAreListedAndAnUnknownOneIs404) {
  const auto list = get("/api/v1/connectors");
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(parse(list.body)["connectors"].IsArray());
  const auto missing = get("/api/v1/connectors/no-such");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no-such"), std::string::npos);
}

TEST_F(Ops, SchemasAreServedOneByOne) {
  auto d = parse(get("/api/v1/schemas").body);
  ASSERT_GE(d["schemas"].Size(), 22u);
  const auto one = get("/api/v1/schemas/loan.disbursed.v1");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(parse(one.body)["title"].GetString(), std::string("loan.disbursed.v1"));
  EXPECT_EQ(get("/api/v1/schemas/no.such.v1").status, 404);
}

TEST_F(Ops, AsyncApiListsEveryTopicAndEveryMessageType) {
  const auto r = get("/api/v1/asyncapi");
  ASSERT_EQ(r.status, 200);
  const auto d = parse(r.body);
  EXPECT_EQ(d["asyncapi"].GetString(), std::string("2.6.0"));
  const auto schemas = parse(get("/api/v1/schemas").body);
  std::set<std::string> referenced;
  for (const auto& channel : d["channels"].GetObject()) {
    for (const auto& m : channel.value["subscribe"]["message"]["oneOf"].GetArray()) {
      referenced.insert(m["$ref"].GetString());
    }
  }
  for (const auto& s : schemas["schemas"].GetArray()) {
    const std::string type = s["type"].GetString();
    EXPECT_TRUE(d["components"]["messages"].HasMember(type.c_str())) << type;
    EXPECT_TRUE(referenced.contains("#/components/messages/" + type)) << type << " has no topic";
  }
  for (const char* topic : {"cases.plania", "consent.events", "referrals.nav", "notices.requests"}) {
    EXPECT_TRUE(d["channels"].HasMember(topic)) << topic;
  }
}

// Without tokens (the loopback default) reads are open and admin actions refused.
TEST(OpsWithoutTokens, ReadsAreOpen) {
  t::TempDir dir;
  t::ServedBinary served(dir.path());
  ASSERT_TRUE(served.start()) << served.log();
  EXPECT_EQ(t::http(served.port(), "GET", "/api/v1/connectors").status, 200);
  EXPECT_EQ(t::http(served.port(), "GET", "/metrics").status, 200);
  EXPECT_EQ(served.stop(), 0);
}

}  // namespace
