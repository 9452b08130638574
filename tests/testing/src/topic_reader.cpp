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

}  // namespace wayhome::testing
