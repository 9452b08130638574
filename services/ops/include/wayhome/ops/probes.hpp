#pragma once

// The probes' answers, apart from the routes that serve them, so they can be tested
// alone.

#include <chrono>
#include <string_view>
#include <vector>

#include <wayhome/runtime/health.hpp>
#include <wayhome/runtime/http.hpp>
#include <wayhome/runtime/status.hpp>

namespace wayhome::services {

/// GET /healthz: the process answers; its version and uptime.
[[nodiscard]] HttpResponse healthzResponse(std::chrono::steady_clock::duration uptime);

/// GET /readyz: 200 when the bus, the state store and the schemas are usable and no
/// component is failing, else 503; each check with its reason. Without `details` (a
/// caller without a viewer token) only whether each check is ok: no bus address, no
/// reasons, no component names.
[[nodiscard]] HttpResponse readyzResponse(const HealthSnapshot& health,
                                          const std::vector<StatusSnapshot>& components,
                                          std::string_view bootstrap, bool details = true);

}  // namespace wayhome::services
