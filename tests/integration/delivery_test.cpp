// Webhook delivery in a real service: embedded Kafka over TCP, the state in a real
// SQLite file or a real PostgreSQL database (each test on both), and real local HTTP
// receivers that succeed, fail, are slow or are down.

#include <cstdlib>
#include <future>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/embedded_cluster.hpp>
#include <wayhome/bus/producer.hpp>
#include <wayhome/bus/topics.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/store/state_store.hpp>
#include <wayhome/testing/http_receiver.hpp>
#include <wayhome/testing/service.hpp>
#include <wayhome/testing/store.hpp>
#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

constexpr const char* kSecretFinance = "finance-secret-0123456789";
constexpr const char* kSecretHousing = "housing-secret-0123456789";

std::string referral(const std::string& id, const std::string& to) {
  return R"({"referral_id": ")" + id + R"(", "person_ref": ")" + t::kAnna +
         R"(", "from_sector": "property", "to_sector": ")" + to +
         R"(", "reason": "allocate_from_waiting_list", "rule_id": "R11", "source_event_id": "ev-)" +
         id +
         R"(", "created_at": "2026-11-22T10:00:00Z", "due_by": "2026-11-29T10:00:00Z", "facts": {"unit_id": "A-1"}})";
}

// One database per test, kept across restarts of the service.
class DeliveryTest : public t::StateBackendTest {
 protected:
  static WebhookSettings hook(const std::string& name, const std::string& sector,
                              const std::string& url, const std::string& secret) {
    WebhookSettings w;
    w.name = name;
    w.sector = sector;
    w.url = url;
    w.secret = secret;
    w.timeout = 1000ms;
    w.maxAttempts = 8;
    w.initialBackoff = 10ms;
    w.maxBackoff = 50ms;
    return w;
  }

  void start(std::vector<WebhookSettings> hooks) {
    start(DeliveryOptions{.webhooks = std::move(hooks)});
  }

  ServiceConfig config(const std::filesystem::path& dataDir) {
    auto c = t::serviceConfig(dataDir, 2);
    c.bus.topicPrefix = prefix_;
    c.statePostgres = postgres_;
    c.identityKeyFile = dir_.path() / "keys" / "person_ref.key";
    return c;
  }

  void start(DeliveryOptions options) {
    prefix_ = t::uniquePrefix();
    auto delivery = std::make_unique<Delivery>(std::move(options));
    delivery_ = delivery.get();
    service_ = t::startService(config(dir_.path() / "data"), std::move(delivery));
    producer_ = t::producerOn(*service_);
    dlq_ = std::make_unique<t::TopicReader>(service_->bootstrapServers(), prefix_ + "dlq.delivery");
  }

  /// An instance on the test's state and on the bus at `bootstrap` (topics made).
  std::unique_ptr<Service> startInstance(const std::string& name, const std::string& bootstrap,
                                         DeliveryOptions options, Delivery*& delivery) {
    auto c = config(dir_.path() / name);
    c.bus.embedded = false;
    c.bus.bootstrapServers = bootstrap;
    c.createTopics = false;
    auto service = std::make_unique<Service>(c);
    auto owned = std::make_unique<Delivery>(std::move(options));
    delivery = owned.get();
    service->add(std::move(owned));
    service->start();
    return service;
  }

  void stopService() {
    dlq_.reset();
    producer_.reset();
    delivery_ = nullptr;
    service_->stop();
    service_.reset();
  }

  void send(const std::string& sector, const std::string& id, const std::string& data,
            const std::string& type = "referral.created.v1") {
    bus::CloudEvent e;
    e.id = id;
    e.source = "/wayhome/router";
    e.type = type;
    e.time = "2026-11-22T10:00:00Z";
    e.subject = t::kAnna;
    e.data = data;
    auto report = producer_->send(prefix_ + "referrals." + sector, e).get();
    ASSERT_TRUE(report.ok) << report.error.message;
  }

  /// Dead letters whose ce_id is `id`.
  std::vector<bus::KafkaRecord> deadLetters(const std::string& id) {
    std::vector<bus::KafkaRecord> out;
    for (const auto& r : dlq_->records()) {
      const auto* ce = r.header("ce_id");
      if (ce != nullptr && *ce == id) out.push_back(r);
    }
    return out;
  }

  bus::KafkaRecord awaitDeadLetter(const std::string& id) {
    std::vector<bus::KafkaRecord> got;
    EXPECT_TRUE(t::waitFor(
        [&] {
          got = deadLetters(id);
          return !got.empty();
        },
        20000ms))
        << "no dead letter for " << id;
    return got.empty() ? bus::KafkaRecord{} : got.front();
  }

  static std::string header(const bus::KafkaRecord& r, const char* name) {
    const auto* h = r.header(name);
    return h == nullptr ? std::string() : *h;
  }

  /// Waits for the dead letter of event `id`; its dlq_reason names each of `mentions`.
  void expectDeadLettered(const std::string& id, std::initializer_list<const char*> mentions) {
    const auto reason = header(awaitDeadLetter(id), "dlq_reason");
    for (const char* mention : mentions) {
      EXPECT_NE(reason.find(mention), std::string::npos) << mention << " in " << reason;
    }
  }

  /// The value of one /metrics sample line that starts with `series`, or -1.
  double metric(const std::string& series) {
    const auto r = t::http(service_->httpPort(), "GET", "/metrics");
    const auto at = r.body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + series.size() + 2));
  }

  static void expectSigned(const t::HttpReceiver::Request& r, const std::string& secret) {
    const auto ts = r.headers.at("x-wayhome-timestamp");
    const std::string expected =
        "sha256=" + crypto::toHex(crypto::hmacSha256(secret, ts + "." + r.body));
    EXPECT_EQ(r.headers.at("x-wayhome-signature"), expected);
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     std::stoll(ts);
    EXPECT_LE(std::llabs(age), 60);
  }

  std::string prefix_;
  std::unique_ptr<Service> service_;
  Delivery* delivery_ = nullptr;
  std::unique_ptr<bus::Producer> producer_;
  std::unique_ptr<t::TopicReader> dlq_;
};

INSTANTIATE_TEST_SUITE_P(Backends, DeliveryTest,
                         ::testing::Values(store::Dialect::sqlite, store::Dialect::postgres),
                         t::backendName);

TEST_P(DeliveryTest, EachSectorGetsOnlyItsOwnSignedReferrals) {
  t::HttpReceiver finance;
  t::HttpReceiver housing;
  start({hook("finance-sys", "finance", finance.url("/in/finance"), kSecretFinance),
         hook("housing-sys", "housing", housing.url("/in/housing"), kSecretHousing)});
  const auto financeData = referral("ref-f1", "finance");
  const auto housingData = referral("ref-h1", "housing");
  send("finance", "ev-f1", financeData);
  send("housing", "ev-h1", housingData);
  // Not a referral for a sector system: skipped, neither delivered nor dead-lettered.
  send(
      "housing", "ev-ack",
      R"({"referral_id": "ref-h1", "sector": "housing", "by": "hc-1", "at": "2026-11-23T08:00:00Z"})",
      "referral.acknowledged.v1");
  send("finance", "ev-f2", referral("ref-f2", "finance"));
  send("finance", "ev-f1", financeData);  // the same event again (a redelivery): sent once

  ASSERT_TRUE(t::waitFor([&] { return finance.count() >= 2 && housing.count() >= 1; }, 20000ms))
      << finance.count() << " " << housing.count();
  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("housing-sys").skipped >= 1; }));
  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").received >= 3; }));
  EXPECT_EQ(delivery_->counters("finance-sys").queued, 2u);
  std::this_thread::sleep_for(200ms);  // nothing more may come
  ASSERT_EQ(finance.count(), 2u);
  ASSERT_EQ(housing.count(), 1u);

  const auto f = finance.requests();
  EXPECT_EQ(f[0].method, "POST");
  EXPECT_EQ(f[0].target, "/in/finance");
  EXPECT_EQ(f[0].headers.at("ce-id"), "ev-f1");
  EXPECT_EQ(f[0].headers.at("ce-type"), "referral.created.v1");
  EXPECT_EQ(f[0].headers.at("ce-source"), "/wayhome/router");
  EXPECT_EQ(f[0].headers.at("ce-specversion"), "1.0");
  EXPECT_EQ(f[0].headers.at("ce-time"), "2026-11-22T10:00:00Z");
  EXPECT_EQ(f[0].headers.at("ce-subject"), t::kAnna);
  EXPECT_EQ(f[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(f[0].headers.at("x-wayhome-subscription"), "finance-sys");
  EXPECT_EQ(f[0].body, financeData);
  expectSigned(f[0], kSecretFinance);
  EXPECT_EQ(f[1].headers.at("ce-id"), "ev-f2");
  expectSigned(f[1], kSecretFinance);
  for (const auto& r : f) {
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    EXPECT_STREQ(d["to_sector"].GetString(), "finance");
  }

  const auto h = housing.requests();
  EXPECT_EQ(h[0].headers.at("ce-id"), "ev-h1");
  EXPECT_EQ(h[0].body, housingData);
  expectSigned(h[0], kSecretHousing);
  // A signature made with the other sector's secret does not verify.
  EXPECT_NE(
      h[0].headers.at("x-wayhome-signature"),
      "sha256=" + crypto::toHex(crypto::hmacSha256(
                      kSecretFinance, h[0].headers.at("x-wayhome-timestamp") + "." + h[0].body)));

  EXPECT_EQ(delivery_->counters("finance-sys").delivered, 2u);
  EXPECT_EQ(delivery_->counters("housing-sys").delivered, 1u);
  EXPECT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").pending == 0; }));
  EXPECT_EQ(
      metric(
          R"(wayhome_webhook_attempts_total{subscription="finance-sys",sector="finance",outcome="delivered"})"),
      2);
  EXPECT_EQ(metric(R"(wayhome_webhook_queue{subscription="finance-sys"})"), 0);
  // The status board shows each subscription like a connector.
  const auto status =
      t::http(service_->httpPort(), "GET", "/api/v1/connectors/delivery-finance-sys");
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_NE(status.body.find("\"running\""), std::string::npos) << status.body;
  EXPECT_TRUE(deadLetters("ev-ack").empty());
}

TEST_P(DeliveryTest, AFailingReceiverGetsItOnTheThirdAttemptOnce) {
  t::HttpReceiver finance;
  finance.failNext(2, 500);
  start({hook("finance-sys", "finance", finance.url(), kSecretFinance)});
  send("finance", "ev-1", referral("ref-1", "finance"));

  ASSERT_TRUE(
      t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 1; }, 20000ms));
  std::this_thread::sleep_for(200ms);
  const auto reqs = finance.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].answered, 500);
  EXPECT_EQ(reqs[1].answered, 500);
  EXPECT_EQ(reqs[2].answered, 200);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.headers.at("ce-id"), "ev-1");  // the same event: receivers dedupe by it
    expectSigned(r, kSecretFinance);
  }
  const auto c = delivery_->counters("finance-sys");
  EXPECT_EQ(c.attempts, 3u);
  EXPECT_EQ(c.retries, 2u);
  EXPECT_EQ(c.deadLettered, 0u);
  EXPECT_EQ(
      metric(
          R"(wayhome_webhook_attempts_total{subscription="finance-sys",sector="finance",outcome="retry"})"),
      2);
  EXPECT_EQ(
      metric(
          R"(wayhome_webhook_attempts_total{subscription="finance-sys",sector="finance",outcome="delivered"})"),
      1);
  EXPECT_TRUE(deadLetters("ev-1").empty());
}

TEST_P(DeliveryTest, ASlowReceiverIsARetryUntilItAnswersInTime) {
  t::HttpReceiver finance;
  finance.delay(1500ms);
  auto w = hook("finance-sys", "finance", finance.url(), kSecretFinance);
  w.timeout = 300ms;
  w.maxAttempts = 50;
  start({w});
  send("finance", "ev-slow", referral("ref-slow", "finance"));

  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").retries >= 1; }, 20000ms));
  const auto status =
      t::http(service_->httpPort(), "GET", "/api/v1/connectors/delivery-finance-sys");
  EXPECT_NE(status.body.find("\"degraded\""), std::string::npos) << status.body;
  EXPECT_NE(status.body.find("timed out"), std::string::npos) << status.body;
  // Readiness does not depend on a receiver.
  EXPECT_EQ(t::http(service_->httpPort(), "GET", "/readyz").status, 200);

  finance.delay(0ms);
  ASSERT_TRUE(
      t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 1; }, 20000ms));
  const auto c = delivery_->counters("finance-sys");
  EXPECT_GE(c.retries, 1u);
  EXPECT_EQ(c.deadLettered, 0u);
  const auto last = finance.requests().back();
  EXPECT_EQ(last.answered, 200);
  EXPECT_EQ(last.headers.at("ce-id"), "ev-slow");
  const auto after =
      t::http(service_->httpPort(), "GET", "/api/v1/connectors/delivery-finance-sys");
  EXPECT_NE(after.body.find("\"running\""), std::string::npos) << after.body;
}

TEST_P(DeliveryTest, ADownReceiverDeadLettersAfterMaxAttemptsAndTheStreamGoesOn) {
  t::HttpReceiver housing;
  const int closedPort = t::freePort();
  auto down = hook("finance-sys", "finance",
                   "http://127.0.0.1:" + std::to_string(closedPort) + "/x", kSecretFinance);
  down.maxAttempts = 3;
  start({down, hook("housing-sys", "housing", housing.url(), kSecretHousing)});
  send("finance", "ev-down", referral("ref-down", "finance"));

  const auto dead = awaitDeadLetter("ev-down");
  EXPECT_EQ(header(dead, "dlq_service"), "delivery");
  EXPECT_EQ(header(dead, "dlq_original_topic"), prefix_ + "referrals.finance");
  const auto reason = header(dead, "dlq_reason");
  EXPECT_NE(reason.find("finance-sys"), std::string::npos) << reason;
  EXPECT_NE(reason.find("gave up after 3 attempts"), std::string::npos) << reason;
  EXPECT_NE(reason.find("connect"), std::string::npos) << reason;
  EXPECT_EQ(dead.value, referral("ref-down", "finance"));  // the original record
  EXPECT_EQ(header(dead, "ce_type"), "referral.created.v1");
  const auto c = delivery_->counters("finance-sys");
  EXPECT_EQ(c.attempts, 3u);
  EXPECT_EQ(c.deadLettered, 1u);
  EXPECT_EQ(c.pending, 0);
  EXPECT_EQ(
      metric(
          R"(wayhome_webhook_attempts_total{subscription="finance-sys",sector="finance",outcome="failed"})"),
      1);
  EXPECT_EQ(metric(R"(wayhome_webhook_dead_letters_total{subscription="finance-sys"})"), 1);

  // The stream goes on: a later referral to a healthy subscription still arrives.
  send("housing", "ev-later", referral("ref-later", "housing"));
  ASSERT_TRUE(t::waitFor([&] { return housing.count() == 1; }, 20000ms));
  EXPECT_EQ(housing.requests()[0].headers.at("ce-id"), "ev-later");
}

TEST_P(DeliveryTest, BackOffFollowsTheInjectedClockAndJitter) {
  t::HttpReceiver finance;
  finance.failNext(1, 503);
  ManualClock clock(std::chrono::sys_days(std::chrono::year{2026} / 11 / 22) +
                    std::chrono::hours(10));
  auto w = hook("finance-sys", "finance", finance.url(), kSecretFinance);
  w.initialBackoff = 10000ms;
  w.maxBackoff = 60000ms;
  start(DeliveryOptions{.webhooks = {w}, .clock = &clock, .random = [] { return 0.5; }});
  send("finance", "ev-clock", referral("ref-clock", "finance"));

  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").retries == 1; }, 20000ms));
  // Half (the jitter) of the 10 s cap: nothing before the clock has moved 5 s.
  clock.advance(4900ms);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(finance.count(), 1u);
  clock.advance(100ms);
  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 1; }));
  const auto reqs = finance.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const auto seconds = [](Clock::TimePoint tp) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count());
  };
  EXPECT_EQ(reqs[1].headers.at("x-wayhome-timestamp"), seconds(clock.now()));
  EXPECT_EQ(reqs[1].headers.at("x-wayhome-signature"),
            crypto::webhookSignature(kSecretFinance, seconds(clock.now()), reqs[1].body));
}

TEST_P(DeliveryTest, AReferralForAnotherSectorIsNeverDelivered) {
  t::HttpReceiver finance;
  start({hook("finance-sys", "finance", finance.url(), kSecretFinance)});
  // A housing referral put on the finance topic.
  send("finance", "ev-wrong", referral("ref-wrong", "housing"));
  send("finance", "ev-right", referral("ref-right", "finance"));

  expectDeadLettered("ev-wrong", {"/to_sector", "housing"});
  ASSERT_TRUE(t::waitFor([&] { return finance.count() == 1; }, 20000ms));
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(finance.count(), 1u);
  EXPECT_EQ(finance.requests()[0].headers.at("ce-id"), "ev-right");
  EXPECT_EQ(delivery_->counters("finance-sys").deadLettered, 1u);

  // An attribute with a line break would write its own HTTP headers: never sent.
  std::promise<bool> done;
  ASSERT_TRUE(producer_->sendRecord(prefix_ + "referrals.finance", t::kAnna,
                                    referral("ref-crlf", "finance"),
                                    {{"ce_specversion", "1.0"},
                                     {"ce_id", "ev-crlf"},
                                     {"ce_source", "/wayhome/router"},
                                     {"ce_type", "referral.created.v1"},
                                     {"ce_subject", std::string(t::kAnna) + "\r\nX-Injected: 1"},
                                     {"content-type", "application/json"}},
                                    [&](const bus::DeliveryReport& r) { done.set_value(r.ok); }));
  ASSERT_TRUE(done.get_future().get());
  expectDeadLettered("ev-crlf", {"control character"});
  EXPECT_EQ(finance.count(), 1u);
}

TEST_P(DeliveryTest, APermanentRefusalDeadLettersAtOnce) {
  t::HttpReceiver finance;
  finance.failNext(1, 422);
  start({hook("finance-sys", "finance", finance.url(), kSecretFinance)});
  send("finance", "ev-422", referral("ref-422", "finance"));
  send("finance", "ev-ok", referral("ref-ok", "finance"));

  expectDeadLettered("ev-422", {"HTTP 422", "refused"});
  ASSERT_TRUE(
      t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 1; }, 20000ms));
  const auto reqs = finance.requests();
  ASSERT_EQ(reqs.size(), 2u);  // one attempt each: no retry of the refused one
  EXPECT_EQ(reqs[0].headers.at("ce-id"), "ev-422");
  EXPECT_EQ(reqs[1].headers.at("ce-id"), "ev-ok");
  EXPECT_EQ(delivery_->counters("finance-sys").retries, 0u);

  // A replay of the dead letter (the same event on the topic again) is tried afresh.
  send("finance", "ev-422", referral("ref-422", "finance"));
  ASSERT_TRUE(
      t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 2; }, 20000ms));
  EXPECT_EQ(finance.requests().back().headers.at("ce-id"), "ev-422");
  EXPECT_EQ(finance.requests().back().answered, 200);
}

TEST_P(DeliveryTest, PendingDeliveriesContinueAfterARestart) {
  const int port = t::freePort();
  auto w = hook("finance-sys", "finance", "http://127.0.0.1:" + std::to_string(port) + "/hook",
                kSecretFinance);
  w.maxAttempts = 100;
  start({w});
  send("finance", "ev-restart", referral("ref-restart", "finance"));
  ASSERT_TRUE(t::waitFor([&] { return delivery_->counters("finance-sys").retries >= 1; }, 20000ms));
  EXPECT_EQ(delivery_->counters("finance-sys").pending, 1);
  stopService();

  // A new process (and, on the embedded bus, a new bus): the queue is in the store.
  t::HttpReceiver finance(port);
  start({w});
  ASSERT_TRUE(t::waitFor([&] { return finance.count() >= 1; }, 20000ms));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(finance.count(), 1u);
  EXPECT_EQ(finance.requests()[0].headers.at("ce-id"), "ev-restart");
  expectSigned(finance.requests()[0], kSecretFinance);
  EXPECT_EQ(delivery_->counters("finance-sys").pending, 0);
}

// Several instances share one database: PostgreSQL only (SQLite is one instance's file).
class DeliveryInstances : public DeliveryTest {};
INSTANTIATE_TEST_SUITE_P(Backends, DeliveryInstances, ::testing::Values(store::Dialect::postgres),
                         [](const auto&) { return std::string("PostgreSQL"); });

// Issue 13: two instances on one PostgreSQL database send a webhook's queue one at a
// time (the receiver is never asked twice at once), each item once; the back-off of a
// failed item is in the store, so the instance that takes over keeps to it and counts
// on from its attempts.
TEST_P(DeliveryInstances, TwoInstancesSendOneAtATimeEachOnceAndShareTheBackOff) {
  t::HttpReceiver finance;
  finance.failNext(1, 503);
  finance.delay(50ms);
  ManualClock clock(std::chrono::sys_days(std::chrono::year{2026} / 11 / 22) +
                    std::chrono::hours(10));
  auto w = hook("finance-sys", "finance", finance.url(), kSecretFinance);
  w.initialBackoff = 10000ms;
  w.maxBackoff = 60000ms;
  const DeliveryOptions options{
      .webhooks = {w}, .clock = &clock, .idle = 50ms, .random = [] { return 0.5; }};
  // A bus of the test's own, so that either instance can stop.
  bus::EmbeddedCluster cluster(1);
  prefix_ = t::uniquePrefix();
  for (const auto& topic : bus::Topics(prefix_).all(2))
    cluster.createTopic(topic.name, topic.partitions);
  Delivery* deliveryA = nullptr;
  Delivery* deliveryB = nullptr;
  auto serviceA = startInstance("a", cluster.bootstrapServers(), options, deliveryA);
  auto serviceB = startInstance("b", cluster.bootstrapServers(), options, deliveryB);
  producer_ = std::make_unique<bus::Producer>(
      bus::ClientProperties{{"bootstrap.servers", cluster.bootstrapServers()}});
  constexpr int kItems = 8;
  for (int i = 0; i < kItems; ++i) {
    send("finance", "ev-two-" + std::to_string(i),
         referral("ref-two-" + std::to_string(i), "finance"));
  }
  // The first attempt failed and waits 5 s on the clock; the rest went through.
  auto both = [&](auto field) {
    return deliveryA->counters("finance-sys").*field + deliveryB->counters("finance-sys").*field;
  };
  ASSERT_TRUE(t::waitFor([&] { return both(&WebhookCounters::delivered) == kItems - 1; }, 20000ms))
      << both(&WebhookCounters::delivered);
  EXPECT_EQ(both(&WebhookCounters::retries), 1U);
  EXPECT_EQ(finance.count(), static_cast<std::size_t>(kItems));
  EXPECT_EQ(finance.maxConcurrent(), 1);
  const std::string failedId = finance.requests()[0].headers.at("ce-id");

  // The sending instance stops (and gives its lease up); the other takes over, keeps
  // to the back-off and sends the item once it is due.
  const bool aSent = deliveryA->counters("finance-sys").attempts > 0;
  EXPECT_EQ(aSent ? deliveryB->counters("finance-sys").attempts
                  : deliveryA->counters("finance-sys").attempts,
            0U)
      << "both instances sent";
  Delivery* taker = aSent ? deliveryB : deliveryA;
  (aSent ? serviceA : serviceB)->stop();
  const auto view = std::make_unique<store::StateStore>(*postgres_);
  auto holder = [&] {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return view->leaseHolder("delivery:finance-sys", now);
  };
  ASSERT_TRUE(t::waitFor([&] { return holder().has_value(); }, 15000ms)) << "nobody took over";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(finance.count(), static_cast<std::size_t>(kItems)) << "the back-off was not kept";
  clock.advance(5000ms);
  ASSERT_TRUE(t::waitFor([&] { return taker->counters("finance-sys").delivered == 1; }, 20000ms));
  std::this_thread::sleep_for(200ms);
  const auto reqs = finance.requests();
  ASSERT_EQ(reqs.size(), static_cast<std::size_t>(kItems) + 1);
  EXPECT_EQ(reqs.back().headers.at("ce-id"), failedId);
  std::map<std::string, int> delivered;
  for (const auto& r : reqs)
    delivered[r.headers.at("ce-id")] += r.answered == 200 ? 1 : 0;
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kItems));
  for (const auto& [id, n] : delivered)
    EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(finance.maxConcurrent(), 1);
  view->transaction([&](store::Connection& db) {
    store::Statement st(db, "SELECT attempts FROM delivery_queue WHERE event_id = ?;");
    st.bind(1, failedId);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.columnInt(0), 2) << "the second attempt counts on from the first";
  });
  serviceA->stop();
  serviceB->stop();
  producer_.reset();
}

/// An HTTPS receiver (Python's http.server behind TLS) with a self-signed certificate
/// for "localhost" made for the test; it answers 200 and records each request.
class TlsReceiver {
 public:
  explicit TlsReceiver(const std::filesystem::path& dir) : dir_(dir) {
    const auto made =
        t::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "1", "-keyout",
                (dir_ / "key.pem").string(), "-out", cert().string()});
    EXPECT_EQ(made.exitCode, 0) << "openssl req failed";
    process_ = std::make_unique<t::Process>(
        std::vector<std::string>{"/usr/bin/python3",
                                 (t::sourceDir() / "tests/integration/tls_receiver.py").string(),
                                 cert().string(), (dir_ / "key.pem").string(),
                                 (dir_ / "requests.jsonl").string(), (dir_ / "port").string()},
        dir_ / "tls_receiver.log");
    EXPECT_TRUE(t::waitFor([&] { return std::filesystem::exists(dir_ / "port"); }))
        << process_->log();
    port_ = std::stoi(t::readFile(dir_ / "port"));
  }
  [[nodiscard]] std::filesystem::path cert() const { return dir_ / "cert.pem"; }
  [[nodiscard]] int port() const { return port_; }
  /// The recorded requests, one JSON object each.
  [[nodiscard]] std::vector<std::string> requests() const {
    std::vector<std::string> out;
    if (!std::filesystem::exists(dir_ / "requests.jsonl")) return out;
    std::istringstream in(t::readFile(dir_ / "requests.jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<t::Process> process_;
};

TEST_P(DeliveryTest, HttpsVerifiesTheReceiversCertificateAndHostName) {
  std::filesystem::create_directories(dir_ / "tls");
  TlsReceiver tls(dir_ / "tls");
  const std::string port = std::to_string(tls.port());
  // The certificate names localhost, not 127.0.0.1: the second webhook must not send.
  auto wrongName =
      hook("housing-sys", "housing", "https://127.0.0.1:" + port + "/hook", kSecretHousing);
  wrongName.maxAttempts = 2;
  wrongName.caFile = tls.cert().string();
  auto right =
      hook("finance-sys", "finance", "https://localhost:" + port + "/hook", kSecretFinance);
  right.caFile = tls.cert().string();
  start({right, wrongName});
  const auto data = referral("ref-tls", "finance");
  send("finance", "ev-tls", data);
  send("housing", "ev-tls-h", referral("ref-tls-h", "housing"));

  ASSERT_TRUE(
      t::waitFor([&] { return delivery_->counters("finance-sys").delivered == 1; }, 20000ms));
  const auto reqs = tls.requests();
  ASSERT_EQ(reqs.size(), 1u);
  rapidjson::Document d;
  d.Parse(reqs[0].c_str());
  ASSERT_TRUE(d.IsObject()) << reqs[0];
  EXPECT_STREQ(d["headers"]["ce-id"].GetString(), "ev-tls");
  EXPECT_EQ(std::string(d["body"].GetString()), data);
  t::HttpReceiver::Request r;
  r.body = d["body"].GetString();
  for (const auto& m : d["headers"].GetObject())
    r.headers[m.name.GetString()] = m.value.GetString();
  expectSigned(r, kSecretFinance);

  expectDeadLettered("ev-tls-h", {"TLS handshake"});
  EXPECT_EQ(tls.requests().size(), 1u);
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  EXPECT_EQ(crypto::webhookSignature("key", "1700000000", "{}"),
            "sha256=" + crypto::toHex(crypto::hmacSha256("key", "1700000000.{}")));
}

TEST(WebhookBackoff, DoublesUpToTheCapWithFullJitter) {
  EXPECT_EQ(webhookBackoff(1, 1000ms, 300000ms, 0.999999).count(), 999);
  EXPECT_EQ(webhookBackoff(2, 1000ms, 300000ms, 0.5).count(), 1000);
  EXPECT_EQ(webhookBackoff(4, 1000ms, 300000ms, 0.5).count(), 4000);
  EXPECT_EQ(webhookBackoff(40, 1000ms, 300000ms, 0.5).count(), 150000);
  EXPECT_EQ(webhookBackoff(3, 1000ms, 300000ms, 0.0).count(), 0);
  EXPECT_EQ(webhookBackoff(1000, 1ms, 86400000ms, 1.0).count(), 86400000);
}

// Item 11 of issue 15: a subscription gets the types it chose. Housing takes consent
// requests (addressed to it by their topic) and the notices of meetings it takes part
// in; a notice of a meeting without housing on housing's copy topic is dead-lettered;
// finance, on the default, gets neither.
TEST_P(DeliveryTest, ASubscriptionGetsTheEventTypesItChoseAndOnlyItsOwn) {
  t::HttpReceiver housing;
  t::HttpReceiver finance;
  auto h = hook("housing-sys", "housing", housing.url("/h"), kSecretHousing);
  h.events = {"referral.created.v1", "referral.consent_needed.v1", "meeting.notice.v1"};
  start({h, hook("finance-sys", "finance", finance.url("/f"), kSecretFinance)});
  const std::string consent =
      R"({"referral_id": "ref-cn", "person_ref": ")" + std::string(t::kAnna) +
      R"(", "from_sector": "housing", "to_sector": "nav", "purpose": "social_services",
          "rule_id": "R34", "source_event_id": "e1", "requested_at": "2026-11-22T10:00:00Z"})";
  send("housing", "ev-cn", consent, "referral.consent_needed.v1");
  send("finance", "ev-cn-fin", consent, "referral.consent_needed.v1");  // not chosen: skipped
  auto notice = [&](const std::string& id, const std::string& sector) {
    bus::CloudEvent e;
    e.id = id;
    e.source = "/wayhome/scheduler";
    e.type = "meeting.notice.v1";
    e.time = "2026-11-22T10:00:00Z";
    e.subject = t::kAnna;
    e.data = R"({"meeting_id": "mtg_1", "kind": "ad_hoc", "case_id": "K-1", "participants": [
        {"role": "case_worker", "sector": ")" +
             sector + R"("}], "start": "2027-01-05T09:00:00+01:00",
        "end": "2027-01-05T10:00:00+01:00", "time_zone": "Europe/Oslo", "place": "Team bolig",
        "sequence": 0, "status": "scheduled", "method": "REQUEST", "title": "Ad hoc",
        "icalendar": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"})";
    auto report = producer_->send(prefix_ + "notices.housing", e).get();
    ASSERT_TRUE(report.ok) << report.error.message;
  };
  notice("ntc-housing", "housing");
  notice("ntc-finance-only", "finance");

  expectDeadLettered("ntc-finance-only", {"takes no part"});
  ASSERT_TRUE(t::waitFor([&] { return housing.count() == 2; }, 20000ms)) << housing.count();
  std::set<std::string> types;
  for (const auto& r : housing.requests()) {
    types.insert(r.headers.at("ce-type"));
    expectSigned(r, kSecretHousing);
  }
  EXPECT_EQ(types, (std::set<std::string>{"referral.consent_needed.v1", "meeting.notice.v1"}));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(finance.count(), 0u);
  EXPECT_GE(delivery_->counters("finance-sys").skipped, 1u);
}

}  // namespace
}  // namespace wayhome::services
