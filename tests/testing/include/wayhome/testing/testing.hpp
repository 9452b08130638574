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
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
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
