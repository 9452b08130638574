#pragma once

// Shared by the loan end-to-end and durability tests: the real binary's runtime file,
// signed loan webhooks as a sender makes them, and reading a topic back.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/testing/testing.hpp>

namespace wayhome::loantest {

using namespace std::chrono_literals;
namespace t = wayhome::testing;

inline const std::string kSecret = "e2e-webhook-secret-0123456789abcdef";

// The runtime file of a running `wayhome serve` (one definition, in the testing library).
using t::readRuntime;
using t::Runtime;

inline std::string nowSeconds() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

/// The headers a sender puts on `body` signed at `timestamp`.
inline std::vector<std::pair<std::string, std::string>> signedHeaders(
    const std::string& body, const std::string& timestamp = nowSeconds(),
    const std::string& secret = kSecret) {
  return {{"Content-Type", "application/json"},
          {"X-Wayhome-Timestamp", timestamp},
          {"X-Wayhome-Signature", crypto::webhookSignature(secret, timestamp, body)}};
}

/// A submitted-application webhook with id `id` for `nin`.
inline std::string submitted(const std::string& id, const std::string& nin = "15838510075",
                             const std::string& amount = "3200000") {
  return R"({"id":")" + id +
         R"(","type":"application_submitted","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":")" +
         nin + R"(","application_id":"SL-)" + id + R"(","amount_asked_nok":)" + amount +
         R"(,"submitted_date":"2026-09-01"}})";
}

inline t::HttpResult post(int port, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& instance = "loan") {
  return t::http(port, "POST", "/api/v1/connectors/loan/" + instance + "/events", body, headers);
}

/// Reads `topic` (partitions 0..partitions-1) from the start until `expect` records
/// arrived, then checks the partitions' high watermarks add up to what was read (so
/// nothing beyond `expect` is there either).
inline std::vector<bus::KafkaRecord> readExactly(const std::string& bootstrap,
                                                 const std::string& topic, int partitions,
                                                 std::size_t expect,
                                                 std::chrono::milliseconds timeout = 60000ms) {
  bus::Consumer c({{"bootstrap.servers", bootstrap}}, {.groupId = t::uniquePrefix() + "reader"});
  std::vector<std::int32_t> all;
  for (int p = 0; p < partitions; ++p)
    all.push_back(p);
  c.assign(topic, all, true);
  std::vector<bus::KafkaRecord> out;
  EXPECT_TRUE(t::waitFor(
      [&] {
        for (auto& r : c.poll(100ms))
          out.push_back(std::move(r));
        return out.size() >= expect;
      },
      timeout))
      << "read " << out.size() << " of " << expect << " from " << topic;
  std::int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    auto wm = c.watermarks(topic, p, t::scaled(10000ms));
    EXPECT_TRUE(wm.ok()) << (wm.ok() ? "" : wm.error().message);
    if (wm.ok()) total += wm.value().second - wm.value().first;
  }
  EXPECT_EQ(total, static_cast<std::int64_t>(out.size())) << "records on " << topic;
  return out;
}

inline std::string header(const bus::KafkaRecord& r, const std::string& name) {
  const std::string* v = r.header(name);
  return v == nullptr ? std::string() : *v;
}

/// The CloudEvent id in a 202 answer's event_ids.
inline std::string acceptedEventId(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (!d.IsObject() || !d.HasMember("event_ids") || !d["event_ids"].IsArray() ||
      d["event_ids"].Empty()) {
    return {};
  }
  return d["event_ids"][0].GetString();
}

}  // namespace wayhome::loantest
