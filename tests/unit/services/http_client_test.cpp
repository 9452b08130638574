#include <gtest/gtest.h>

#include <wayhome/runtime/http_client.hpp>

namespace wayhome::services {
namespace {

TEST(ParseUrl, DefaultsThePortOfEachScheme) {
  ParsedUrl u;
  ASSERT_TRUE(parseUrl("https://crm.example/hooks?x=1", u));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "crm.example");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/hooks?x=1");
  EXPECT_EQ(u.hostHeader(), "crm.example");
  ASSERT_TRUE(parseUrl("http://crm.example", u));
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.target, "/");
}

TEST(ParseUrl, TheHostHeaderCarriesAPortThatIsNotTheDefault) {
  ParsedUrl u;
  ASSERT_TRUE(parseUrl("http://127.0.0.1:8443/x", u));
  EXPECT_EQ(u.hostHeader(), "127.0.0.1:8443");
  ASSERT_TRUE(parseUrl("https://h:443/", u));
  EXPECT_EQ(u.hostHeader(), "h");
}

TEST(ParseUrl, TakesBracketedIpv6) {
  ParsedUrl u;
  ASSERT_TRUE(parseUrl("http://[::1]:9000/p", u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "9000");
  EXPECT_EQ(u.hostHeader(), "[::1]:9000");
}

TEST(ParseUrl, RefusesOtherSchemesEmptyHostsAndBrokenBrackets) {
  ParsedUrl u;
  EXPECT_FALSE(parseUrl("ftp://h/", u));
  EXPECT_FALSE(parseUrl("http:///path", u));
  EXPECT_FALSE(parseUrl("http://h:/", u));
  EXPECT_FALSE(parseUrl("http://[::1/", u));
  EXPECT_FALSE(parseUrl("http://[::1]x/", u));
}

TEST(HttpRequest, ACancelledExchangeEndsAtOnceAndSaysSo) {
  // 192.0.2.1 (TEST-NET-1) never answers: only cancellation ends the connect early.
  const auto began = std::chrono::steady_clock::now();
  auto r = httpRequest({.url = "http://192.0.2.1:81/",
                        .timeout = std::chrono::seconds(20),
                        .cancelled = [] { return true; }});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable());
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
}

}  // namespace
}  // namespace wayhome::services
