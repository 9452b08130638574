#pragma once

// Shared by the loan, Gerica and durability end-to-end tests: the real binary's runtime
// file, signed loan webhooks as a sender makes them, reading a topic back and checking
// what a connector published.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/connectors/formats.hpp>
#include <wayhome/core/crypto.hpp>
#include <wayhome/loan/webhook.hpp>
#include <wayhome/schemas/registry.hpp>
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

/// What a connector published, record by record: a type starting with one of
/// `typePrefixes`, valid against that type's schema, keyed by the person_ref in the
/// payload, from `source` (ce_source), and no 11-digit run in the value, the key or any
/// header.
inline void expectConnectorRecords(const std::vector<bus::KafkaRecord>& records,
                                   const std::vector<std::string>& typePrefixes,
                                   const std::string& source) {
  static const auto schemas = schemas::SchemaRegistry::loadDirectory(t::schemaDir());
  using connectors::hasIdentityNumberShape;
  for (const auto& r : records) {
    const std::string type = header(r, "ce_type");
    EXPECT_TRUE(std::any_of(typePrefixes.begin(), typePrefixes.end(), [&](const std::string& p) {
      return type.starts_with(p);
    })) << type;
    EXPECT_FALSE(schemas.validate(type, r.value).has_value()) << type << " " << r.value;
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    ASSERT_TRUE(d.IsObject()) << r.value;
    EXPECT_EQ(r.key, d["person_ref"].GetString());
    EXPECT_EQ(header(r, "ce_subject"), r.key);
    EXPECT_EQ(header(r, "ce_source"), source);
    EXPECT_FALSE(hasIdentityNumberShape(r.value)) << r.value;
    EXPECT_FALSE(hasIdentityNumberShape(r.key)) << r.key;
    for (const auto& h : r.headers) {
      EXPECT_FALSE(hasIdentityNumberShape(h.name + "=" + h.value)) << h.name << "=" << h.value;
    }
  }
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
