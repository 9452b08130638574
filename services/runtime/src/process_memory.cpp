#include <algorithm>
#include <cstdlib>
#include <malloc.h>
#include <thread>

#include <wayhome/runtime/process_memory.hpp>

namespace wayhome::services {

int defaultMallocArenas() {
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

int capMallocArenas(int arenas) {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return 0;
  arenas = std::max(1, arenas);
  return mallopt(M_ARENA_MAX, arenas) == 1 ? arenas : 0;
}

}  // namespace wayhome::services
