#include "sender.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include <wayhome/core/log.hpp>

namespace wayhome::connectors {

using namespace std::chrono;

Sender::Sender(std::string component, const SenderSettings& settings)
    : component_(std::move(component)), settings_(settings) {}

void Sender::start(const SimulatorContext& context, std::string_view path, std::string target,
                   std::function<void()> body) {
  urls_ = settings_.urls;
  if (urls_.empty()) {
    urls_.push_back(settings_.url.empty() ? context.serviceUrl + std::string(path) : settings_.url);
  }
  target_ = target.empty() ? urls_.front() : std::move(target);
  worker_.start(component_, [body = std::move(body)](const std::stop_token&) { body(); });
}

std::mt19937_64 Sender::begin() {
  const std::uint64_t seed = settings_.seed.value_or(std::random_device{}());
  std::mt19937_64 rng(seed);
  // Retry jitter draws from its own generator (seeded from the same seed): how often
  // a send was retried must not change the journeys that follow.
  jitter_.seed(seed ^ 0x9e3779b97f4a7c15ULL);
  char run[9];
  std::snprintf(run, sizeof run, "%08x", static_cast<unsigned>(rng() & 0xffffffffU));
  run_ = run;
  log::info(component_, "starting",
            {{"to", target_},
             {"urls", std::to_string(urls_.size())},
             {"journeys", std::to_string(settings_.journeys)},
             {"run", run_}});
  return rng;
}

void Sender::finish(std::vector<log::Field> counts) {
  std::vector<log::Field> fields{{"run", run_}, {"sent", std::to_string(sent_)}};
  fields.insert(fields.end(), std::make_move_iterator(counts.begin()),
                std::make_move_iterator(counts.end()));
  fields.push_back({"given_up", std::to_string(givenUp_)});
  log::write(log::Level::Info, component_, "finished", fields);
  finished_ = true;
}

milliseconds Sender::gap() const {
  return duration_cast<milliseconds>(duration<double>(1.0 / settings_.ratePerSecond));
}

Sender::Outcome Sender::send(std::string_view id, const AttemptFn& attempt, bool rotate) {
  const int round = rotate ? static_cast<int>(urls_.size()) : 1;
  milliseconds backoff = settings_.retryInitial;
  const std::size_t first = next_++;
  for (int n = 1; n <= settings_.maxAttempts; ++n) {
    const std::string& url = urls_[(first + static_cast<std::size_t>(n - 1)) % urls_.size()];
    ++sent_;
    const Attempt result = attempt(url);
    if (result.outcome != Outcome::kFailed) return result.outcome;
    if (n % round != 0) {
      log::debug(component_, "trying the next url", {{"id", std::string(id)}, {"failed", url}});
      if (stopping()) return Outcome::kFailed;
      continue;
    }
    milliseconds wait = std::max(backoff, result.retryAfter);
    // Jitter keeps many senders from retrying in step.
    wait += milliseconds(
        std::uniform_int_distribution<int>(0, static_cast<int>(wait.count() / 4))(jitter_));
    log::debug(component_, "sending again",
               {{"id", std::string(id)},
                {"attempt", std::to_string(n)},
                {"wait_ms", std::to_string(wait.count())}});
    if (!pause(wait)) return Outcome::kFailed;
    backoff = std::min(backoff * 2, settings_.retryMax);
  }
  ++givenUp_;
  log::error(component_, "given up after retries", {{"id", std::string(id)}});
  return Outcome::kFailed;
}

}  // namespace wayhome::connectors
