
#include <wayhome/bus/producer.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/schemas/registry.hpp>

#include "kafka_handles.hpp"

namespace wayhome::bus {
namespace {

bool isPermanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return true;
    default:
      return false;
  }
}

void onDeliveryReport(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* /*opaque*/) {
  std::unique_ptr<Producer::DeliveryCallback> cb(
      static_cast<Producer::DeliveryCallback*>(msg->_private));
  if (!cb) return;
  DeliveryReport report;
  report.topic = rd_kafka_topic_name(msg->rkt);
  report.partition = msg->partition;
  report.offset = msg->offset;
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    report.ok = true;
  } else {
    const std::string reason =
        std::string(rd_kafka_err2name(msg->err)) + ": " + rd_kafka_err2str(msg->err);
    report.error = isPermanent(msg->err) ? Error::permanent(reason) : Error::retry(reason);
  }
  (*cb)(report);
}

}  // namespace

struct Producer::Impl {
  ProducerOptions options;
  detail::KafkaPtr rk;
  Worker poller;

  ~Impl() {
    poller.stop();
    if (rk) {
      // Fail what is left so every callback runs exactly once and nothing leaks.
      rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk.get(), 1000);
    }
  }
};

Producer::Producer(const ClientProperties& props, ProducerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  ClientProperties all = props;
  all["client.id"] = impl_->options.name;
  // Required for "nothing lost, nothing twice": not overridable.
  all["enable.idempotence"] = "true";
  all["acks"] = "all";
  if (!all.contains("linger.ms")) all["linger.ms"] = "5";
  auto conf = detail::makeConf(all, "bus");
  rd_kafka_conf_set_dr_msg_cb(conf.get(), onDeliveryReport);
  impl_->rk = detail::makeClient(RD_KAFKA_PRODUCER, std::move(conf));
  impl_->poller.start(impl_->options.name, [rk = impl_->rk.get()](const std::stop_token& stop) {
    while (!stop.stop_requested())
      rd_kafka_poll(rk, 50);
  });
}

Producer::~Producer() = default;

Result<void> Producer::send(const std::string& topic, const CloudEvent& event,
                            DeliveryCallback onDelivery) {
  if (auto checked = binding::check(event); !checked) return checked.error();
  if (impl_->options.registry != nullptr) {
    if (auto invalid = impl_->options.registry->validate(event.type, event.data)) {
      return Error::permanent("event " + event.id + " of type " + event.type +
                              " is not valid: " + invalid->message);
    }
  }
  return sendRecord(topic, event.subject, event.data, binding::toHeaders(event),
                    std::move(onDelivery));
}

std::future<DeliveryReport> Producer::send(const std::string& topic, const CloudEvent& event) {
  auto promise = std::make_shared<std::promise<DeliveryReport>>();
  auto future = promise->get_future();
  auto sent = send(topic, event, [promise](const DeliveryReport& r) { promise->set_value(r); });
  if (!sent) {
    DeliveryReport report;
    report.topic = topic;
    report.error = sent.error();
    promise->set_value(report);
  }
  return future;
}

Result<void> Producer::sendRecord(const std::string& topic, const std::string& key,
                                  const std::string& value, const std::vector<Header>& headers,
                                  DeliveryCallback onDelivery) {
  detail::HeadersPtr hdrs(rd_kafka_headers_new(headers.size()));
  for (const auto& h : headers) {
    rd_kafka_header_add(hdrs.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                        h.value.data(), static_cast<ssize_t>(h.value.size()));
  }
  auto cb = std::make_unique<DeliveryCallback>(std::move(onDelivery));
  rd_kafka_vu_t vus[6];
  vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[0].u.cstr = topic.c_str();
  vus[1].vtype = RD_KAFKA_VTYPE_KEY;
  vus[1].u.mem = {key.empty() ? nullptr : const_cast<char*>(key.data()), key.size()};
  vus[2].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[2].u.mem = {const_cast<char*>(value.data()), value.size()};
  vus[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[3].u.i = RD_KAFKA_MSG_F_COPY;
  vus[4].vtype = RD_KAFKA_VTYPE_HEADERS;
  vus[4].u.headers = hdrs.get();
  vus[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[5].u.ptr = cb.get();
  detail::ErrorPtr error(rd_kafka_produceva(impl_->rk.get(), vus, 6));
  if (error) {
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error.get());
    const std::string reason =
        "cannot queue message for " + topic + ": " + rd_kafka_error_string(error.get());
    return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? Error::retry(reason) : Error::permanent(reason);
  }
  (void)hdrs.release();  // The message owns the headers now.
  (void)cb.release();    // Freed by the delivery report.
  return {};
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  return rd_kafka_flush(impl_->rk.get(), static_cast<int>(timeout.count())) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

Result<int> Producer::ping(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(impl_->rk.get(), 0, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::retry(std::string("bus unreachable: ") + rd_kafka_err2str(err));
  }
  detail::MetadataPtr guard(md);
  return md->broker_cnt;
}

Result<int> Producer::partitionCount(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(impl_->rk.get(), 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::retry(std::string("metadata of ") + topic + ": " + rd_kafka_err2str(err));
  }
  detail::MetadataPtr guard(md);
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error::permanent("topic " + topic + " is unknown to the cluster");
  }
  return md->topics[0].partition_cnt;
}

int Producer::queued() const {
  return rd_kafka_outq_len(impl_->rk.get());
}

}  // namespace wayhome::bus
