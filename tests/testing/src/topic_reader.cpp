#include <wayhome/testing/testing.hpp>
#include <wayhome/testing/topic_reader.hpp>

namespace wayhome::testing {

TopicReader::TopicReader(const std::string& bootstrap, const std::string& topic, int partitions)
    : consumer_(std::make_unique<bus::Consumer>(
          bus::ClientProperties{{"bootstrap.servers", bootstrap}},
          bus::ConsumerOptions{.groupId = "test-reader-" + topic})) {
  std::vector<std::int32_t> parts;
  for (int i = 0; i < partitions; ++i)
    parts.push_back(i);
  consumer_->assign(topic, parts, true);
}

const std::vector<bus::KafkaRecord>& TopicReader::records() {
  for (auto& r : consumer_->poll(std::chrono::milliseconds(20), 5000))
    records_.push_back(std::move(r));
  return records_;
}

std::vector<bus::KafkaRecord> TopicReader::awaitAtLeast(std::size_t count,
                                                        std::chrono::milliseconds timeout) {
  waitFor([&] { return records().size() >= count; }, timeout);
  return records_;
}

std::vector<rapidjson::Document> TopicReader::where(const std::string& key,
                                                    const std::string& value) {
  std::vector<rapidjson::Document> out;
  for (const auto& r : records()) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    if (!d.IsObject() || !d.HasMember(key.c_str()) || !d[key.c_str()].IsString()) continue;
    if (value == d[key.c_str()].GetString()) out.push_back(std::move(d));
  }
  return out;
}

std::vector<rapidjson::Document> TopicReader::decisions(const std::string& key,
                                                        const std::string& value) {
  std::vector<rapidjson::Document> out;
  for (const auto& r : records()) {
    for (auto& d : auditDecisions(r.value)) {
      if (!d.IsObject() || !d.HasMember(key.c_str()) || !d[key.c_str()].IsString()) continue;
      if (value == d[key.c_str()].GetString()) out.push_back(std::move(d));
    }
  }
  return out;
}

std::vector<rapidjson::Document> auditDecisions(const std::string& json) {
  std::vector<rapidjson::Document> out;
  rapidjson::Document record;
  record.Parse(json.c_str());
  if (!record.IsObject() || !record.HasMember("decisions") || !record["decisions"].IsArray()) {
    out.push_back(std::move(record));
    return out;
  }
  for (const auto& decision : record["decisions"].GetArray()) {
    rapidjson::Document d;
    d.CopyFrom(decision, d.GetAllocator());
    for (const auto& m : record.GetObject()) {
      if (m.name == "decisions" || d.HasMember(m.name)) continue;
      d.AddMember(rapidjson::Value(m.name, d.GetAllocator()),
                  rapidjson::Value(m.value, d.GetAllocator()), d.GetAllocator());
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace wayhome::testing
