#include <stdexcept>

#include <wayhome/core/redact.hpp>
#include <wayhome/core/text.hpp>
#include <wayhome/runtime/status.hpp>

namespace wayhome::services {
namespace {

std::int64_t epochMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

}  // namespace

const char* healthName(Health health) {
  static constexpr const char* kNames[] = {"running", "degraded", "failing", "stopped"};
  return text::enumName(health, kNames, "stopped");
}

StatusEntry::StatusEntry(std::string name, std::string kind, const Clock& clock) : clock_(clock) {
  fixed_.name = std::move(name);
  fixed_.kind = std::move(kind);
}

void StatusEntry::setHealth(Health health) {
  std::lock_guard lock(mutex_);
  fixed_.health = health;
}

void StatusEntry::succeeded(std::uint64_t events, std::uint64_t duplicates) {
  out_ += events;
  duplicates_ += duplicates;
  lastSuccessMs_ = epochMs(clock_);
  std::lock_guard lock(mutex_);
  if (fixed_.health == Health::kDegraded || fixed_.health == Health::kFailing) {
    fixed_.health = Health::kRunning;
  }
}

void StatusEntry::rejected(const std::string& reason) {
  ++rejected_;
  std::lock_guard lock(mutex_);
  fixed_.lastError = redact::identityNumbers(reason);
  fixed_.lastErrorMs = epochMs(clock_);
}

void StatusEntry::failed(const std::string& reason, Health health) {
  std::lock_guard lock(mutex_);
  fixed_.lastError = redact::identityNumbers(reason);
  fixed_.lastErrorMs = epochMs(clock_);
  fixed_.health = health;
}

void StatusEntry::setRestart(std::function<std::string()> restart) {
  std::lock_guard lock(mutex_);
  restart_ = std::move(restart);
}

std::optional<std::string> StatusEntry::restart() {
  std::function<std::string()> hook;
  {
    std::lock_guard lock(mutex_);
    hook = restart_;
  }
  if (!hook) return std::nullopt;
  return hook();  // outside the lock: the owner updates this entry while restarting
}

void StatusEntry::clearError() {
  std::lock_guard lock(mutex_);
  fixed_.lastError.clear();
  fixed_.lastErrorMs = 0;
}

StatusSnapshot StatusEntry::snapshot() const {
  StatusSnapshot s;
  {
    std::lock_guard lock(mutex_);
    s = fixed_;
  }
  s.in = in_.load();
  s.out = out_.load();
  s.rejected = rejected_.load();
  s.duplicates = duplicates_.load();
  s.lastSuccessMs = lastSuccessMs_.load();
  s.paused = paused_.load();
  return s;
}

std::shared_ptr<StatusEntry> StatusBoard::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e->snapshot().name == name) return e;
  }
  return nullptr;
}

std::shared_ptr<StatusEntry> StatusBoard::add(const std::string& name, const std::string& kind) {
  std::lock_guard lock(mutex_);
  for (const auto& e : entries_) {
    if (e->snapshot().name == name) throw std::logic_error("status name '" + name + "' is taken");
  }
  entries_.push_back(std::make_shared<StatusEntry>(name, kind, clock_));
  return entries_.back();
}

std::vector<StatusSnapshot> StatusBoard::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<StatusSnapshot> out;
  for (const auto& e : entries_)
    out.push_back(e->snapshot());
  return out;
}

}  // namespace wayhome::services
