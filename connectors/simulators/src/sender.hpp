#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <wayhome/core/log.hpp>
#include <wayhome/core/worker.hpp>
#include <wayhome/simulators/simulator.hpp>

#include "settings_json.hpp"

namespace wayhome::connectors {

/// The sending half of a simulator that calls the service (messages, webhooks), as a
/// real sender does it: journeys played one item after another `1 / rate_per_s` apart;
/// each item to the next of several URLs in turn, a failed attempt tried on the URL
/// after at once, and a back-off (doubling from retry_initial_ms up to retryMax, with
/// up to a quarter more of jitter) once every URL failed in a row; given up after
/// max_attempts. What an attempt sends and how it reads the answer is the simulator's.
///
/// Threading: start() and stop() from the owner's thread; the rest from the
/// simulator's body, on the worker thread start() made. Declare the Sender last in a
/// simulator: it joins that thread before the rest goes.
class Sender {
 public:
  /// What one attempt came to.
  enum class Outcome {
    kDelivered,  ///< the other side has it: done
    kRefused,    ///< the other side will never take it: done, not tried again
    kFailed,     ///< no answer, or one that asks to try again later
  };
  struct Attempt {
    Outcome outcome = Outcome::kFailed;
    /// kFailed: wait at least this long before the next round (a Retry-After).
    std::chrono::milliseconds retryAfter{0};
  };
  using AttemptFn = std::function<Attempt(const std::string& url)>;

  /// `component` names the log lines and the thread ("loan-simulator").
  Sender(std::string component, const SenderSettings& settings);

  /// Resolves the URLs (settings' `urls`, else `url`, else the service's own at
  /// `path`) and runs `body` on a new thread. `target` is where the start-up log line
  /// says it sends (empty: the first URL).
  void start(const SimulatorContext& context, std::string_view path, std::string target,
             std::function<void()> body);
  void stop() { worker_.stop(); }

  /// Plays the journeys on the worker thread: seeds the journeys' generator (settings'
  /// `seed`, else a random one) and a separate one for the jitter, names the run (8 hex
  /// digits), then hands each item of `journey(rng, run, n)`, n = 1, 2, … (forever for
  /// journeys 0), to `deliver(item, rng)`, `1 / rate_per_s` apart. When the journeys
  /// are played or the sender is stopping, it logs "finished" with the run, the
  /// attempts sent, the simulator's `counts()` and the items given up, and finished()
  /// becomes true.
  template <class JourneyFn, class DeliverFn>
  void play(const JourneyFn& journey, const DeliverFn& deliver,
            const std::function<std::vector<log::Field>()>& counts) {
    std::mt19937_64 rng = begin();
    const auto played = [&] {
      for (int n = 1; settings_.journeys == 0 || n <= settings_.journeys; ++n) {
        for (const auto& item : journey(rng, run_, n)) {
          deliver(item, rng);
          if (stopping() || !pause(gap())) return;
        }
      }
    };
    played();
    finish(counts());
  }

  /// Sends one item (`id` names it in the logs) by calling `attempt` with a URL until
  /// it is delivered or refused, the attempts are used up or the sender is stopping.
  /// `rotate` false: every attempt backs off (one destination, as a drop folder).
  Outcome send(std::string_view id, const AttemptFn& attempt, bool rotate = true);

  [[nodiscard]] bool finished() const { return finished_.load(); }

  /// Sleeps up to `d`; false when stopping.
  bool pause(std::chrono::milliseconds d) { return worker_.sleepFor(d); }
  [[nodiscard]] bool stopping() const { return worker_.stopping(); }

 private:
  std::mt19937_64 begin();
  void finish(std::vector<log::Field> counts);
  [[nodiscard]] std::chrono::milliseconds gap() const;

  std::string component_;
  SenderSettings settings_;
  std::vector<std::string> urls_;
  std::string target_;
  std::string run_;
  std::size_t next_ = 0;
  std::mt19937_64 jitter_;
  std::uint64_t sent_ = 0, givenUp_ = 0;
  std::atomic<bool> finished_{false};
  Worker worker_;  // last: joined before the rest goes
};

}  // namespace wayhome::connectors
