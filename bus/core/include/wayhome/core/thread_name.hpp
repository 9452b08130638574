#pragma once

#include <string_view>

namespace wayhome {

/// Names the calling thread for `top -H`, `perf`, gdb and /proc/<pid>/task/*/comm: the
/// first 15 bytes of `name` (the kernel's limit). Every Worker names its thread after
/// itself; the HTTP server's I/O threads are "http-io".
void nameThisThread(std::string_view name);

}  // namespace wayhome
