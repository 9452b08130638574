#include <gtest/gtest.h>

#include <wayhome/bus/cloud_event.hpp>
#include <wayhome/testing/cases.hpp>

namespace wayhome::bus {
namespace {

namespace t = wayhome::testing;

CloudEvent sample() {
  CloudEvent e;
  e.id = "plania:contract:42:v3";
  e.source = "/wayhome/connectors/plania/north";
  e.type = "tenancy.contract_signed.v1";
  e.time = "2026-11-22T10:00:00.000Z";
  e.subject = "pr_0123456789abcdef0123456789abcdef";
  e.data = R"({"contract_id":"42"})";
  e.extensions = {{"traceparent", "00-abc-def-01"}};
  return e;
}

KafkaRecord recordOf(const CloudEvent& e) {
  KafkaRecord r;
  r.topic = "cases.plania";
  r.key = e.subject;
  r.value = e.data;
  r.headers = binding::toHeaders(e);
  return r;
}

TEST(CloudEventBinding, HeadersCarryEveryAttribute) {
  const auto headers = binding::toHeaders(sample());
  auto find = [&](const std::string& n) -> std::string {
    for (const auto& h : headers) {
      if (h.name == n) return h.value;
    }
    return "<absent>";
  };
  t::expectEach(find, {{"ce_specversion", "1.0"},
                       {"ce_id", "plania:contract:42:v3"},
                       {"ce_source", "/wayhome/connectors/plania/north"},
                       {"ce_type", "tenancy.contract_signed.v1"},
                       {"ce_time", "2026-11-22T10:00:00.000Z"},
                       {"ce_subject", "pr_0123456789abcdef0123456789abcdef"},
                       {"content-type", "application/json"},
                       {"ce_traceparent", "00-abc-def-01"}});
}

TEST(CloudEventBinding, RoundTripsThroughARecord) {
  auto read = binding::fromRecord(recordOf(sample()));
  ASSERT_TRUE(read.ok()) << read.error().message;
  const CloudEvent& e = read.value();
  EXPECT_EQ(e.id, sample().id);
  EXPECT_EQ(e.source, sample().source);
  EXPECT_EQ(e.type, sample().type);
  EXPECT_EQ(e.subject, sample().subject);
  EXPECT_EQ(e.time, sample().time);
  EXPECT_EQ(e.data, sample().data);
  ASSERT_NE(e.extension("traceparent"), nullptr);
  EXPECT_EQ(*e.extension("traceparent"), "00-abc-def-01");
}

class MissingHeader : public ::testing::TestWithParam<std::string> {};

TEST_P(MissingHeader, IsAnErrorNamingTheAttribute) {
  KafkaRecord r = recordOf(sample());
  std::erase_if(r.headers, [](const Header& h) { return h.name == GetParam(); });
  auto read = binding::fromRecord(r);
  ASSERT_FALSE(read.ok());
  EXPECT_FALSE(read.error().retryable());
  EXPECT_NE(read.error().message.find(GetParam()), std::string::npos) << read.error().message;
}

INSTANTIATE_TEST_SUITE_P(Required, MissingHeader,
                         ::testing::Values("ce_specversion", "ce_id", "ce_source", "ce_type",
                                           "content-type"));

TEST(CloudEventBinding, RejectsOtherSpecVersionsAndContentTypes) {
  KafkaRecord r = recordOf(sample());
  for (auto& h : r.headers) {
    if (h.name == "ce_specversion") h.value = "0.3";
  }
  EXPECT_FALSE(binding::fromRecord(r).ok());
  r = recordOf(sample());
  for (auto& h : r.headers) {
    if (h.name == "content-type") h.value = "text/xml";
  }
  auto read = binding::fromRecord(r);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("content-type"), std::string::npos);
}

TEST(CloudEventBinding, EmptyHeaderValuesAndNoHeadersAreErrors) {
  KafkaRecord r = recordOf(sample());
  for (auto& h : r.headers) {
    if (h.name == "ce_id") h.value.clear();
  }
  EXPECT_FALSE(binding::fromRecord(r).ok());
  EXPECT_FALSE(binding::fromRecord(KafkaRecord{}).ok());
}

TEST(CloudEventBinding, CheckRefusesBadExtensionNamesAndMissingAttributes) {
  CloudEvent e = sample();
  e.extensions = {{"Bad-Name", "x"}};
  auto c = binding::check(e);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("ce_Bad-Name"), std::string::npos);

  e = sample();
  e.extensions = {{"id", "shadow"}};
  EXPECT_FALSE(binding::check(e).ok());

  e = sample();
  e.source.clear();
  c = binding::check(e);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("ce_source"), std::string::npos);
  EXPECT_TRUE(binding::check(sample()).ok());
}

}  // namespace
}  // namespace wayhome::bus
