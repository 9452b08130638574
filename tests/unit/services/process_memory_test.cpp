// The malloc arena cap of `wayhome serve` and `wayhome bus`: glibc's own arenas,
// counted from malloc_info(), after threads that each allocate.

#include <algorithm>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include <wayhome/runtime/process_memory.hpp>

namespace {

using wayhome::services::capMallocArenas;
using wayhome::services::defaultMallocArenas;

/// The arenas glibc has made so far (the `<heap nr=...>` elements of malloc_info).
int arenas() {
  char* text = nullptr;
  std::size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  malloc_info(0, out);
  std::fclose(out);
  const std::string xml(text, size);
  std::free(text);
  int n = 0;
  for (auto at = xml.find("<heap nr="); at != std::string::npos; at = xml.find("<heap nr=", at + 1))
    ++n;
  return n;
}

/// `n` threads that each allocate while the others do, holding their blocks until all
/// have allocated.
void allocateInThreads(int n) {
  std::barrier allocated(n);
  std::vector<std::jthread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&] {
      std::vector<std::unique_ptr<char[]>> blocks;
      for (int j = 0; j < 64; ++j)
        blocks.push_back(std::make_unique<char[]>(512));
      allocated.arrive_and_wait();
    });
  }
}

TEST(ProcessMemory, ByDefaultAnArenaPerCoreAndAtLeastTwo) {
  EXPECT_EQ(defaultMallocArenas(),
            std::max(2, static_cast<int>(std::thread::hardware_concurrency())));
}

/// Arenas before and after twelve threads allocated.
struct ArenaCount {
  int before = -2;  ///< -1: the cap cannot be set (a sanitizer's malloc is not glibc's)
  int after = -2;
};

/// In a child process of its own (glibc fixes the cap the first time a thread needs an
/// arena, so each measurement needs a fresh process): caps the arenas at `cap`, lets
/// twelve threads allocate, and counts the arenas before and after. The child starts
/// with the arenas this process had at the fork (other tests' threads, when the whole
/// binary runs in one process).
ArenaCount arenasAfterThreads(int cap) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    unsetenv("MALLOC_ARENA_MAX");
    ArenaCount count{-1, -1};
    if (capMallocArenas(cap) != 0) {
      count.before = arenas();
      allocateInThreads(12);
      count.after = arenas();
    }
    const bool sent = write(fds[1], &count, sizeof count) == sizeof count;
    _exit(sent ? 0 : 1);
  }
  close(fds[1]);
  ArenaCount count;
  if (child < 0 || read(fds[0], &count, sizeof count) != sizeof count) count = {};
  close(fds[0]);
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  return count;
}

TEST(ProcessMemory, CappedTheThreadsShareTwoArenasAndUncappedEachGetsItsOwn) {
  const auto capped = arenasAfterThreads(2);
  if (capped.before == -1) GTEST_SKIP() << "malloc is not glibc's (a sanitizer build)";
  ASSERT_GE(capped.before, 1);
  // Two at most in all: twelve threads add at most one to the main arena, and none to
  // arenas that were there before.
  EXPECT_LE(capped.after, std::max(2, capped.before));
  // The count can tell: without the cap the same threads make an arena each.
  EXPECT_GE(arenasAfterThreads(64).after, 10);
}

TEST(ProcessMemory, MallocArenaMaxInTheEnvironmentWins) {
  ASSERT_EQ(setenv("MALLOC_ARENA_MAX", "3", 1), 0);
  EXPECT_EQ(capMallocArenas(2), 0);
  ASSERT_EQ(unsetenv("MALLOC_ARENA_MAX"), 0);
}

}  // namespace
