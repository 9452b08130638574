#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/ops/probes.hpp>

namespace wayhome::services {
namespace {

HealthSnapshot healthy() {
  HealthSnapshot h;
  h.busOk = true;
  h.brokers = 1;
  h.stateOk = true;
  h.stateVersion = 9;
  h.schemaCount = 30;
  return h;
}

rapidjson::Document parsed(const HttpResponse& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  EXPECT_FALSE(d.HasParseError()) << r.body;
  return d;
}

TEST(Probes, HealthzSaysOkWithTheUptimeInWholeSeconds) {
  const auto r = healthzResponse(std::chrono::milliseconds(61500));
  EXPECT_EQ(r.status, 200);
  const auto d = parsed(r);
  EXPECT_STREQ(d["status"].GetString(), "ok");
  EXPECT_EQ(d["uptime_seconds"].GetInt64(), 61);
}

TEST(Probes, ReadyWhenBusStoreAndSchemasAreUsableAndNothingFails) {
  const auto r = readyzResponse(healthy(), {}, "127.0.0.1:9092");
  EXPECT_EQ(r.status, 200);
  const auto d = parsed(r);
  EXPECT_TRUE(d["ready"].GetBool());
  EXPECT_EQ(d["checks"]["state"]["schema_version"].GetInt(), 9);
  EXPECT_EQ(d["checks"]["schemas"]["count"].GetInt(), 30);
}

TEST(Probes, NotReadyNamesEveryFailingComponentAndTheBusReasonAsJson) {
  auto h = healthy();
  h.busOk = false;
  h.busError = "all brokers down: \"quoted\"\n";
  StatusSnapshot plania;
  plania.name = "plania";
  plania.health = Health::kFailing;
  StatusSnapshot loan;
  loan.name = "loan";
  loan.health = Health::kRunning;
  StatusSnapshot gerica;
  gerica.name = "gerica";
  gerica.health = Health::kFailing;
  const auto r = readyzResponse(h, {plania, loan, gerica}, "b:1");
  EXPECT_EQ(r.status, 503);
  const auto d = parsed(r);  // the quote and newline are escaped, not pasted
  EXPECT_FALSE(d["ready"].GetBool());
  EXPECT_STREQ(d["checks"]["bus"]["reason"].GetString(), "all brokers down: \"quoted\"\n");
  EXPECT_STREQ(d["checks"]["connectors"]["reason"].GetString(), "failing: plania, gerica");
}

TEST(Probes, NoSchemasMeansNotReady) {
  auto h = healthy();
  h.schemaCount = 0;
  EXPECT_EQ(readyzResponse(h, {}, "b:1").status, 503);
}

}  // namespace
}  // namespace wayhome::services
