#include <arpa/inet.h>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <regex>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <wayhome/testing/testing.hpp>

namespace wayhome::testing {

double timeoutMultiplier() {
  const char* v = std::getenv("WAYHOME_TEST_TIMEOUT_MULTIPLIER");
  if (v == nullptr) return 1.0;
  const double m = std::atof(v);
  return m > 0 ? m : 1.0;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds base) {
  return std::chrono::milliseconds(
      static_cast<long>(static_cast<double>(base.count()) * timeoutMultiplier()));
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds step) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/wayhome-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = {std::make_unique<const std::filesystem::path>(tmpl).release(), RemoveAll{}};
}

void TempDir::RemoveAll::operator()(const std::filesystem::path* path) const {
  std::error_code ec;
  std::filesystem::remove_all(*path, ec);
  std::default_delete<const std::filesystem::path>{}(path);
}

int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind to find a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string uniquePrefix() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".";
}

void writeFile(const std::filesystem::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

void writeSecretFile(const std::filesystem::path& file, const std::string& content) {
  writeFile(file, content);
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::string readFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string opsTokenJson(const std::string& name, const std::string& role, const std::string& token,
                         const std::vector<std::string>& sectors) {
  std::string json =
      R"({"name": ")" + name + R"(", "role": ")" + role + R"(", "token": ")" + token + "\"";
  if (!sectors.empty()) {
    json += R"(, "sectors": [)";
    for (std::size_t i = 0; i < sectors.size(); ++i)
      json += (i == 0 ? "\"" : ", \"") + sectors[i] + "\"";
    json += "]";
  }
  return json + "}";
}

bool hasElevenDigitsOutsidePersonRefs(const std::string& text) {
  static const std::regex kRef("pr_[0-9a-f]{32}");
  static const std::regex kElevenDigits("[0-9]{11}");
  return std::regex_search(std::regex_replace(text, kRef, "pr_"), kElevenDigits);
}

std::string personRef(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "pr_%032x", static_cast<unsigned>(n));
  return buf;
}

std::filesystem::path wayhomeBinary() {
  return WAYHOME_TEST_BINARY;
}
std::filesystem::path sourceDir() {
  return WAYHOME_TEST_SOURCE_DIR;
}
std::filesystem::path schemaDir() {
  return sourceDir() / "schemas" / "events";
}

namespace {

std::vector<char*> argvOf(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args)
    out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::filesystem::path logFile,
                 std::optional<std::filesystem::path> cwd)
    : logFile_(std::move(logFile)) {
  auto args = argvOf(argv);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(logFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cwd && ::chdir(cwd->c_str()) != 0) _exit(126);
    ::execv(args[0], args.data());
    _exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    (void)wait(std::chrono::milliseconds(5000));
  }
}

void Process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const int r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = decodeStatus(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool Process::running() {
  return !wait(std::chrono::milliseconds(0)).has_value();
}

std::string Process::log() const {
  return readFile(logFile_);
}

std::string awaitLogLine(const Process& process, const std::string& needle,
                         std::chrono::milliseconds timeout) {
  std::string log;
  if (!waitFor(
          [&] {
            log = process.log();
            return log.find(needle) != std::string::npos;
          },
          timeout)) {
    return {};
  }
  const auto at = log.find(needle);
  return log.substr(at, log.find('\n', at) - at);
}

std::unique_ptr<Process> startServe(const std::filesystem::path& config,
                                    const std::filesystem::path& dataDir,
                                    const std::filesystem::path& logFile,
                                    std::optional<std::filesystem::path> cwd) {
  std::filesystem::remove(dataDir / "runtime.json");
  auto process = std::make_unique<Process>(
      std::vector<std::string>{wayhomeBinary().string(), "serve", "--config", config.string()},
      logFile, std::move(cwd));
  waitFor([&] { return readRuntime(dataDir).has_value() || !process->running(); },
          std::chrono::milliseconds(30000));
  return process;
}

bool StandaloneBus::start(const std::filesystem::path& dir, int partitions,
                          const std::string& prefix) {
  std::vector<std::string> argv{wayhomeBinary().string(), "bus", "--partitions",
                                std::to_string(partitions)};
  if (!prefix.empty()) argv.insert(argv.end(), {"--prefix", prefix});
  argv.insert(argv.end(), {"--bootstrap-file", (dir / "bootstrap").string()});
  process_ = std::make_unique<Process>(std::move(argv), dir / "bus.log", dir);
  waitFor(
      [&] {
        if (std::filesystem::exists(dir / "bootstrap")) {
          bootstrap_ = readFile(dir / "bootstrap");
          bootstrap_.erase(bootstrap_.find_last_not_of('\n') + 1);
        }
        return !bootstrap_.empty() || !process_->running();
      },
      std::chrono::milliseconds(30000));
  return !bootstrap_.empty();
}

CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  const std::string& stdinText) {
  int outPipe[2];
  int inPipe[2];
  if (::pipe(outPipe) != 0 || ::pipe(inPipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> copy = argv;
  auto args = argvOf(copy);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(outPipe[1], 1);
    ::dup2(inPipe[0], 0);
    ::close(outPipe[0]);
    ::close(inPipe[1]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(outPipe[1]);
  ::close(inPipe[0]);
  std::thread writer([fd = inPipe[1], stdinText] {
    std::size_t off = 0;
    while (off < stdinText.size()) {
      const ssize_t n = ::write(fd, stdinText.data() + off, stdinText.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  CommandResult result;
  std::thread reader([fd = outPipe[0], &result] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      result.out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  });
  const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  writer.join();
  reader.join();
  result.exitCode = decodeStatus(status);
  return result;
}

void readHeaderLines(std::istream& in, std::map<std::string, std::string>& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    out[name] = value;
  }
}

HttpResult http(int port, const std::string& method, const std::string& target,
                const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult result;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{static_cast<time_t>(scaled(std::chrono::milliseconds(15000)).count() / 1000), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return result;
  }
  // A Host of the caller's replaces ours (a test may play a browser on another name).
  bool host = false;
  for (const auto& header : headers) {
    std::string name = header.first;
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    host = host || name == "host";
  }
  std::string req = method + " " + target + " HTTP/1.1\r\n" +
                    (host ? std::string() : std::string("Host: 127.0.0.1\r\n")) +
                    "Connection: close\r\n";
  bool haveLength = false;
  for (const auto& [n, v] : headers) {
    req += n + ": " + v + "\r\n";
    if (n == "Content-Length") haveLength = true;
  }
  if (!haveLength && (!body.empty() || method == "POST" || method == "PUT")) {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::size_t off = 0;
  while (off < req.size()) {
    const ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto headerEnd = raw.find("\r\n\r\n");
  if (raw.size() < 12 || headerEnd == std::string::npos) return result;
  result.status = std::atoi(raw.substr(9, 3).c_str());
  std::istringstream hs(raw.substr(0, headerEnd));
  std::string line;
  std::getline(hs, line);
  readHeaderLines(hs, result.headers);
  result.body = raw.substr(headerEnd + 4);
  return result;
}

std::optional<Runtime> readRuntime(const std::filesystem::path& dataDir) {
  const auto file = dataDir / "runtime.json";
  if (!std::filesystem::exists(file)) return std::nullopt;
  rapidjson::Document d;
  d.Parse(readFile(file).c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("bootstrap_servers") ||
      !d.HasMember("http")) {
    return std::nullopt;
  }
  return Runtime{d["bootstrap_servers"].GetString(), d["http"].GetString()};
}

bool ServedBinary::start(const std::string& extraConfig, const std::string& extraHttp) {
  port_ = freePort();
  writeFile(dir_ / "wayhome.json",
            "{\n  // written by the test\n  \"data_dir\": \"" + dataDir().string() +
                "\",\n  \"http\": {\"port\": " + std::to_string(port_) + extraHttp +
                "},\n  \"shutdown_timeout_ms\": 5000" + extraConfig + "\n}\n");
  process_ = startServe(dir_ / "wayhome.json", dataDir(),
                        dir_ / ("wayhome-" + std::to_string(port_) + ".log"), dir_);
  const auto runtime = readRuntime(dataDir());
  if (!runtime || !process_->running()) return false;
  runtime_ = *runtime;
  return true;
}

std::optional<int> ServedBinary::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  process_->signal(SIGTERM);
  return process_->wait(timeout);
}

bool makeSelfSignedCertificate(const std::filesystem::path& dir) {
  // An EC key: made in milliseconds, and openssl prints no progress dots for it.
  const auto made = run(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
       "-days", "1", "-keyout", (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()});
  EXPECT_EQ(made.exitCode, 0) << "openssl req failed: " << made.out;
  std::error_code ec;
  std::filesystem::permissions(
      dir / "key.pem", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      ec);  // a private key: the service refuses it otherwise
  return made.exitCode == 0;
}

std::string tlsHttpSettings(const std::filesystem::path& dir) {
  return ", \"tls\": {\"cert_file\": \"" + (dir / "cert.pem").string() + "\", \"key_file\": \"" +
         (dir / "key.pem").string() + "\"}";
}

}  // namespace wayhome::testing
