// The route table test (issue 12): every HTTP route the service registers is listed
// here with who may call it, and each one refuses every caller without that role and
// token. A new route that is not in the table fails this test, so no route can be
// added without deciding (and checking) its authentication.

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <wayhome/app/builtin.hpp>
#include <wayhome/delivery/delivery.hpp>
#include <wayhome/ops/ops.hpp>
#include <wayhome/reports/reports.hpp>
#include <wayhome/router/router.hpp>
#include <wayhome/runtime/data_dir.hpp>
#include <wayhome/runtime/service.hpp>
#include <wayhome/scheduler/scheduler.hpp>
#include <wayhome/testing/service.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;

constexpr const char* kLoanSecret = "route-table-loan-secret-0123456789abcdef";
constexpr const char* kGericaSecret = "route-table-gerica-secret-0123456789abcd";

// Who may call a route.
enum class Needs {
  kNone,        // probes and the dashboard page (which holds no data)
  kViewer,      // any operator token (viewer or admin)
  kAdmin,       // an admin token
  kReader,      // any known token, operator or case worker
  kCaseworker,  // a case worker's token
  kSignature,   // a source system's signature (no bearer token opens it)
  kReporter,    // a reporter's token or an admin's (aggregate reports)
};

// Every route of a service with every component on. Keep in step with the code:
// a route missing here fails the test.
const std::map<std::string, Needs> kRouteTable = {
    {"GET /healthz", Needs::kNone},
    {"GET /readyz", Needs::kNone},
    {"GET /", Needs::kNone},
    {"GET /dashboard", Needs::kNone},
    {"GET /metrics", Needs::kViewer},
    {"GET /api/v1/connectors", Needs::kViewer},
    {"GET /api/v1/connectors/{name}", Needs::kViewer},
    {"POST /api/v1/connectors/{name}/pause", Needs::kAdmin},
    {"POST /api/v1/connectors/{name}/resume", Needs::kAdmin},
    {"POST /api/v1/connectors/{name}/restart", Needs::kAdmin},
    {"POST /api/v1/reload", Needs::kAdmin},
    {"GET /api/v1/topics", Needs::kViewer},
    {"GET /api/v1/topics/{name}/messages", Needs::kViewer},
    {"GET /api/v1/dlq", Needs::kViewer},
    {"GET /api/v1/dlq/{id}", Needs::kViewer},
    {"POST /api/v1/dlq/{id}/replay", Needs::kAdmin},
    {"POST /api/v1/dlq/{id}/discard", Needs::kAdmin},
    {"GET /api/v1/schemas", Needs::kViewer},
    {"GET /api/v1/schemas/{type}", Needs::kViewer},
    {"POST /api/v1/schemas/{type}/validate", Needs::kViewer},
    {"GET /api/v1/asyncapi", Needs::kViewer},
    {"GET /api/v1/meetings", Needs::kReader},
    {"GET /api/v1/meetings/{file}", Needs::kReader},
    {"POST /api/v1/meetings", Needs::kCaseworker},
    {"POST /api/v1/meetings/{id}/move", Needs::kCaseworker},
    {"POST /api/v1/meetings/{id}/cancel", Needs::kCaseworker},
    {"POST /api/v1/meetings/{id}/held", Needs::kCaseworker},
    {"POST /api/v1/consents", Needs::kCaseworker},
    {"POST /api/v1/consents/{id}/withdraw", Needs::kCaseworker},
    {"POST /api/v1/referrals/{id}/acknowledge", Needs::kCaseworker},
    {"POST /api/v1/referrals/{id}/close", Needs::kCaseworker},
    {"POST /api/v1/referrals", Needs::kCaseworker},
    {"POST /api/v1/needs", Needs::kCaseworker},
    {"POST /api/v1/identity/resolve", Needs::kCaseworker},
    {"POST /api/v1/identity/{person_ref}/delete", Needs::kAdmin},
    {"POST /api/v1/connectors/loan/loan/events", Needs::kSignature},
    {"POST /api/v1/connectors/gerica/gerica/messages", Needs::kSignature},
    {"GET /api/v1/reports/{period}", Needs::kReporter},
};

std::string concrete(const std::string& pattern) {
  // Placeholders become values that exist where that matters for reaching the check.
  std::string out;
  std::size_t at = 0;
  while (at < pattern.size()) {
    const auto open = pattern.find('{', at);
    if (open == std::string::npos) {
      out += pattern.substr(at);
      break;
    }
    const auto close = pattern.find('}', open);
    out += pattern.substr(at, open - at);
    const std::string name = pattern.substr(open + 1, close - open - 1);
    out += name == "name"         ? "loan"
           : name == "type"       ? "loan.disbursed.v1"
           : name == "file"       ? "mtg_x.ics"
           : name == "person_ref" ? "pr_0123456789abcdef0123456789abcdef"
           : name == "period"     ? "2027-03"
                                  : "router.0.0";
    at = close + 1;
  }
  return out;
}

class RouteTable : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = t::serviceConfig(dir_ / "data", 1);
    c.identityKeyFile = dir_.path() / "keys" / "person_ref.key";
    c.opsTokens = {{"v", "viewer", t::kViewerToken},
                   {"a", "admin", t::kAdminToken},
                   {"cw", "caseworker", t::kHousingToken, {"housing"}},
                   {"r", "reporter", t::kReporterToken}};
    c.connectors = {
        {"loan", "loan", true, std::string(R"({"secret": ")") + kLoanSecret + R"("})"},
        {"gerica", "gerica", true,
         std::string(R"({"senders": [{"her_id": "974600951", "secret": ")") + kGericaSecret +
             R"("}]})"},
    };
    WebhookSettings hook;
    hook.name = "fin";
    hook.sector = "finance";
    hook.url = "https://127.0.0.1:1/hook";
    hook.secret = "0123456789abcdef0123";
    config_ = c;
    connectors::registerBuiltinConnectors(types_);
    service_ = t::startService(
        c, connectors::makeConnectorsComponent(types_, config_),
        std::make_unique<Router>(RouterOptions{.rulesFile = defaultRulesFile()}),
        scheduler::makeSchedulerComponent(scheduler::parseSettings(c.section("scheduler"), c)),
        std::make_unique<Delivery>(DeliveryOptions{.webhooks = {hook}}),
        reports::makeReportsComponent(reports::parseSettings(c.section("reports"), c)));
  }
  void TearDown() override { service_->stop(); }

  int call(const std::string& method, const std::string& target, const std::string& token) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    // A body only where one belongs: a GET with a body is refused (400) on its own.
    return t::http(service_->httpPort(), method, target, method == "GET" ? "" : "{}", headers)
        .status;
  }

  t::TempDir dir_;
  ServiceConfig config_;
  connectors::ConnectorRegistry types_;
  std::unique_ptr<Service> service_;
};

TEST_F(RouteTable, EveryRouteRefusesCallersWithoutTheRightRoleAndToken) {
  const auto routes = service_->httpRoutes();
  ASSERT_GT(routes.size(), 20U);
  std::set<std::string> registered;
  for (const auto& route : routes) {
    const std::string key = route.method + " " + route.pattern;
    registered.insert(key);
    const auto it = kRouteTable.find(key);
    if (it == kRouteTable.end()) {
      ADD_FAILURE() << key << " is registered but not in the route table: decide who may call it";
      continue;
    }
    const Needs needs = it->second;
    if (needs == Needs::kNone) continue;
    const std::string target = concrete(route.pattern);
    SCOPED_TRACE(key + " as " + target);
    // No token, and a token nobody has: 401, whatever the route.
    EXPECT_EQ(call(route.method, target, ""), 401);
    EXPECT_EQ(call(route.method, target, "nobody-has-this-token-0123"), 401);
    // Each known token without the role: refused (401 for signed intakes, which no
    // bearer token opens; 403 otherwise).
    const std::map<std::string, bool> allowed = {
        {t::kViewerToken, needs == Needs::kViewer || needs == Needs::kReader},
        {t::kAdminToken, needs == Needs::kViewer || needs == Needs::kAdmin ||
                             needs == Needs::kReader || needs == Needs::kReporter},
        {t::kHousingToken, needs == Needs::kCaseworker || needs == Needs::kReader},
        {t::kReporterToken, needs == Needs::kReporter},
    };
    for (const auto& [token, ok] : allowed) {
      const int status = call(route.method, target, token);
      if (ok) {
        EXPECT_NE(status, 401) << token;
        EXPECT_NE(status, 403) << token;
      } else {
        EXPECT_EQ(status, needs == Needs::kSignature ? 401 : 403) << token;
      }
    }
  }
  // And the table names no route that is gone (it would check nothing).
  for (const auto& [key, needs] : kRouteTable) {
    EXPECT_TRUE(registered.contains(key)) << key << " is in the table but not registered";
  }
}

}  // namespace
}  // namespace wayhome::services
