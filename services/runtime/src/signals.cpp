#include <cerrno>
#include <cstdlib>
#include <pthread.h>
#include <thread>

#include <wayhome/core/log.hpp>
#include <wayhome/runtime/signals.hpp>

namespace wayhome::services {

SignalWaiter::SignalWaiter(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals)
    sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int SignalWaiter::wait(std::optional<std::chrono::milliseconds> timeout) {
  for (;;) {
    if (!timeout) {
      int sig = 0;
      if (sigwait(&set_, &sig) == 0) return sig;
      continue;
    }
    const auto ms = timeout->count();
    const timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
    const int sig = sigtimedwait(&set_, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
  }
}

void startShutdownWatchdog(std::chrono::milliseconds limit, int exitCode) {
  std::thread([limit, exitCode] {
    std::this_thread::sleep_for(limit);
    log::error("service", "shutdown took too long; exiting");
    std::_Exit(exitCode);
  }).detach();
}

}  // namespace wayhome::services
