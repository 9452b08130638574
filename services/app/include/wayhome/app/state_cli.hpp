#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <wayhome/store/state_store.hpp>

namespace wayhome::app {

/// Every module's tables, as this binary knows them: the app names every module, so
/// it is the one place that can migrate a whole new store (wayhome state copy) or
/// say which module a database is ahead or behind of (wayhome state check).
[[nodiscard]] std::vector<const store::ModuleSchema*> allModuleSchemas();

/// `wayhome state backup FILE [--config F]`, `wayhome state check [--config F]` and
/// `wayhome state copy --from SQLITE --to URL [--password-file F]`; `args` are the
/// words after "state". Returns an ExitCode (0 ok, 1 failure, 2 config, 64 usage).
int runState(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `wayhome state`.
[[nodiscard]] std::string stateUsage();

}  // namespace wayhome::app
