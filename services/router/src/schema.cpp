#include <wayhome/router/schema.hpp>

#include "router_sql.hpp"  // generated from sql/router.sql: kRouterTables

namespace wayhome::services {

const store::ModuleSchema& routerSchema() {
  static const auto kSchema = store::parseModuleSchema("router", kRouterTables);
  return kSchema;
}

}  // namespace wayhome::services
