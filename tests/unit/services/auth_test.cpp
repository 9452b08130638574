// Who may call the HTTP API: bearer tokens and their roles and sectors (issue 12).

#include <gtest/gtest.h>

#include <wayhome/runtime/auth.hpp>
#include <wayhome/runtime/service.hpp>

namespace wayhome::services {
namespace {

HttpRequest withAuthorization(const std::string& value) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/connectors";
  if (!value.empty()) r.headers.emplace_back("authorization", value);
  return r;
}

const OpsAuth kAuth({{"ola", "viewer", "viewer-token-0123456789"},
                     {"kari", "admin", "admin-token-0123456789ab"},
                     {"fin", "caseworker", "finance-token-012345678", {"finance", "nav"}}});

TEST(OpsAuth, TheSchemeIsCaseInsensitiveAndTheTokenIsNot) {
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "Bearer   "}) {
    std::string actor;
    EXPECT_FALSE(kAuth.check(withAuthorization(std::string(scheme) + "viewer-token-0123456789"),
                             OpsAuth::Role::kViewer, actor))
        << scheme;
    EXPECT_EQ(actor, "ola");
  }
  std::string actor;
  auto wrong = kAuth.check(withAuthorization("Bearer VIEWER-TOKEN-0123456789"),
                           OpsAuth::Role::kViewer, actor);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  for (const char* bad : {"", "Bearer", "Bearer ", "Basic dmlld2VyOg==", "Bearerviewer-token"}) {
    auto r = kAuth.check(withAuthorization(bad), OpsAuth::Role::kViewer, actor);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 401) << bad;
  }
  // A prefix or an extension of a token is another token.
  EXPECT_TRUE(kAuth.check(withAuthorization("Bearer viewer-token-012345678"),
                          OpsAuth::Role::kViewer, actor));
  EXPECT_TRUE(kAuth.check(withAuthorization("Bearer viewer-token-01234567890"),
                          OpsAuth::Role::kViewer, actor));
}

TEST(OpsAuth, ACaseWorkerCallerCarriesItsSectors) {
  OpsAuth::Caller caller;
  EXPECT_FALSE(kAuth.check(withAuthorization("Bearer finance-token-012345678"),
                           OpsAuth::Role::kCaseworker, caller));
  EXPECT_EQ(caller.name, "fin");
  EXPECT_TRUE(caller.speaksFor("finance"));
  EXPECT_TRUE(caller.speaksFor("nav"));
  EXPECT_FALSE(caller.speaksFor("health_care"));
  EXPECT_EQ(kAuth
                .check(withAuthorization("Bearer finance-token-012345678"), OpsAuth::Role::kViewer,
                       caller)
                ->status,
            403);
}

TEST(OpsAuth, OnlyAnAdminTokenIsAdmin) {
  EXPECT_TRUE(kAuth.isAdmin(withAuthorization("Bearer admin-token-0123456789ab")));
  EXPECT_FALSE(kAuth.isAdmin(withAuthorization("Bearer viewer-token-0123456789")));
  EXPECT_FALSE(kAuth.isAdmin(withAuthorization("")));
  EXPECT_FALSE(OpsAuth({}).isAdmin(withAuthorization("")));  // anonymous reads are no admin
}

TEST(HostHeader, ALoopbackListenerAnswersToLoopbackNamesOnly) {
  for (const char* ok : {"", "127.0.0.1", "127.0.0.1:8080", "localhost", "LOCALHOST:80",
                         "localhost.", "[::1]", "[::1]:8080", "app.localhost:1"}) {
    EXPECT_TRUE(isLoopbackHostHeader(ok)) << ok;
  }
  for (const char* bad :
       {"evil.example", "evil.example:8080", "127.0.0.1.nip.io", "localhost.evil.example",
        "[::2]:80", "10.0.0.1", "127.0.0.1:80x", "[::1", "[::1]x"}) {
    EXPECT_FALSE(isLoopbackHostHeader(bad)) << bad;
  }
}

}  // namespace
}  // namespace wayhome::services

namespace wayhome::services {
namespace {

// A reporter (Team bolig's leader, the Council's secretariat) reads reports and nothing
// else; an admin reads them too; viewers and case workers do not (issue 16).
TEST(OpsAuth, AReporterReadsReportsOnly) {
  const OpsAuth auth({{"ola", "viewer", "viewer-token-0123456789"},
                      {"kari", "admin", "admin-token-0123456789ab"},
                      {"fin", "caseworker", "finance-token-012345678", {"finance"}},
                      {"council", "reporter", "reporter-token-01234567"}});
  auto status = [&](const char* token, OpsAuth::Role role) {
    std::string actor;
    auto r = auth.check(withAuthorization(std::string("Bearer ") + token), role, actor);
    return r ? r->status : 200;
  };
  using Role = OpsAuth::Role;
  EXPECT_EQ(status("reporter-token-01234567", Role::kReporter), 200);
  EXPECT_EQ(status("admin-token-0123456789ab", Role::kReporter), 200);
  EXPECT_EQ(status("viewer-token-0123456789", Role::kReporter), 403);
  EXPECT_EQ(status("finance-token-012345678", Role::kReporter), 403);
  for (Role other : {Role::kViewer, Role::kAdmin, Role::kCaseworker, Role::kReader}) {
    EXPECT_EQ(status("reporter-token-01234567", other), 403);
  }
  // Without tokens (loopback only) reports are open, as every read is.
  std::string actor;
  EXPECT_FALSE(OpsAuth({}).check(withAuthorization(""), Role::kReporter, actor));
}

}  // namespace
}  // namespace wayhome::services
