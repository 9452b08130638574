// Threads carry their module's name (top -H, perf, /proc/<pid>/task/*/comm): a Worker
// names its thread after itself, cut to the kernel's 15 bytes.

#include <future>
#include <pthread.h>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <wayhome/core/thread_name.hpp>
#include <wayhome/core/worker.hpp>

namespace {

std::string currentThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

/// The name a Worker's thread has while its body runs.
std::string nameInside(const std::string& workerName) {
  std::promise<std::string> seen;
  wayhome::Worker worker;
  worker.start(workerName, [&](const std::stop_token&) { seen.set_value(currentThreadName()); });
  return seen.get_future().get();
}

TEST(ThreadName, AWorkerNamesItsThreadAfterItself) {
  EXPECT_EQ(nameInside("relay"), "relay");
}

TEST(ThreadName, LongNamesAreCutToTheKernelsFifteenBytes) {
  EXPECT_EQ(nameInside("state-checkpoint"), "state-checkpoin");
  std::promise<std::string> seen;
  std::thread([&] {
    wayhome::nameThisThread("a-name-far-longer-than-fifteen");
    seen.set_value(currentThreadName());
  }).join();
  EXPECT_EQ(seen.get_future().get(), "a-name-far-long");
}

}  // namespace
