#include <map>
#include <memory>

#include <wayhome/bus/admin.hpp>
#include <wayhome/core/log.hpp>

#include "kafka_handles.hpp"

namespace wayhome::bus {
namespace {

using NewTopicPtr = detail::Handle<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>;
using ConfigResourcePtr =
    detail::Handle<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>;
using OptionsPtr = detail::Handle<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>;
using QueuePtr = detail::Handle<rd_kafka_queue_t, rd_kafka_queue_destroy>;
using EventPtr = detail::Handle<rd_kafka_event_t, rd_kafka_event_destroy>;

// The configs the catalogue sets on a topic, as the broker spells them.
std::map<std::string, std::string> topicConfigs(const TopicSpec& t) {
  return {{"retention.ms", std::to_string(t.retention.count())},
          {"cleanup.policy", t.cleanupPolicy}};
}

OptionsPtr makeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  char err[512];
  OptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                            sizeof err);
  return options;
}

EventPtr waitResult(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout, const char* what) {
  EventPtr event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000));
  if (!event) throw BusError(std::string(what) + " timed out");
  return event;
}

// Sends CreateTopics; the per-topic outcome (empty: created or already there).
std::map<std::string, std::string> create(rd_kafka_t* rk, const std::vector<TopicSpec>& topics,
                                          std::chrono::milliseconds timeout) {
  std::vector<NewTopicPtr> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  char err[512];
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, -1, err, sizeof err);
    if (nt == nullptr) throw BusError("topic '" + t.name + "': " + err);
    owned.emplace_back(nt);
    raw.push_back(nt);
    for (const auto& [key, value] : topicConfigs(t)) {
      if (rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str()) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw BusError("topic '" + t.name + "': config " + key + " refused");
      }
    }
  }
  auto options = makeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, raw.data(), raw.size(), options.get(), queue.get());
  auto event = waitResult(queue.get(), timeout, "creating topics");
  std::map<std::string, std::string> out;
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string why = rd_kafka_event_error_string(event.get());
    for (const auto& t : topics)
      out[t.name] = why;
    return out;
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    const std::string name = rd_kafka_topic_result_name(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      out[name] = "";
      continue;
    }
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    out[name] = msg ? msg : rd_kafka_err2str(e);
  }
  return out;
}

}  // namespace

void createTopics(const ClientProperties& props, const std::vector<TopicSpec>& topics,
                  std::chrono::milliseconds timeout) {
  if (topics.empty()) return;
  auto rk = detail::makeClient(RD_KAFKA_PRODUCER, detail::makeConf(props, "bus"));
  for (const auto& [name, error] : create(rk.get(), topics, timeout)) {
    if (!error.empty()) throw BusError("cannot create topic '" + name + "': " + error);
    log::info("bus", "topic ready", {{"topic", name}});
  }
}

const char* toString(TopicCheck::State state) {
  switch (state) {
    case TopicCheck::State::kOk:
      return "ok";
    case TopicCheck::State::kCreated:
      return "created";
    case TopicCheck::State::kDiffers:
      return "differs";
    case TopicCheck::State::kUnchecked:
      return "unchecked";
    case TopicCheck::State::kFailed:
      return "failed";
  }
  return "?";
}

std::vector<TopicCheck> applyTopics(const ClientProperties& props,
                                    const std::vector<TopicSpec>& topics,
                                    std::chrono::milliseconds timeout) {
  auto rk = detail::makeClient(RD_KAFKA_PRODUCER, detail::makeConf(props, "bus"));
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t me =
      rd_kafka_metadata(rk.get(), 1, nullptr, &raw, static_cast<int>(timeout.count()));
  if (me != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw BusError(std::string("cannot read the cluster's metadata: ") + rd_kafka_err2str(me));
  }
  detail::MetadataPtr metadata(raw);
  std::map<std::string, int> partitionsOf;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const auto& t = metadata->topics[i];
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) partitionsOf[t.topic] = t.partition_cnt;
  }

  std::vector<TopicCheck> out;
  std::vector<TopicSpec> missing;
  std::vector<const TopicSpec*> existing;
  for (const auto& t : topics) {
    if (partitionsOf.count(t.name) == 0) {
      missing.push_back(t);
    } else {
      existing.push_back(&t);
    }
  }

  if (!missing.empty()) {
    const auto created = create(rk.get(), missing, timeout);
    for (const auto& t : missing) {
      const auto it = created.find(t.name);
      if (it == created.end()) {
        out.push_back({t.name, TopicCheck::State::kFailed, "no answer from the cluster"});
      } else if (it->second.empty()) {
        out.push_back({t.name, TopicCheck::State::kCreated, {}});
        log::info("bus", "topic created", {{"topic", t.name}});
      } else {
        out.push_back({t.name, TopicCheck::State::kFailed, "cannot create: " + it->second});
      }
    }
  }
  if (existing.empty()) return out;

  // One DescribeConfigs for every existing topic.
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto* t : existing) {
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t->name.c_str()));
    resources.push_back(owned.back().get());
  }
  auto options = makeOptions(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  QueuePtr queue(rd_kafka_queue_new(rk.get()));
  rd_kafka_DescribeConfigs(rk.get(), resources.data(), resources.size(), options.get(),
                           queue.get());
  auto event = waitResult(queue.get(), timeout, "describing topic configs");
  std::string requestError;
  std::map<std::string, std::map<std::string, std::string>> configsOf;
  std::map<std::string, std::string> describeError;
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    requestError = rd_kafka_event_error_string(event.get());
  } else {
    const rd_kafka_DescribeConfigs_result_t* result =
        rd_kafka_event_DescribeConfigs_result(event.get());
    size_t count = 0;
    const rd_kafka_ConfigResource_t** described =
        rd_kafka_DescribeConfigs_result_resources(result, &count);
    for (size_t i = 0; i < count; ++i) {
      const std::string name = rd_kafka_ConfigResource_name(described[i]);
      if (rd_kafka_ConfigResource_error(described[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* msg = rd_kafka_ConfigResource_error_string(described[i]);
        describeError[name] = msg ? msg : "error";
        continue;
      }
      size_t n = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(described[i], &n);
      auto& configs = configsOf[name];
      for (size_t j = 0; j < n; ++j) {
        const char* value = rd_kafka_ConfigEntry_value(entries[j]);
        configs[rd_kafka_ConfigEntry_name(entries[j])] = value ? value : "";
      }
    }
  }

  for (const auto* t : existing) {
    TopicCheck check{t->name, TopicCheck::State::kOk, {}};
    auto differs = [&check](const std::string& what) {
      check.state = TopicCheck::State::kDiffers;
      check.detail += (check.detail.empty() ? "" : "; ") + what;
    };
    const int partitions = partitionsOf[t->name];
    if (partitions != t->partitions) {
      differs("partitions: cluster " + std::to_string(partitions) + ", catalogue " +
              std::to_string(t->partitions));
    }
    const auto found = configsOf.find(t->name);
    if (found == configsOf.end()) {
      if (check.state == TopicCheck::State::kOk) check.state = TopicCheck::State::kUnchecked;
      const std::string why = !requestError.empty()          ? requestError
                              : describeError.count(t->name) ? describeError[t->name]
                                                             : "no answer from the cluster";
      check.detail += (check.detail.empty() ? "" : "; ") + ("configs not read: " + why);
    } else {
      for (const auto& [key, want] : topicConfigs(*t)) {
        const auto have = found->second.find(key);
        const std::string value = have == found->second.end() ? "(unset)" : have->second;
        if (value != want) differs(key + ": cluster " + value + ", catalogue " + want);
      }
    }
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace wayhome::bus
