#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace wayhome::services {

/// Exit codes of `wayhome ctl`, for scripts (sysexits where one fits).
struct CtlExit {
  static constexpr int kOk = 0;
  /// The service answered no: invalid document, not found, conflict, server error.
  static constexpr int kFailed = 1;
  static constexpr int kUsage = 64;
  /// The service could not be reached.
  static constexpr int kUnavailable = 69;
  /// The token was missing, unknown or too weak for the action.
  static constexpr int kNoPermission = 77;
};

/// `wayhome ctl [--url URL] [--token T | --token-file F] [--json] COMMAND ...`: the
/// operators' command line against a running service's ops API. `args` are the
/// words after "ctl". Human-readable output by default, the API's JSON with --json.
int runCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `wayhome ctl`.
[[nodiscard]] std::string ctlUsage();

}  // namespace wayhome::services
