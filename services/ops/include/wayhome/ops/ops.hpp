#pragma once

#include <memory>

#include <wayhome/runtime/component.hpp>
#include <wayhome/store/state_store.hpp>

namespace wayhome::services {
/// The ops module's table (dead-letter actions).
[[nodiscard]] const store::ModuleSchema& opsSchema();
}  // namespace wayhome::services

namespace wayhome::ops {

/// The operations component: the probes (/healthz, /readyz), /metrics, the dashboard
/// and the /api/v1 resources of operators (connectors, reload, topics, schemas, dead
/// letters, AsyncAPI). Slow handlers run on the host's blocking pool.
[[nodiscard]] std::unique_ptr<services::Component> makeOpsComponent();

}  // namespace wayhome::ops
