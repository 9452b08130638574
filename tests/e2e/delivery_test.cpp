// Webhook delivery through the real binary: a case event on the bus becomes a referral
// (the router, the default rules) that reaches the finance system's webhook, signed;
// a bad delivery config stops start-up with an error naming the key.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/producer.hpp>
#include <wayhome/connectors/identity.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/testing/http_receiver.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome {
namespace {

namespace t = wayhome::testing;
using namespace std::chrono_literals;

constexpr const char* kSecret = "finance-webhook-secret-0123";

std::string webhooks(const std::string& url, const std::string& sector = "finance") {
  return R"(, "delivery": {"webhooks": [{"name": "finance-sys", "sector": ")" + sector +
         R"(", "url": ")" + url + R"(", "secret": ")" + kSecret +
         R"(", "timeout_ms": 2000, "initial_backoff_ms": 20, "max_backoff_ms": 100}]})";
}

TEST(DeliveryServe, ARentArrearsCaseReachesTheFinanceWebhookSigned) {
  t::TempDir dir;
  t::HttpReceiver finance;
  t::ServedBinary wayhome(dir.path());
  ASSERT_TRUE(wayhome.start(webhooks(finance.url("/wayhome")))) << wayhome.log();

  auto producer = std::make_unique<bus::Producer>(
      bus::ClientProperties{{"bootstrap.servers", wayhome.runtime().bootstrap}});
  bus::CloudEvent e;
  e.id = "plania-arrears-1";
  e.source = "/connectors/plania";
  e.type = "tenancy.rent_arrears.v1";
  e.time = "2026-03-02T09:00:00Z";
  e.subject = t::kAnna;
  e.data = std::string(R"({"contract_id": "K-9", "person_ref": ")") + t::kAnna +
           R"(", "months_overdue": 1, "amount_nok": 9000})";
  const auto report = producer->send("cases.plania", e).get();
  ASSERT_TRUE(report.ok) << report.error.message;

  ASSERT_TRUE(t::waitFor([&] { return finance.count() >= 1; }, 30000ms)) << wayhome.log();
  const auto r = finance.requests().front();
  EXPECT_EQ(r.target, "/wayhome");
  EXPECT_EQ(r.headers.at("ce-type"), "referral.created.v1");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  const auto ts = r.headers.at("x-wayhome-timestamp");
  EXPECT_EQ(r.headers.at("x-wayhome-signature"),
            "sha256=" + crypto::toHex(crypto::hmacSha256(kSecret, ts + "." + r.body)));
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["to_sector"].GetString(), "finance");
  EXPECT_STREQ(d["person_ref"].GetString(), t::kAnna);

  // Operators see the webhook beside the connectors and in /metrics.
  const auto status = t::http(wayhome.port(), "GET", "/api/v1/connectors/delivery-finance-sys");
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_TRUE(t::waitFor([&] {
    return t::http(wayhome.port(), "GET", "/metrics")
               .body.find(
                   R"(wayhome_webhook_attempts_total{subscription="finance-sys",sector="finance",outcome="delivered"} 1)") !=
           std::string::npos;
  }));
  // The log never holds the body or the secret.
  EXPECT_EQ(wayhome.log().find(kSecret), std::string::npos);
  EXPECT_EQ(wayhome.log().find("amount_nok"), std::string::npos);
  producer.reset();  // before its bus goes away
  ASSERT_EQ(wayhome.stop(), 0) << wayhome.log();
}

TEST(DeliveryServe, ABadWebhookConfigStopsStartUpNamingTheKey) {
  t::TempDir dir;
  auto check = [&](const std::string& extra) {
    t::writeFile(dir / "bad.json",
                 "{\"data_dir\": \"" + (dir / "data").string() + "\"" + extra + "}");
    return t::run(
        {t::wayhomeBinary().string(), "check-config", "--config", (dir / "bad.json").string()});
  };
  auto r = check(webhooks("ftp://127.0.0.1/x"));
  EXPECT_EQ(r.exitCode, 2);
  auto serve =
      t::run({t::wayhomeBinary().string(), "serve", "--config", (dir / "bad.json").string()});
  EXPECT_EQ(serve.exitCode, 2);
  r = check(webhooks("http://127.0.0.1/x", "police"));
  EXPECT_EQ(r.exitCode, 2);
  r = check(R"(, "delivery": {"webhooks": [{"name": "x", "sector": "nav", "url": "http://h/x"}]})");
  EXPECT_EQ(r.exitCode, 2);
  r = check(webhooks("http://127.0.0.1/x"));
  EXPECT_EQ(r.exitCode, 0) << r.out;
}

}  // namespace
}  // namespace wayhome
