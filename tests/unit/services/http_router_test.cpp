#include <stdexcept>

#include <gtest/gtest.h>

#include <wayhome/runtime/http.hpp>
#include <wayhome/testing/cases.hpp>

namespace wayhome::services {
namespace {

namespace t = wayhome::testing;

HttpResponse call(const HttpRouter& router, std::string method, std::string path) {
  HttpRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  HttpResponse out;
  int calls = 0;
  router.handle(req, [&](HttpResponse r) {
    out = std::move(r);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  return out;
}

TEST(HttpRouter, MatchesLiteralPathsAndParameters) {
  HttpRouter router;
  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  router.add("GET", "/api/v1/dlq/{id}", [](const HttpRequest& r) {
    return HttpResponse::json(200, "\"" + r.params.at("id") + "\"");
  });
  EXPECT_EQ(call(router, "GET", "/healthz").status, 200);
  EXPECT_EQ(call(router, "GET", "/healthz/").status, 200);
  EXPECT_EQ(call(router, "GET", "/api/v1/dlq/abc").body, "\"abc\"");
}

TEST(HttpRouter, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  HttpRouter router;
  router.add("GET", "/x", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  router.add("PUT", "/x", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  const auto missing = call(router, "GET", "/y");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("\"error\""), std::string::npos);
  const auto wrong = call(router, "DELETE", "/x");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].second, "GET, PUT");
}

TEST(HttpResponse, ErrorBodiesAreEscapedJson) {
  const auto r = HttpResponse::error(400, "bad \"field\"\n", "\"field\":\"/x\"");
  EXPECT_EQ(r.body, R"({"error":"bad \"field\"\n","field":"/x"})");
}

TEST(PercentDecode, DecodesValidEscapesOnly) {
  t::expectEach(percentDecode,
                {{"a%20b", "a b"}, {"%2Fx%2f", "/x/"}, {"bad%zz%", "bad%zz%"}, {"%4", "%4"}});
}

TEST(HttpRouter, AThrowingHandlerGetsA500AndTheRouterGoesOn) {
  HttpRouter router;
  router.add("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("disk on fire for 15838510075");
  });
  router.addAsync("GET", "/boom-after", [](HttpRequest, Responder respond) {
    respond(HttpResponse::json(200, "{}"));
    throw std::runtime_error("late");
  });
  router.add("GET", "/ok", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  const auto boom = call(router, "GET", "/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body, R"({"error":"internal error"})");
  EXPECT_EQ(call(router, "GET", "/boom-after").status, 200);  // one answer, not two
  EXPECT_EQ(call(router, "GET", "/ok").status, 200);
}

TEST(HttpRouter, AdmitAnswersOnHeadersAloneWithTheRouteGuard) {
  HttpRouter router;
  int bodies = 0;
  router.add(
      "POST", "/things/{id}",
      [&](const HttpRequest&) {
        ++bodies;
        return HttpResponse::json(200, "{}");
      },
      [](const HttpRequest& r) -> std::optional<HttpResponse> {
        if (r.header("authorization") != "Bearer ok") return HttpResponse::error(401, "no");
        if (r.params.at("id") == "locked") return HttpResponse::error(403, "locked");
        return std::nullopt;
      });
  router.add("GET", "/open", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
  HttpRequest req;
  req.method = "POST";
  req.path = "/things/1";
  EXPECT_EQ(router.admit(req)->status, 401);
  req.headers.emplace_back("authorization", "Bearer ok");
  EXPECT_FALSE(router.admit(req).has_value());
  req.path = "/things/locked";
  EXPECT_EQ(router.admit(req)->status, 403);
  req.path = "/nothing";
  EXPECT_EQ(router.admit(req)->status, 404);
  req.method = "DELETE";
  req.path = "/open";
  EXPECT_EQ(router.admit(req)->status, 405);
  req.method = "GET";
  EXPECT_FALSE(router.admit(req).has_value());
  // A read that announces a body is refused before it is read.
  req.headers.emplace_back("content-length", "1000000");
  EXPECT_EQ(router.admit(req)->status, 400);
  req.headers.back() = {"transfer-encoding", "chunked"};
  EXPECT_EQ(router.admit(req)->status, 400);
  EXPECT_EQ(bodies, 0);
}

}  // namespace
}  // namespace wayhome::services
