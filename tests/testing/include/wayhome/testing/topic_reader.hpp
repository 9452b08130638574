#pragma once

// Reads one topic of a test's bus from the beginning, as a sector system would.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include <wayhome/bus/consumer.hpp>

namespace wayhome::testing {

/// Everything on one topic (all `partitions`), read from the beginning and kept.
class TopicReader {
 public:
  TopicReader(const std::string& bootstrap, const std::string& topic, int partitions = 1);
  /// What has arrived so far (each call reads what is new).
  const std::vector<bus::KafkaRecord>& records();
  /// Reads until at least `count` records arrived or `timeout` (scaled) passed; all of
  /// them.
  std::vector<bus::KafkaRecord> awaitAtLeast(std::size_t count, std::chrono::milliseconds timeout);
  /// Data of the records whose JSON has the string `key` = `value`.
  std::vector<rapidjson::Document> where(const std::string& key, const std::string& value);
  /// For an audit topic: each decision of each record (auditDecisions), those with the
  /// string `key` = `value`.
  std::vector<rapidjson::Document> decisions(const std::string& key, const std::string& value);

 private:
  std::unique_ptr<bus::Consumer> consumer_;
  std::vector<bus::KafkaRecord> records_;
};

/// The decisions of one audit record (`audit.decision.v2` data), one document each: the
/// decision's fields with the record's (audit_id, decided_at, service, source_event_id,
/// person_ref, actor) beside them, as an `audit.decision.v1` record held them. Not an
/// audit.decision.v2 record (v1, other JSON): the document itself, alone.
std::vector<rapidjson::Document> auditDecisions(const std::string& json);

}  // namespace wayhome::testing
