// The real binary with the plania connector polling the plania simulator: events on
// the embedded bus, schema-valid and pseudonymous, and none twice across a restart.

#include <csignal>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/schemas/registry.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

constexpr const char* kToken = "e2e-plania-token";

struct Seen {
  std::string id;
  std::string type;
  std::string key;
  std::string data;
};

class PlaniaE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    simPort_ = t::freePort();
    const auto settings = std::string(R"({"base_url": "http://127.0.0.1:)") +
                          std::to_string(simPort_) + R"(", "token": ")" + kToken +
                          R"(", "poll_interval_ms": 100, "page_size": 4, "max_backoff_ms": 500})";
    const auto sim = std::string(R"({"port": )") + std::to_string(simPort_) + R"(, "token": ")" +
                     kToken +
                     R"(", "step_interval_ms": 60, "seed": 5, "households": 6, "units": 5})";
    config_ =
        R"(, "bus": {"default_partitions": 2}, "connectors": [{"type": "plania", "name": "plania-e2e", "settings": )" +
        settings + R"(}], "simulators": [{"type": "plania", "settings": )" + sim + "}]";
  }

  void start() {
    const int port = t::freePort();
    t::writeFile(dir_ / "wayhome.json", "{\"data_dir\": \"" + (dir_ / "data").string() +
                                            "\", \"http\": {\"port\": " + std::to_string(port) +
                                            "}, \"shutdown_timeout_ms\": 5000" + config_ + "}\n");
    process_ = t::startServe(dir_ / "wayhome.json", dir_ / "data",
                             dir_ / ("wayhome-" + std::to_string(++runs_) + ".log"), dir_.path());
    ASSERT_TRUE(process_->running()) << process_->log();
    consumer_ = std::make_unique<wayhome::bus::Consumer>(
        wayhome::bus::ClientProperties{
            {"bootstrap.servers", t::readRuntime(dir_ / "data")->bootstrap}},
        wayhome::bus::ConsumerOptions{.groupId = t::uniquePrefix() + "plania-e2e"});
    consumer_->assign("cases.plania", {0, 1}, true);
  }

  void stop() {
    consumer_.reset();
    process_->signal(SIGTERM);
    const auto code = process_->wait(t::scaled(20000ms));
    ASSERT_TRUE(code.has_value()) << process_->log();
    EXPECT_EQ(*code, 0) << process_->log();
  }

  /// Reads cases.plania until `done` holds for what was read.
  std::vector<Seen> readUntil(const std::function<bool(const std::vector<Seen>&)>& done) {
    std::vector<Seen> out;
    t::waitFor(
        [&] {
          for (auto& r : consumer_->poll(100ms)) {
            const auto* id = r.header("ce_id");
            const auto* type = r.header("ce_type");
            const auto* subject = r.header("ce_subject");
            EXPECT_TRUE(id && type && subject);
            if (!id || !type || !subject) continue;
            EXPECT_EQ(*subject, r.key);
            for (const auto& h : r.headers) {
              EXPECT_FALSE(t::hasElevenDigitsOutsidePersonRefs(h.value))
                  << h.name << "=" << h.value;
            }
            out.push_back({*id, *type, r.key, r.value});
          }
          return done(out);
        },
        60000ms, 10ms);
    return out;
  }

  /// The simulator's (synthetic) identity numbers, to prove none reaches the bus.
  std::vector<std::string> identityNumbers() {
    const auto r = t::http(simPort_, "GET", "/api/v1/customers?pageSize=1000", "",
                           {{"Authorization", std::string("Bearer ") + kToken}});
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    std::vector<std::string> out;
    if (!d.IsObject()) return out;
    for (const auto& c : d["items"].GetArray())
      out.push_back(c["nationalIdentityNumber"].GetString());
    return out;
  }

  int simulatorDay() {
    const auto r = t::http(simPort_, "GET", "/admin/requests", "",
                           {{"Authorization", std::string("Bearer ") + kToken}});
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    return d.IsObject() && d.HasMember("day") ? d["day"].GetInt() : -1;
  }

  std::string firstContractsSince() {
    const auto r = t::http(simPort_, "GET", "/admin/requests", "",
                           {{"Authorization", std::string("Bearer ") + kToken}});
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    if (!d.IsObject()) return "(no answer)";
    for (const auto& q : d["requests"].GetArray()) {
      if (std::string(q["collection"].GetString()) == "contracts")
        return q["updatedSince"].GetString();
    }
    return "(no contracts request)";
  }

  t::TempDir dir_;
  int simPort_ = 0;
  int runs_ = 0;
  std::string config_;
  std::unique_ptr<t::Process> process_;
  std::unique_ptr<wayhome::bus::Consumer> consumer_;
};

TEST_F(PlaniaE2e, EventsFlowSchemaValidAndNoneIsEmittedTwiceAcrossARestart) {
  const auto registry = wayhome::schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  std::vector<std::string> nins;
  auto check = [&](const std::vector<Seen>& events) {
    for (const auto& e : events) {
      const auto invalid = registry.validate(e.type, e.data);
      EXPECT_FALSE(invalid.has_value()) << e.type << ": " << invalid->message;
      EXPECT_FALSE(t::hasElevenDigitsOutsidePersonRefs(e.data)) << e.data;
      for (const auto& nin : nins)
        EXPECT_EQ(e.data.find(nin), std::string::npos) << e.type;
      rapidjson::Document d;
      d.Parse(e.data.c_str());
      ASSERT_TRUE(d.IsObject());
      if (d.HasMember("person_ref")) {
        EXPECT_EQ(e.key, d["person_ref"].GetString()) << e.type;
      } else {
        ASSERT_TRUE(d.HasMember("unit_id")) << e.type;
        EXPECT_EQ(e.key, d["unit_id"].GetString()) << e.type;
      }
      EXPECT_TRUE(e.key.starts_with("pr_") || e.key.starts_with("AREA-")) << e.key;
    }
  };
  auto types = [](const std::vector<Seen>& events) {
    std::set<std::string> out;
    for (const auto& e : events)
      out.insert(e.type);
    return out;
  };

  start();
  const auto first = readUntil([&](const std::vector<Seen>& seen) {
    const auto ts = types(seen);
    return seen.size() >= 20 && ts.count("housing.application_received.v1") &&
           ts.count("tenancy.contract_signed.v1") && ts.count("property.unit_vacated.v1") &&
           ts.size() >= 5;
  });
  const int dayReached = simulatorDay();
  nins = identityNumbers();
  ASSERT_FALSE(nins.empty());
  stop();
  ASSERT_GE(first.size(), 20u) << process_->log();
  EXPECT_GE(types(first).size(), 5u);
  check(first);
  std::set<std::string> ids;
  for (const auto& e : first)
    EXPECT_TRUE(ids.insert(e.id).second) << "twice: " << e.id << " " << e.type;
  EXPECT_EQ(process_->log().find("level=error"), std::string::npos) << process_->log();

  std::string watermark;
  {
    wayhome::store::StateStore store(dir_ / "data" / "state.db");
    store.transaction([&](wayhome::store::Connection& db) {
      wayhome::store::Statement st(db,
                                   "SELECT updated FROM plania_watermark WHERE instance = "
                                   "'plania-e2e' AND entity = 'contract';");
      if (st.step()) watermark = st.columnText(0);
    });
  }
  ASSERT_FALSE(watermark.empty());

  // The restarted simulator replays the same history from day 0; the restarted
  // connector resumes at its watermark, and the outbox knows every event it derived.
  start();
  ASSERT_TRUE(
      t::waitFor([&] { return firstContractsSince() != "(no contracts request)"; }, 20000ms));
  EXPECT_EQ(firstContractsSince(), watermark);
  const auto all = readUntil([&](const std::vector<Seen>& seen) {
    return seen.size() >= 3 && simulatorDay() >= dayReached + 20;
  });
  stop();
  EXPECT_GE(all.size(), 3u);
  check(all);
  for (const auto& e : all) {
    EXPECT_TRUE(ids.insert(e.id).second)
        << "emitted again after the restart: " << e.type << " " << e.data;
  }
}

}  // namespace
