#pragma once

namespace wayhome::services {

/// The number of malloc arenas `wayhome serve` and `wayhome bus` use unless the
/// environment's MALLOC_ARENA_MAX says otherwise: the number of cores, at least 2.
[[nodiscard]] int defaultMallocArenas();

/// Caps glibc's malloc arenas for a long-running process; call it first thing, before
/// any other thread exists.
///
/// glibc gives each thread that allocates while another one does an arena of its own,
/// up to 8 per core, and an arena keeps the pages of its peak. `wayhome serve` runs
/// ~50 threads (librdkafka's, the HTTP pool, each module's loop), so under load most of
/// its resident memory was half-empty arenas: 135-214 MB at 1 100-2 500 events/s on the
/// intake bench against 100 MB with two arenas (bench/README.md, issue 17). With a core
/// per arena threads rarely wait for one another's allocations.
///
/// MALLOC_ARENA_MAX in the environment wins (glibc reads it itself): then nothing is
/// changed and 0 is returned. Otherwise the cap applied.
int capMallocArenas(int arenas = defaultMallocArenas());

}  // namespace wayhome::services
