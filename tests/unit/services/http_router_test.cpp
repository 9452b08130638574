#include <wayhome/runtime/http.hpp>

#include <gtest/gtest.h>

namespace wayhome::services {
namespace {

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
  EXPECT_EQ(percentDecode("a%20b"), "a b");
  EXPECT_EQ(percentDecode("%2Fx%2f"), "/x/");
  EXPECT_EQ(percentDecode("bad%zz%"), "bad%zz%");
  EXPECT_EQ(percentDecode("%4"), "%4");
}

}  // namespace
}  // namespace wayhome::services
