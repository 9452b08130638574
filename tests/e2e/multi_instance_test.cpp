// Three `wayhome serve` instances on one standalone bus (`wayhome bus`) and one real
// PostgreSQL (issue 13): events stream in, one instance is SIGKILLed mid-stream, later
// another, both start again. The partitions of a killed instance are taken over within
// bounds (case events the test writes), and with the three source simulators feeding
// all instances everything the one-instance reference run made exists exactly once,
// nothing more, the consent and referral state agrees, and Plania was polled by one
// instance at a time.

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <future>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/gerica/connector.hpp>
#include <wayhome/loan/connector.hpp>
#include <wayhome/simulators/plania_simulator.hpp>
#include <wayhome/simulators/simulators.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace {

using namespace std::chrono_literals;
namespace t = wayhome::testing;
namespace bus = wayhome::bus;
namespace connectors = wayhome::connectors;
namespace store = wayhome::store;

constexpr int kInstances = 3;

class MultiInstance : public ::testing::Test {
 protected:
  void SetUp() override { setUpWith(""); }

  // The bus, the database and the instances' configs; `extra` goes into each config's
  // top-level object (connectors).
  void setUpWith(const std::string& extra) {
    prefix_ = t::uniquePrefix();
    ASSERT_TRUE(bus_.start(dir_.path(), 6, prefix_)) << bus_.log();
    bootstrap_ = bus_.bootstrap();
    db_ = t::postgresDatabase();
    // One person_ref key for all: PostgreSQL-backed instances must share it.
    t::writeSecretFile(dir_ / "person_ref.key",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    writeConfigs(extra);
  }

  void writeConfigs(const std::string& extra) {
    for (int i = 0; i < kInstances; ++i) {
      const auto data = dir_ / ("data-" + std::to_string(i));
      if (ports_[i] == 0) ports_[i] = t::freePort();
      t::writeFile(dir_ / ("wayhome-" + std::to_string(i) + ".json"),
                   "{\"data_dir\": \"" + data.string() +
                       "\", \"http\": {\"port\": " + std::to_string(ports_[i]) +
                       "}, \"shutdown_timeout_ms\": 5000, \"bus\": {\"bootstrap_servers\": \"" +
                       bootstrap_ + "\", \"topic_prefix\": \"" + prefix_ +
                       "\"}, \"state\": {\"postgres\": {\"url\": \"" + db_.url +
                       "\", \"password_file\": \"" + db_.passwordFile.string() +
                       "\", \"pool\": 4}}, \"identity\": {\"key_file\": \"" +
                       (dir_ / "person_ref.key").string() +
                       "\"}, \"scheduler\": {\"poll_ms\": 200, \"recurring\": []}" + extra + "}");
    }
  }

  void start(int i) {
    launch(i);
    ready(i);
  }

  void launch(int i) {
    const auto data = dir_ / ("data-" + std::to_string(i));
    std::filesystem::remove(data / "runtime.json");
    serve_[i] = std::make_unique<t::Process>(
        std::vector<std::string>{t::wayhomeBinary().string(), "serve", "--config",
                                 (dir_ / ("wayhome-" + std::to_string(i) + ".json")).string()},
        dir_ / ("serve-" + std::to_string(i) + "-" + std::to_string(++starts_[i]) + ".log"));
  }

  void ready(int i) {
    const auto data = dir_ / ("data-" + std::to_string(i));
    ASSERT_TRUE(t::waitFor(
        [&] { return std::filesystem::exists(data / "runtime.json") || !serve_[i]->running(); },
        60000ms));
    ASSERT_TRUE(serve_[i]->running()) << serve_[i]->log();
  }

  void kill(int i) {
    serve_[i]->signal(SIGKILL);
    EXPECT_TRUE(serve_[i]->wait(10000ms).has_value());
  }

  /// The intake URLs of the instances (`path` on each).
  std::vector<std::string> urls(const std::string& path) const {
    std::vector<std::string> out;
    for (int port : ports_)
      out.push_back("http://127.0.0.1:" + std::to_string(port) + path);
    return out;
  }

  /// The instance whose process sent `userAgent` ("wayhome (instance HOST-PID-RANDOM)"),
  /// or -1.
  int instanceOf(const std::string& userAgent) {
    for (int i = 0; i < kInstances; ++i) {
      if (serve_[i] &&
          userAgent.find("-" + std::to_string(serve_[i]->pid()) + "-") != std::string::npos) {
        return i;
      }
    }
    return -1;
  }

  t::TempDir dir_;
  std::string prefix_;
  std::string bootstrap_;
  t::PostgresDatabase db_;
  t::StandaloneBus bus_;
  std::unique_ptr<t::Process> serve_[kInstances];
  int starts_[kInstances] = {};
  int ports_[kInstances] = {};
};

TEST_F(MultiInstance, AKilledInstancesPartitionsAreTakenOverInBoundsEveryReferralOnce) {
  constexpr int kEvents = 1200;
  bus::Producer producer({{"bootstrap.servers", bootstrap_}});
  auto send = [&](int from, int to) {
    std::vector<std::future<bus::DeliveryReport>> reports;
    for (int i = from; i < to; ++i) {
      bus::CloudEvent e;
      e.id = "multi-" + std::to_string(i);
      e.source = "/test";
      e.type = "tenancy.rent_arrears.v1";
      e.subject = "K-" + std::to_string(i);
      e.data = std::string(R"({"contract_id": "K-)") + std::to_string(i) + R"(", "person_ref": ")" +
               t::kAnna + R"(", "months_overdue": 1, "amount_nok": 100})";
      reports.push_back(producer.send(prefix_ + "cases.plania", e));
    }
    for (auto& r : reports)
      ASSERT_TRUE(r.get().ok);
  };
  bus::Consumer referrals({{"bootstrap.servers", bootstrap_}}, {.groupId = "multi-referrals"});
  referrals.assign(prefix_ + "referrals.finance", {0, 1, 2, 3, 4, 5}, true);
  bus::Consumer audit({{"bootstrap.servers", bootstrap_}}, {.groupId = "multi-audit"});
  audit.assign(prefix_ + "audit.decisions", {0, 1, 2, 3, 4, 5}, true);
  std::map<std::string, int> bySource;  // referrals per source event
  std::size_t referralTotal = 0;
  std::map<std::string, int> auditIds;  // audit records per ce_id
  auto drain = [&] {
    for (const auto& r : referrals.poll(20ms, 5000)) {
      rapidjson::Document d;
      d.Parse(r.value.c_str());
      ASSERT_TRUE(d.IsObject());
      ++bySource[d["source_event_id"].GetString()];
      ++referralTotal;
    }
    for (const auto& r : audit.poll(5ms, 5000))
      ++auditIds[*r.header("ce_id")];
  };
  auto sent = [&](int n) {
    return t::waitFor(
        [&] {
          drain();
          return bySource.size() >= static_cast<std::size_t>(n);
        },
        120000ms);
  };

  for (int i = 0; i < kInstances; ++i)
    start(i);
  send(0, 300);
  ASSERT_TRUE(sent(300)) << bySource.size();

  // Fail-over: an instance dies with its partitions; no input arrives meanwhile, so
  // what is left of [0, 600) was the dead instance's, taken over by a live one.
  send(300, 600);
  std::this_thread::sleep_for(150ms);
  kill(1);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(sent(600)) << bySource.size();
  const auto failover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  std::cout << "fail-over after SIGKILL: every input routed " << failover.count()
            << " ms after the kill\n";
  // Session timeout 10 s plus a rebalance: bounded well below librdkafka's 45 s default.
  EXPECT_LE(failover, t::scaled(25000ms));

  std::thread feeder([&] {
    for (int i = 600; i < kEvents; i += 40) {
      send(i, std::min(i + 40, kEvents));
      std::this_thread::sleep_for(20ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  kill(2);
  start(1);
  feeder.join();
  start(2);
  send(0, 100);  // a source re-sends part of what it sent before: nothing new comes of it
  ASSERT_TRUE(sent(kEvents)) << bySource.size() << "\n" << serve_[0]->log();
  for (int i = 0; i < 20; ++i)  // anything late would show up now
    drain();

  EXPECT_EQ(bySource.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(referralTotal, static_cast<std::size_t>(kEvents)) << "duplicate referrals";
  for (const auto& [id, n] : bySource)
    EXPECT_EQ(n, 1) << id;
  std::size_t twice = 0;
  for (const auto& [id, n] : auditIds)
    twice += n > 1 ? 1 : 0;
  EXPECT_GE(auditIds.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(twice, 0u) << "audit records on the bus more than once";
  for (int i = 0; i < kInstances; ++i) {
    serve_[i]->signal(SIGTERM);
    EXPECT_EQ(serve_[i]->wait(t::scaled(20000ms)), 0) << serve_[i]->log();
  }
}

// ---- The three simulators through three instances ------------------------------------

constexpr const char* kLoanSecret = "multi-instance-loan-webhook-secret-0000000";
constexpr const char* kGericaSecret = "multi-instance-gerica-sender-secret-000000";
constexpr const char* kPlaniaToken = "plania-demo-token";

/// The connectors of every instance and of the reference run, Plania at `planiaUrl`.
std::string connectorsConfig(const std::string& planiaUrl) {
  return std::string(R"(, "connectors": [
      {"type": "plania", "name": "plania", "settings": {"base_url": ")") +
         planiaUrl + R"(", "token": ")" + kPlaniaToken + R"(", "poll_interval_ms": 200}},
      {"type": "loan", "name": "loan", "settings": {"secret": ")" +
         kLoanSecret + R"("}},
      {"type": "gerica", "name": "gerica", "settings": {"senders": [
        {"her_id": "974600951", "secret": ")" +
         kGericaSecret + R"("}]}}])";
}

/// A Plania whose journeys were played before it serves: every run reads the same
/// records however its polls fall (a record changed between two polls is seen once,
/// changed across two polls twice, so stepping while polling would differ run to run).
std::unique_ptr<connectors::plania::PlaniaSimulator> playedPlania() {
  connectors::plania::SimulatorSettings s;
  s.stepInterval = 0ms;
  s.seed = 1313;
  s.households = 10;
  s.units = 8;
  auto sim = std::make_unique<connectors::plania::PlaniaSimulator>(s);
  sim->step(60);
  sim->start({});
  return sim;
}

std::string jsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items)
    out += (out.size() > 1 ? ",\"" : "\"") + i + "\"";
  return out + "]";
}

/// The loan journeys (the same whatever the rate: it spaces the webhooks only).
std::unique_ptr<connectors::Simulator> loanSimulator(const std::vector<std::string>& urls,
                                                     int ratePerSecond) {
  return connectors::loan::LoanSimulatorFactory().create(
      std::string(R"({"secret": ")") + kLoanSecret + R"(", "urls": )" + jsonArray(urls) +
      R"(, "journeys": 24, "rate_per_s": )" + std::to_string(ratePerSecond) +
      R"(, "seed": 1314, "retry_initial_ms": 100})");
}

/// GERICA journeys, without withdrawals: a withdrawal is the journey's last message and
/// travels on the consent topic, so it may overtake the case event sent just before it
/// (another topic, perhaps another instance), and whether that case's referral is made
/// or waits for consent is then a matter of timing, in one instance as in three.
std::unique_ptr<connectors::Simulator> gericaSimulator(const std::vector<std::string>& urls,
                                                       std::uint64_t seed) {
  return connectors::gerica::GericaSimulatorFactory().create(
      std::string(R"({"secret": ")") + kGericaSecret + R"(", "urls": )" + jsonArray(urls) +
      R"(, "journeys": 6, "rate_per_s": 8, "retry_initial_ms": 100, "withdraw_rate": 0, "seed": )" +
      std::to_string(seed) + "}");
}

/// Starts `sim` and waits until it played its journeys.
bool play(connectors::Simulator& sim) {
  sim.start({});
  return t::waitFor([&] { return sim.finished(); }, t::scaled(60000ms), 50ms);
}

/// What the service published that the runs compare, counted by "topic ce_id" (the
/// topic without its prefix): referrals and consent_needed (referrals.<sector>), notice
/// requests, meeting notices and audit records. Their ids derive from the source
/// events' ids (the simulators' seeded ids), not from the instance that made them.
class Outputs {
 public:
  Outputs(const std::string& bootstrap, const std::string& prefix) {
    const bus::Topics topics(prefix);
    for (const auto& topic :
         {topics.referrals("housing"), topics.referrals("finance"), topics.referrals("nav"),
          topics.noticeRequests(), topics.meetingNotices(), topics.auditDecisions()}) {
      readers_.push_back(
          {topic.substr(prefix.size()), std::make_unique<t::TopicReader>(bootstrap, topic, 6), 0});
    }
  }

  /// Reads what is new; true if anything was.
  bool drain() {
    bool any = false;
    for (auto& r : readers_) {
      const auto& records = r.reader->records();
      for (; r.counted < records.size(); ++r.counted) {
        const auto& record = records[r.counted];
        const auto* id = record.header("ce_id");
        const std::string key = r.label + " " + (id ? *id : std::string("(no ce_id)"));
        ++counts_[key];
        // What it is: the CloudEvent type, for an audit record the decision.
        const auto* type = record.header("ce_type");
        std::string kind = type ? *type : "";
        rapidjson::Document d;
        d.Parse(record.value.c_str());
        if (d.IsObject() && d.HasMember("decision") && d["decision"].IsString()) {
          kind = d["decision"].GetString();
        }
        kinds_[key] = kind;
        any = true;
      }
    }
    return any;
  }

  /// Drains until nothing new came for `quiet` (at most a minute).
  void settle(std::chrono::milliseconds quiet) {
    auto last = std::chrono::steady_clock::now();
    const auto end = last + t::scaled(60000ms);
    while (std::chrono::steady_clock::now() < end &&
           std::chrono::steady_clock::now() - last < quiet) {
      if (drain()) last = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(50ms);
    }
  }

  /// Drains until every key of `expected` came (false after `timeout`).
  bool waitFor(const std::set<std::string>& expected, std::chrono::milliseconds timeout) {
    return t::waitFor(
        [&] {
          drain();
          return std::all_of(expected.begin(), expected.end(),
                             [&](const std::string& k) { return counts_.contains(k); });
        },
        timeout, 50ms);
  }

  /// The keys of `expected` not seen (at most 20, for a failure message).
  [[nodiscard]] std::string missing(const std::set<std::string>& expected) const {
    std::string out;
    int n = 0;
    for (const auto& k : expected) {
      if (!counts_.contains(k) && n++ < 20) out += k + "\n";
    }
    return std::to_string(n) + " missing of " + std::to_string(expected.size()) + ":\n" + out;
  }

  [[nodiscard]] std::set<std::string> keys() const {
    std::set<std::string> out;
    for (const auto& [k, n] : counts_)
      out.insert(k);
    return out;
  }
  [[nodiscard]] const std::map<std::string, int>& counts() const { return counts_; }
  /// key -> its CloudEvent type, or an audit record's decision.
  [[nodiscard]] const std::map<std::string, std::string>& kinds() const { return kinds_; }

 private:
  struct Reader {
    std::string label;
    std::unique_ptr<t::TopicReader> reader;
    std::size_t counted;
  };
  std::vector<Reader> readers_;
  std::map<std::string, int> counts_;
  std::map<std::string, std::string> kinds_;
};

/// A consent_needed (event or audit record) depends on timing, not only on the inputs:
/// a source's consent and its case event travel on two topics, so which the router
/// reads first is a race (the simulated nurse records the need, then the consent, 50 ms
/// apart). Whichever wins, the referral is made once; only whether it waited differs.
bool timingDependent(const std::string& kind) {
  return kind == "consent_needed" || kind == "referral.consent_needed.v1";
}

/// The consent register, the referrals waiting for consent or for their day, and each
/// referral's lifecycle, as sorted lines of text.
std::set<std::string> routerState(store::StateStore& state) {
  std::set<std::string> out;
  state.transaction([&](store::Connection& db) {
    const std::pair<const char*, const char*> queries[] = {
        {"consent", "SELECT consent_id, withdrawn FROM router_consents;"},
        // A referral that waited and was released is a timing matter (see above).
        {"pending", "SELECT referral_id, status FROM router_pending WHERE status = 'waiting';"},
        {"deferred", "SELECT referral_id, state FROM router_deferred;"},
        {"referral", "SELECT referral_id, state FROM router_referrals;"}};
    for (const auto& [what, sql] : queries) {
      store::Statement st(db, sql);
      while (st.step())
        out.insert(std::string(what) + " " + st.columnText(0) + " " + st.columnText(1));
    }
  });
  return out;
}

/// One request the Plania simulator answered.
struct PlaniaRequest {
  std::string agent;
  std::int64_t started = 0;
  std::int64_t finished = 0;
};

std::vector<PlaniaRequest> planiaRequests(const connectors::plania::PlaniaSimulator& sim) {
  const auto r = t::http(sim.port(), "GET", "/admin/requests", "",
                         {{"Authorization", std::string("Bearer ") + kPlaniaToken}});
  EXPECT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  std::vector<PlaniaRequest> out;
  if (!d.IsObject() || !d.HasMember("requests")) return out;
  for (const auto& q : d["requests"].GetArray()) {
    out.push_back(
        {q["user_agent"].GetString(), q["started_ms"].GetInt64(), q["finished_ms"].GetInt64()});
  }
  return out;
}

/// The seeded sources' journeys, in three phases (Plania's records and the first GERICA
/// journeys; the loan journeys; more GERICA journeys): the keys each phase added.
using Phases = std::array<std::set<std::string>, 3>;

struct Reference {
  Phases phases;  ///< without the timing-dependent keys
  std::map<std::string, int> counts;
  std::map<std::string, std::string> kinds;
  std::set<std::string> state;
};

/// The same sources through ONE instance on its own embedded bus and SQLite: what the
/// three instances must make, each exactly once.
Reference referenceRun(const std::filesystem::path& dir, const std::filesystem::path& keyFile) {
  Reference ref;
  std::filesystem::create_directories(dir);
  auto plania = playedPlania();
  t::ServedBinary one(dir);
  const bool up =
      one.start(R"(, "bus": {"embedded": true, "default_partitions": 6}, "state": {"path": ")" +
                (dir / "state.db").string() + R"("}, "identity": {"key_file": ")" +
                keyFile.string() + R"("}, "scheduler": {"poll_ms": 200, "recurring": []})" +
                connectorsConfig(plania->baseUrl()));
  EXPECT_TRUE(up) << one.log();
  if (!up) return ref;
  const std::string base = "http://127.0.0.1:" + std::to_string(one.port());
  Outputs out(one.runtime().bootstrap, "");
  std::set<std::string> before;
  auto phase = [&](int n, connectors::Simulator& sim) {
    EXPECT_TRUE(play(sim)) << n;
    // Something of this phase first (the router may still be joining its group).
    EXPECT_TRUE(t::waitFor(
        [&] {
          out.drain();
          return out.counts().size() > before.size();
        },
        t::scaled(30000ms)))
        << n;
    out.settle(t::scaled(2000ms));
    for (const auto& k : out.keys()) {
      if (!before.contains(k) && !timingDependent(out.kinds().at(k))) {
        ref.phases[static_cast<std::size_t>(n)].insert(k);
      }
    }
    before = out.keys();
  };
  auto gericaBefore = gericaSimulator({base + connectors::gerica::messagesPath("gerica")}, 1315);
  phase(0, *gericaBefore);
  auto loan = loanSimulator({base + connectors::loan::loanWebhookPath("loan")}, 50);
  phase(1, *loan);
  auto gericaAfter = gericaSimulator({base + connectors::gerica::messagesPath("gerica")}, 1316);
  phase(2, *gericaAfter);
  ref.counts = out.counts();
  ref.kinds = out.kinds();
  EXPECT_EQ(one.stop(t::scaled(20000ms)), 0) << one.log();
  store::StateStore state(dir / "state.db");
  ref.state = routerState(state);
  return ref;
}

TEST_F(MultiInstance, ThreeSimulatorsThroughThreeInstancesTwoKilledEverythingOncePlaniaOneAtATime) {
  const auto started = std::chrono::steady_clock::now();
  auto plania = playedPlania();
  writeConfigs(connectorsConfig(plania->baseUrl()));
  // The reference run goes on while the three instances start.
  auto reference = std::async(std::launch::async, [&] {
    return referenceRun(dir_ / "reference", dir_ / "person_ref.key");
  });
  for (int i = 0; i < kInstances; ++i)
    launch(i);
  for (int i = 0; i < kInstances; ++i)
    ready(i);
  const Reference ref = reference.get();
  ASSERT_FALSE(ref.phases[0].empty());
  ASSERT_FALSE(ref.phases[1].empty());
  ASSERT_FALSE(ref.phases[2].empty());
  for (const auto& [key, n] : ref.counts)
    EXPECT_EQ(n, 1) << "the reference run published twice: " << key;
  const auto referenceTook = std::chrono::steady_clock::now() - started;
  auto took = [&](const char* what) {
    std::cout << what << " done at "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms" << std::endl;
  };
  took("reference run and start");

  Outputs out(bootstrap_, prefix_);
  std::set<std::string> expected = ref.phases[0];

  // Phase 0, all three up: Plania polled by one of them, GERICA posted round-robin.
  auto gericaBefore = gericaSimulator(urls(connectors::gerica::messagesPath("gerica")), 1315);
  ASSERT_TRUE(play(*gericaBefore));
  ASSERT_TRUE(out.waitFor(expected, t::scaled(60000ms))) << out.missing(expected);
  took("phase");

  // Phase 1: the loan webhooks stream in; the instance polling Plania is SIGKILLed, later
  // another; both start again while the stream goes on. Consents travel on their own
  // topic, so GERICA journeys are kept out of the kills: a consent stuck with a dead
  // instance's partition would let a later case of its person pass it (the referral
  // then waits for consent, rightly, and the sets differ by timing, not by fault).
  auto loan = loanSimulator(urls(connectors::loan::loanWebhookPath("loan")), 8);
  loan->start({});
  const std::size_t before = out.counts().size();
  ASSERT_TRUE(t::waitFor(
      [&] {
        out.drain();
        return out.counts().size() >= before + 10;
      },
      t::scaled(30000ms)));
  const auto requests = planiaRequests(*plania);
  ASSERT_FALSE(requests.empty());
  int first = instanceOf(requests.back().agent);
  if (first < 0) first = 1;
  const int second = (first + 1) % kInstances;
  kill(first);
  ASSERT_TRUE(t::waitFor(
      [&] {
        out.drain();
        return out.counts().size() >= before + 30 || loan->finished();
      },
      t::scaled(30000ms)));
  kill(second);
  start(first);
  start(second);
  ASSERT_TRUE(t::waitFor([&] { return loan->finished(); }, t::scaled(60000ms)));
  expected.insert(ref.phases[1].begin(), ref.phases[1].end());
  ASSERT_TRUE(out.waitFor(expected, t::scaled(60000ms))) << out.missing(expected);
  took("phase");

  // Phase 2: GERICA again, through all three (two of them restarted).
  auto gericaAfter = gericaSimulator(urls(connectors::gerica::messagesPath("gerica")), 1316);
  ASSERT_TRUE(play(*gericaAfter));
  expected.insert(ref.phases[2].begin(), ref.phases[2].end());
  EXPECT_TRUE(out.waitFor(expected, t::scaled(30000ms))) << out.missing(expected);
  took("phase");
  out.settle(t::scaled(2000ms));  // anything extra or doubled would show up now

  // Everything once, nothing extra.
  std::size_t missing = 0, doubled = 0, extra = 0;
  for (const auto& k : expected) {
    const auto it = out.counts().find(k);
    if (it == out.counts().end()) {
      ADD_FAILURE() << "missing: " << k;
      ++missing;
    } else if (it->second != 1) {
      ADD_FAILURE() << it->second << " times: " << k;
      ++doubled;
    }
  }
  std::size_t waited = 0;
  for (const auto& [k, n] : out.counts()) {
    if (timingDependent(out.kinds().at(k))) {
      // Made or not by timing; never twice, and of a referral the reference made too.
      EXPECT_EQ(n, 1) << k;
      ++waited;
    } else if (!expected.contains(k)) {
      ADD_FAILURE() << "not in the reference run: " << k << " (" << out.kinds().at(k) << ")";
      ++extra;
    }
  }
  std::cout << "three simulators through three instances, two killed: " << expected.size()
            << " outputs expected, " << missing << " missing, " << doubled << " doubled, " << extra
            << " extra; " << waited << " consent_needed events and audit records (reference run "
            << std::chrono::duration_cast<std::chrono::milliseconds>(referenceTook).count()
            << " ms)\n";

  // Plania: one instance at a time, and more than one over the run (the poller died).
  const auto polled = planiaRequests(*plania);
  std::set<std::string> agents;
  std::size_t overlaps = 0;
  for (std::size_t i = 0; i < polled.size(); ++i) {
    EXPECT_EQ(polled[i].agent.rfind("wayhome (instance ", 0), 0U) << polled[i].agent;
    agents.insert(polled[i].agent);
    for (std::size_t j = 0; j < i; ++j) {
      if (polled[j].agent != polled[i].agent && polled[j].started <= polled[i].finished &&
          polled[i].started <= polled[j].finished) {
        ++overlaps;
      }
    }
  }
  EXPECT_EQ(overlaps, 0U) << "Plania requests of two instances at once";
  EXPECT_GE(agents.size(), 2U) << "the killed poller's lease was never taken over";
  std::cout << "Plania: " << polled.size() << " requests from " << agents.size() << " instances, "
            << overlaps << " overlapping\n";

  // The consent register and the referrals' lifecycle agree with the reference run.
  for (int i = 0; i < kInstances; ++i)
    serve_[i]->signal(SIGTERM);
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(serve_[i]->wait(t::scaled(20000ms)), 0) << serve_[i]->log();
    took("stop");
  }
  store::StateStore state(store::PostgresOptions{db_.url, db_.passwordFile, 2});
  const auto shared = routerState(state);
  EXPECT_FALSE(shared.empty());
  for (const auto& row : shared) {
    EXPECT_TRUE(ref.state.contains(row)) << "only in the three instances' state: " << row;
  }
  for (const auto& row : ref.state) {
    EXPECT_TRUE(shared.contains(row)) << "only in the reference run's state: " << row;
  }
}

}  // namespace

namespace {

// The simulators' `urls` (several instances): wrong-typed, empty or not http:// is
// refused before anything is sent, naming the field and the problem.
TEST(SimulatorUrls, WrongTypedEmptyOrNonHttpUrlsAreRefusedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"urls": "http://127.0.0.1:9"})", "/urls: expected array"},
      {R"({"urls": []})", "/urls: must have at least 1"},
      {R"({"urls": ["ftp://127.0.0.1:9"]})", "/urls/0: does not match pattern"},
      {R"({"urls": [7]})", "/urls/0: expected string"}};
  for (const char* type : {"loan", "gerica"}) {
    for (const auto& [settings, error] : cases) {
      SCOPED_TRACE(std::string(type) + " " + settings);
      std::string json = settings;
      if (std::string(type) == "loan") {
        json = std::string(R"({"secret": ")") + kLoanSecret + "\", " + json.substr(1);
      }
      // The error goes to stderr: read it with stdout.
      const auto r = t::run({"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                             t::wayhomeBinary().string(), "simulate", type, "--settings", json});
      EXPECT_EQ(r.exitCode, 2) << r.out;
      EXPECT_NE(r.out.find(error), std::string::npos) << r.out;
    }
  }
}

// The shipped production example (issue 13: "a commented example that `wayhome
// check-config` accepts"), with its /etc and /var paths moved into a temporary folder
// where its files exist.
TEST(ProductionConfig, TheShippedExampleIsAcceptedByCheckConfig) {
  t::TempDir dir;
  std::string text = t::readFile(t::sourceDir() / "deploy/config/production.jsonc");
  auto replaceAll = [&](const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  replaceAll("/etc/wayhome/", (dir / "etc").string() + "/");
  replaceAll("/var/lib/wayhome", (dir / "var").string());
  replaceAll("/usr/share/wayhome/schemas", t::schemaDir().string());
  std::filesystem::create_directories(dir / "etc" / "keys");
  for (const char* secret : {"db.password", "kafka-sasl.password", "housing-system.token",
                             "ops-admin.token", "ops-viewer.token"}) {
    t::writeSecretFile(dir / "etc" / secret, std::string("long-enough-secret-of-") + secret + "\n");
  }
  t::writeSecretFile(dir / "etc" / "keys" / "person_ref.key",
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
  t::writeFile(dir / "etc" / "production.jsonc", text);
  const auto r = t::run({t::wayhomeBinary().string(), "check-config", "--config",
                         (dir / "etc" / "production.jsonc").string()});
  EXPECT_EQ(r.exitCode, 0) << r.out;
}

}  // namespace
