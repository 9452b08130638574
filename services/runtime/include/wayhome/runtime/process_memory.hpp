#pragma once

namespace wayhome::services {

/// The number of malloc arenas `wayhome serve` and `wayhome bus` use unless the
/// environment's MALLOC_ARENA_MAX says otherwise: the number of cores, at least 2.
[[nodiscard]] int defaultMallocArenas();

/// Caps glibc's malloc arenas for a long-running process; call it first thing, before
/// any other thread exists.
///
/// glibc gives each new thread that allocates an arena of its own, up to 8 per core,
/// and an arena keeps the pages of its peak. `wayhome serve` runs ~50 threads
/// (librdkafka's, the HTTP pool, each module's loop): on the intake bench the cap took
/// the peak RSS from 135-154 MB to 111-113 MB (bench/README.md, issue 17). With an
/// arena per core, threads rarely wait for one another's allocations.
///
/// MALLOC_ARENA_MAX in the environment wins (glibc reads it itself): then nothing is
/// changed and 0 is returned. Otherwise the cap applied.
int capMallocArenas(int arenas = defaultMallocArenas());

}  // namespace wayhome::services
