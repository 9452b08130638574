#include <set>
#include <utility>

#include <wayhome/bus/consumer.hpp>
#include <wayhome/bus/outbox.hpp>
#include <wayhome/core/log.hpp>
#include <wayhome/runtime/consume_loop.hpp>
#include <wayhome/runtime/status.hpp>

namespace wayhome::services {

bus::ClientProperties consumerProperties(const bus::BusSettings& bus,
                                         const bus::ClientProperties& busClient) {
  bus::ClientProperties props = busClient;
  if (bus.embedded && !props.contains("fetch.wait.max.ms")) props["fetch.wait.max.ms"] = "10";
  if (!props.contains("queued.max.messages.kbytes")) props["queued.max.messages.kbytes"] = "2048";
  return props;
}

ConsumeLoop::ConsumeLoop(bus::Consumer& consumer, bus::Outbox& outbox, StatusEntry& status,
                         Options options, Handler handler)
    : consumer_(consumer),
      outbox_(outbox),
      status_(status),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

ConsumeLoop::~ConsumeLoop() {
  stop();
}

void ConsumeLoop::start() {
  worker_.start(options_.component, [this](const std::stop_token& token) {
    while (!token.stop_requested()) {
      if (!turn() && consumer_.paused()) worker_.sleepFor(options_.poll);
    }
  });
}

void ConsumeLoop::stop() {
  worker_.stop();
}

bool ConsumeLoop::turn() {
  if (options_.beforePoll) {
    try {
      options_.beforePoll();
    } catch (const std::exception& e) {
      log::error(options_.component, "periodic work failed; it runs again",
                 {{"error", log::redact(e.what())}});
    }
  }
  const bool hold = outbox_.overloaded() || (options_.paused && options_.paused());
  if (hold && !consumer_.paused()) {
    consumer_.pause();
    status_.setHealth(Health::kDegraded);
  } else if (!hold && consumer_.paused()) {
    consumer_.resume();
    status_.setHealth(Health::kRunning);
  }
  auto records = consumer_.poll(options_.poll, options_.maxBatch);
  if (records.empty()) return false;
  std::size_t done = 0;
  try {
    done = std::min(handler_(records), records.size());
  } catch (const std::exception& e) {
    // The store failed: nothing of the batch was kept.
    log::error(options_.component, "batch failed; it will be read again",
               {{"error", log::redact(e.what())}});
    status_.failed(std::string("state store: ") + e.what());
  }
  for (std::size_t i = 0; i < done; ++i)
    consumer_.markProcessed(records[i]);
  // Offsets only after the store committed what the records did.
  if (done > 0) (void)consumer_.commit(true);
  if (done < records.size()) {
    retry(records, done);
  } else if (!hold) {
    status_.setHealth(Health::kRunning);
  }
  return true;
}

void ConsumeLoop::retry(const std::vector<bus::KafkaRecord>& records, std::size_t from) {
  std::set<std::pair<std::string, std::int32_t>> rewound;
  for (std::size_t i = from; i < records.size(); ++i) {
    if (rewound.insert({records[i].topic, records[i].partition}).second)
      consumer_.rewind(records[i]);
  }
  worker_.sleepFor(options_.retryPause);
}

SubscribedLoop::~SubscribedLoop() {
  stop();
}

void SubscribedLoop::start(const bus::ClientProperties& properties,
                           const bus::ConsumerOptions& consumer,
                           const std::vector<std::string>& topics, bus::Outbox& outbox,
                           StatusEntry& status, ConsumeLoop::Options options,
                           ConsumeLoop::Handler handler) {
  consumer_ = std::make_unique<bus::Consumer>(properties, consumer);
  consumer_->subscribe(topics);
  loop_ = std::make_unique<ConsumeLoop>(*consumer_, outbox, status, std::move(options),
                                        std::move(handler));
  loop_->start();
}

void SubscribedLoop::stop() {
  if (loop_) loop_->stop();
  loop_.reset();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

}  // namespace wayhome::services
