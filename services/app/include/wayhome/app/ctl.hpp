#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace wayhome::services {

/// `wayhome ctl [--url URL] [--token T | --token-file F] [--json] COMMAND ...`: the
/// operators' command line against a running service's ops API. `args` are the
/// words after "ctl". Human-readable output by default, the API's JSON with --json.
/// Returns an ExitCode (cli.hpp).
int runCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `wayhome ctl`.
[[nodiscard]] std::string ctlUsage();

}  // namespace wayhome::services
