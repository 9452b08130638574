#pragma once

#include <string_view>

namespace wayhome::services {

/// Tells the service manager about the service's state, as sd_notify(3) does, without
/// libsystemd: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
/// an abstract name written with a leading '@'). `state` is newline-separated
/// assignments such as "READY=1" or "STOPPING=1".
/// Returns false, and does nothing, when $NOTIFY_SOCKET is unset (not started by
/// systemd with Type=notify); false too when the datagram cannot be sent. Never throws.
/// Thread-safe.
bool notifyServiceManager(std::string_view state);

}  // namespace wayhome::services
