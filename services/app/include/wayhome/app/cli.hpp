#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wayhome::services {

/// Exit codes of the `wayhome` binary and its `ctl` command (sysexits where one fits);
/// scripts may rely on them.
struct ExitCode {
  static constexpr int kOk = 0;
  /// Start-up or run-time failure, or an invalid document for `validate`.
  static constexpr int kStartup = 1;
  static constexpr int kInvalid = 1;
  /// `ctl`: the service answered no (invalid document, not found, conflict, server
  /// error).
  static constexpr int kFailed = 1;
  /// The configuration (or schema folder) is unusable.
  static constexpr int kConfig = 2;
  /// The command line is wrong.
  static constexpr int kUsage = 64;
  /// `ctl`: the service could not be reached.
  static constexpr int kUnavailable = 69;
  /// `ctl`: the token was missing, unknown or too weak for the action.
  static constexpr int kNoPermission = 77;
};

enum class Command {
  kHelp,
  kVersion,
  kServe,
  kValidate,
  kCheckConfig,
  kBus,
  kRules,
  kSimulate,
  kTopics
};

/// A parsed command line.
struct CommandLine {
  Command command = Command::kHelp;
  std::optional<std::filesystem::path> configFile;
  std::optional<std::filesystem::path> schemaDir;
  /// `wayhome bus`: brokers, partitions per topic, topic prefix, where to write the
  /// bootstrap address.
  int brokers = 3;
  int partitions = 6;
  std::string prefix;
  /// `wayhome bus --topic NAME`: further topics (as named, no prefix), same partitions.
  std::vector<std::string> extraTopics;
  std::optional<std::filesystem::path> bootstrapFile;
  /// `wayhome simulate`: the running service to feed ("http://127.0.0.1:8080") and the
  /// simulator's settings (JSON, checked by its type's schema).
  std::string serviceUrl = "http://127.0.0.1:8080";
  std::string simulatorSettings = "{}";
  /// `wayhome topics list`: "json" or "strimzi"; `--prefix`/`--partitions` as for
  /// `bus` unless --config names them; the Strimzi cluster the manifests belong to.
  std::string format = "json";
  bool prefixGiven = false;
  bool partitionsGiven = false;
  std::string strimziCluster = "kafka";
  /// `wayhome topics apply --timeout-ms N`: how long to wait for each admin request.
  int timeoutMs = 15000;
  /// Positional arguments after the command.
  std::vector<std::string> args;
};

/// Parses argv.
/// Errors: returns false and sets `error` for an unknown command or option, or a
/// missing argument.
bool parseCommandLine(int argc, const char* const* argv, CommandLine& out, std::string& error);

/// The --help text.
[[nodiscard]] std::string usage();

/// Reads a file of at most `limit` bytes.
/// Errors: returns false if it cannot be read or is larger.
bool readSmallFile(const std::filesystem::path& file, std::size_t limit, std::string& out);

}  // namespace wayhome::services
