#pragma once

// Shared test fixtures: temporary folders, free ports, waiting without sleeping
// blindly, child processes (the real binary, kcat) and a minimal HTTP client.

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wayhome::testing {

/// Two synthetic person_refs (the shape of a real one; nobody's). personRef(n) makes more.
inline constexpr const char* kAnna = "pr_0123456789abcdef0123456789abcdef";
inline constexpr const char* kBo = "pr_fedcba9876543210fedcba9876543210";

/// Bearer tokens for the callers tests configure in ops.tokens (opsTokenJson()): an
/// operator who reads, an admin, a reporter, and a case worker of each sector.
inline constexpr const char* kViewerToken = "test-viewer-token-0123456789abcdef";
inline constexpr const char* kAdminToken = "test-admin-token-0123456789abcdef";
inline constexpr const char* kReporterToken = "test-reporter-token-0123456789abcdef";
inline constexpr const char* kHousingToken = "test-housing-token-0123456789abcdef";
inline constexpr const char* kFinanceToken = "test-finance-token-0123456789abcdef";
inline constexpr const char* kNavToken = "test-nav-token-0123456789abcdef";
inline constexpr const char* kCareToken = "test-health-care-token-0123456789abcdef";
inline constexpr const char* kPropertyToken = "test-property-token-0123456789abcdef";

/// One ops.tokens entry of a config, as JSON: the caller `name` with `role`, bearer
/// `token` and (a case worker's) `sectors`.
[[nodiscard]] std::string opsTokenJson(const std::string& name, const std::string& role,
                                       const std::string& token,
                                       const std::vector<std::string>& sectors = {});

/// Scales every test time-out; set WAYHOME_TEST_TIMEOUT_MULTIPLIER on slow machines.
[[nodiscard]] double timeoutMultiplier();
/// `base` scaled by timeoutMultiplier().
[[nodiscard]] std::chrono::milliseconds scaled(std::chrono::milliseconds base);

/// Polls `condition` until it holds or `timeout` (scaled) passes.
bool waitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
             std::chrono::milliseconds step = std::chrono::milliseconds(20));

/// A fresh folder under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return *path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return *path_ / name;
  }

 private:
  struct RemoveAll {
    void operator()(const std::filesystem::path* path) const;
  };
  /// The one owner of the folder (so a TempDir moves but is never copied).
  std::unique_ptr<const std::filesystem::path, RemoveAll> path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
[[nodiscard]] int freePort();

/// A topic prefix no other test uses ("t<pid>-<n>.").
[[nodiscard]] std::string uniquePrefix();

void writeFile(const std::filesystem::path& file, const std::string& content);
/// writeFile() with mode 0600, as an operator keeps a key, secret or token file (the
/// service refuses one that group or others may read).
void writeSecretFile(const std::filesystem::path& file, const std::string& content);
[[nodiscard]] std::string readFile(const std::filesystem::path& file);
/// `text` with every `from` replaced by `to` (left to right, replacements not rescanned).
[[nodiscard]] std::string replaceAll(std::string text, const std::string& from,
                                     const std::string& to);

/// Whether `text` holds an 11-digit run (an identity number's shape) outside its
/// person_refs (a person_ref's hex is a keyed hash that may hold one by chance).
[[nodiscard]] bool hasElevenDigitsOutsidePersonRefs(const std::string& text);

/// The synthetic person reference number `n` (not negative): "pr_" and n as 32 hex digits.
[[nodiscard]] std::string personRef(int n);

/// Paths fixed at build time.
[[nodiscard]] std::filesystem::path wayhomeBinary();
[[nodiscard]] std::filesystem::path sourceDir();
[[nodiscard]] std::filesystem::path schemaDir();

/// A child process with stdout and stderr going to one log file. Killed (SIGKILL) on
/// destruction if still running.
class Process {
 public:
  Process(std::vector<std::string> argv, std::filesystem::path logFile,
          std::optional<std::filesystem::path> cwd = std::nullopt);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig);
  /// Waits for exit; the exit code (128+signal if killed), or nothing on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] std::string log() const;
  [[nodiscard]] int pid() const { return pid_; }

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path logFile_;
};

/// Waits up to `timeout` (scaled) for `needle` in `process`'s log; the first one and the
/// rest of its line, or empty if none came in time.
[[nodiscard]] std::string awaitLogLine(const Process& process, const std::string& needle,
                                       std::chrono::milliseconds timeout);

/// Starts `wayhome serve --config <config>` (output to `logFile`, run in `cwd`) after
/// removing any <dataDir>/runtime.json an earlier run left, and waits (30 s, scaled)
/// until it writes a new one or exits: check running() on the result.
[[nodiscard]] std::unique_ptr<Process> startServe(
    const std::filesystem::path& config, const std::filesystem::path& dataDir,
    const std::filesystem::path& logFile, std::optional<std::filesystem::path> cwd = std::nullopt);

/// A standalone `wayhome bus` process (the embedded cluster on its own, as an operator
/// runs it), its bootstrap servers read from the file it writes.
class StandaloneBus {
 public:
  /// Starts `wayhome bus --partitions <partitions> [--prefix <prefix>]` in `dir` and
  /// waits (30 s, scaled) for its bootstrap file. False (see log()) if it exited or
  /// never wrote one.
  bool start(const std::filesystem::path& dir, int partitions, const std::string& prefix = {});
  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  [[nodiscard]] Process& process() { return *process_; }
  [[nodiscard]] bool running() { return process_ && process_->running(); }
  [[nodiscard]] std::string log() const { return process_ ? process_->log() : std::string(); }

 private:
  std::unique_ptr<Process> process_;
  std::string bootstrap_;
};

/// Runs a command to completion and returns its exit code and standard output.
struct CommandResult {
  int exitCode = -1;
  std::string out;
};
CommandResult run(const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(30000),
                  const std::string& stdinText = {});

/// A self-signed certificate for "localhost" and 127.0.0.1, valid one day, made with
/// the openssl command: `dir`/cert.pem and `dir`/key.pem. False (with a test failure)
/// when openssl fails.
bool makeSelfSignedCertificate(const std::filesystem::path& dir);
/// The "http" object's keys that serve HTTPS with that certificate:
/// `, "tls": {"cert_file": ..., "key_file": ...}` (for ServedBinary::start's extraHttp).
[[nodiscard]] std::string tlsHttpSettings(const std::filesystem::path& dir);

/// Reads "Name: value" header lines until the end of `in` into `out` (names in lower
/// case, CR and leading blanks of values removed).
void readHeaderLines(std::istream& in, std::map<std::string, std::string>& out);

/// A blocking HTTP/1.1 request to 127.0.0.1:port (Connection: close).
struct HttpResult {
  int status = 0;                              ///< 0: could not connect or no response
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
};
HttpResult http(int port, const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {});

/// What a running `wayhome serve` wrote to <data_dir>/runtime.json.
struct Runtime {
  std::string bootstrap;  ///< bootstrap servers of its bus
  std::string http;       ///< address:port of its HTTP listener
};
[[nodiscard]] std::optional<Runtime> readRuntime(const std::filesystem::path& dataDir);

/// The real `wayhome serve`, as an operator starts it, with a config the test writes:
/// data under `dir`/data, HTTP on a free port, the embedded bus unless the extra
/// config says otherwise.
class ServedBinary {
 public:
  explicit ServedBinary(std::filesystem::path dir) : dir_(std::move(dir)) {}
  /// Writes the config (`extraConfig` is appended inside the top-level object, e.g.
  /// `,"ops": {...}`; `extraHttp` inside the "http" object, e.g. `,"idle_timeout_ms": 2000`),
  /// starts the binary and waits until it is ready.
  /// Returns false (with the log in `log()`) if it exited or never became ready.
  bool start(const std::string& extraConfig = "", const std::string& extraHttp = "");
  /// SIGTERM and wait; the exit code.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const Runtime& runtime() const { return runtime_; }
  [[nodiscard]] Process& process() { return *process_; }
  [[nodiscard]] std::string log() const { return process_ ? process_->log() : std::string(); }
  [[nodiscard]] std::filesystem::path dataDir() const { return dir_ / "data"; }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  Runtime runtime_;
  std::unique_ptr<Process> process_;
};

/// A database of its own on the tests' PostgreSQL server (tests/postgres/server.sh:
/// CTest's `postgres` fixture starts one for the whole run; a test binary run by hand
/// starts its own for the process).
struct PostgresDatabase {
  std::string url;                     ///< postgresql://wayhome@127.0.0.1:PORT/NAME
  std::filesystem::path passwordFile;  ///< the server's password, mode 0600
  std::string name;
};

/// Creates a new, empty database. Errors: fails the calling test (ADD_FAILURE) and
/// throws std::runtime_error when no server can be had.
PostgresDatabase postgresDatabase();

}  // namespace wayhome::testing
