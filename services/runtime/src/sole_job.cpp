#include <wayhome/core/log.hpp>
#include <wayhome/runtime/sole_job.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {

SoleJob::SoleJob(store::StateStore& state, std::string name, std::string instance,
                 const Clock& clock, std::chrono::milliseconds leaseTime)
    : state_(state),
      name_(std::move(name)),
      instance_(std::move(instance)),
      clock_(clock),
      leaseTime_(leaseTime) {}

SoleJob::~SoleJob() {
  if (instance_.empty() || !held_) return;
  try {
    state_.releaseLease(name_, instance_);
  } catch (const std::exception& e) {
    log::warn("lease", "cannot give the lease up; it runs out by itself",
              {{"job", name_}, {"error", log::redact(e.what())}});
  }
}

bool SoleJob::mine() {
  if (instance_.empty()) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < nextCheck_) return held_;
  nextCheck_ = now + leaseTime_ / 3;
  bool held = false;
  try {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count();
    held = state_.acquireLease(name_, instance_, leaseTime_, ms);
  } catch (const std::exception& e) {
    log::warn("lease", "cannot renew the lease; pausing the job",
              {{"job", name_}, {"error", log::redact(e.what())}});
  }
  if (held != held_) {
    log::info("lease", held ? "this instance does the job now" : "another instance does the job",
              {{"job", name_}, {"instance", instance_}});
  }
  held_ = held;
  return held;
}

}  // namespace wayhome::services
