#include <cstring>
#include <mutex>
#include <set>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/core/log.hpp>

#include "kafka_handles.hpp"

namespace wayhome::bus {
namespace {

using PartitionNames = std::vector<std::pair<std::string, std::int32_t>>;

PartitionNames names(const rd_kafka_topic_partition_list_t* parts) {
  PartitionNames out;
  for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
    out.emplace_back(parts->elems[i].topic, parts->elems[i].partition);
  }
  return out;
}

std::string describe(const PartitionNames& parts) {
  std::string s;
  for (const auto& [t, p] : parts) {
    if (!s.empty()) s += ',';
    s += t + "/" + std::to_string(p);
  }
  return s;
}

KafkaRecord toRecord(const rd_kafka_message_t* m) {
  KafkaRecord r;
  r.topic = rd_kafka_topic_name(m->rkt);
  r.partition = m->partition;
  r.offset = m->offset;
  rd_kafka_timestamp_type_t tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  r.timestampMs = rd_kafka_message_timestamp(m, &tsType);
  if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs != nullptr) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      r.headers.push_back({name, value != nullptr
                                     ? std::string(static_cast<const char*>(value), size)
                                     : std::string()});
    }
  }
  return r;
}

detail::PartitionListPtr single(const std::string& topic, std::int32_t partition,
                                std::int64_t offset) {
  detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  return list;
}

// The partitions assigned to `rk` now; null when librdkafka cannot tell.
detail::PartitionListPtr assignmentOf(rd_kafka_t* rk) {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return nullptr;
  return detail::PartitionListPtr(raw);
}

}  // namespace

namespace {

// The group members alive in this process, for lagOfGroupMembers(). A member leaves
// this set before it closes, under the lock, so a scrape never reads a closing handle.
std::mutex& membersMutex() {
  static std::mutex m;
  return m;
}
std::set<const Consumer*>& members() {
  static std::set<const Consumer*> s;
  return s;
}

void leaveMembers(const Consumer* c) {
  std::lock_guard lock(membersMutex());
  members().erase(c);
}

}  // namespace

struct Consumer::Impl {
  ConsumerOptions options;
  detail::KafkaPtr rk;
  bool closed = false;
  bool paused = false;

  static void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque);
};

void Consumer::Impl::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts, void* /*opaque*/) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  const PartitionNames changed = names(parts);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      detail::ErrorPtr e(rd_kafka_incremental_assign(rk, parts));
    } else {
      rd_kafka_assign(rk, parts);
    }
    log::info("bus", "partitions assigned", {{"partitions", describe(changed)}});
  } else {
    // Commit what was processed before someone else takes these partitions over.
    const rd_kafka_resp_err_t c = rd_kafka_commit(rk, nullptr, 0);
    if (c != RD_KAFKA_RESP_ERR_NO_ERROR && c != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      log::warn("bus", "commit on revoke failed", {{"error", rd_kafka_err2str(c)}});
    }
    if (cooperative) {
      detail::ErrorPtr e(rd_kafka_incremental_unassign(rk, parts));
    } else {
      rd_kafka_assign(rk, nullptr);
    }
    log::info("bus", "partitions revoked", {{"partitions", describe(changed)}});
  }
}

Consumer::Consumer(const ClientProperties& props, ConsumerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  ClientProperties all = props;
  all["client.id"] = impl_->options.name;
  all["group.id"] = impl_->options.groupId.empty() ? impl_->options.name : impl_->options.groupId;
  all["enable.auto.commit"] = "false";
  all["enable.auto.offset.store"] = "false";
  all["auto.offset.reset"] = impl_->options.autoOffsetReset;
  // A member that dies (SIGKILL, a lost host) keeps its partitions until its session
  // times out: 6 s rather than librdkafka's 45, so a live instance takes over within
  // about 15 s (README, "Production"). The bus's own properties may say otherwise.
  all.try_emplace("session.timeout.ms", "6000");
  all.try_emplace("heartbeat.interval.ms", "1000");
  auto conf = detail::makeConf(all, "bus");
  rd_kafka_conf_set_rebalance_cb(
      conf.get(),
      [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
         void* opaque) { Impl::onRebalance(rk, err, parts, opaque); });
  impl_->rk = detail::makeClient(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(impl_->rk.get());
}

Consumer::~Consumer() {
  close();
}

void Consumer::subscribe(const std::vector<std::string>& topics) {
  detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw BusError(std::string("cannot subscribe: ") + rd_kafka_err2str(err));
  }
  std::lock_guard lock(membersMutex());
  members().insert(this);
}

void Consumer::assign(const std::string& topic, const std::vector<std::int32_t>& partitions,
                      bool fromBeginning) {
  detail::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (auto p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_STORED;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw BusError(std::string("cannot assign partitions: ") + rd_kafka_err2str(err));
  }
}

void Consumer::assignAt(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  auto list = single(topic, partition, offset);
  const rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw BusError(std::string("cannot assign partition: ") + rd_kafka_err2str(err));
  }
}

void Consumer::assignAt(const std::string& topic,
                        const std::vector<std::pair<std::int32_t, std::int64_t>>& starts) {
  detail::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(starts.size())));
  for (const auto& [partition, offset] : starts) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw BusError(std::string("cannot assign partitions: ") + rd_kafka_err2str(err));
  }
}

Result<std::pair<std::int64_t, std::int64_t>> Consumer::watermarks(
    const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout) {
  std::int64_t low = -1;
  std::int64_t high = -1;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      impl_->rk.get(), topic.c_str(), partition, &low, &high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::retry(std::string("watermarks of ") + topic + ": " + rd_kafka_err2str(err));
  }
  return std::make_pair(low, high);
}

std::vector<KafkaRecord> Consumer::poll(std::chrono::milliseconds timeout, std::size_t maxRecords) {
  std::vector<KafkaRecord> out;
  int wait = static_cast<int>(timeout.count());
  while (out.size() < maxRecords) {
    detail::MessagePtr m(rd_kafka_consumer_poll(impl_->rk.get(), wait));
    if (!m) break;
    wait = 0;  // After the first record take only what is already here.
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log::warn("bus", "consumer error", {{"error", rd_kafka_message_errstr(m.get())}});
      }
      continue;
    }
    out.push_back(toRecord(m.get()));
  }
  return out;
}

void Consumer::markProcessed(const KafkaRecord& record) {
  auto list = single(record.topic, record.partition, record.offset + 1);
  const rd_kafka_resp_err_t err = rd_kafka_offsets_store(impl_->rk.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The partition was revoked meanwhile: its new owner re-reads the record and the
    // once-only state recognises it.
    log::debug("bus", "offset not stored", {{"error", rd_kafka_err2str(err)}});
  }
}

void Consumer::rewind(const KafkaRecord& record) {
  auto list = single(record.topic, record.partition, record.offset);
  detail::ErrorPtr err(rd_kafka_seek_partitions(impl_->rk.get(), list.get(), 5000));
  if (err) log::warn("bus", "seek failed", {{"error", rd_kafka_error_string(err.get())}});
}

Result<void> Consumer::commit(bool async) {
  const rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk.get(), nullptr, async ? 1 : 0);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return {};
  return Error::retry(std::string("commit failed: ") + rd_kafka_err2str(err));
}

void Consumer::pause() {
  auto list = assignmentOf(impl_->rk.get());
  if (!list) return;
  rd_kafka_pause_partitions(impl_->rk.get(), list.get());
  impl_->paused = true;
}

void Consumer::resume() {
  auto list = assignmentOf(impl_->rk.get());
  if (!list) return;
  rd_kafka_resume_partitions(impl_->rk.get(), list.get());
  impl_->paused = false;
}

bool Consumer::paused() const {
  return impl_->paused;
}

std::vector<PartitionLag> Consumer::lag() const {
  std::vector<PartitionLag> out;
  auto list = assignmentOf(impl_->rk.get());
  if (!list) return out;
  rd_kafka_position(impl_->rk.get(), list.get());
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    PartitionLag l;
    l.topic = e.topic;
    l.partition = e.partition;
    l.position = e.offset;
    int64_t low = -1;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(impl_->rk.get(), e.topic, e.partition, &low, &high) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      l.highWatermark = high;
    }
    out.push_back(l);
  }
  return out;
}

std::vector<GroupLag> Consumer::lagOfGroupMembers() {
  std::vector<GroupLag> out;
  std::lock_guard lock(membersMutex());
  for (const Consumer* c : members()) {
    const std::string& group =
        c->impl_->options.groupId.empty() ? c->impl_->options.name : c->impl_->options.groupId;
    for (auto& p : c->lag()) {
      if (p.lag() >= 0) out.push_back({group, std::move(p)});
    }
  }
  return out;
}

void Consumer::close() {
  leaveMembers(this);
  if (impl_->closed || !impl_->rk) return;
  impl_->closed = true;
  const rd_kafka_resp_err_t c = rd_kafka_commit(impl_->rk.get(), nullptr, 0);
  if (c != RD_KAFKA_RESP_ERR_NO_ERROR && c != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    log::warn("bus", "final commit failed", {{"error", rd_kafka_err2str(c)}});
  }
  rd_kafka_consumer_close(impl_->rk.get());
}

}  // namespace wayhome::bus
