#include "drop_folder.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace wayhome::connectors::gerica {
namespace {

constexpr int kMaxVariants = 10000;

std::string errnoText() {
  return std::strerror(errno);
}

bool isXmlName(const std::string& name) {
  if (name.size() < 5 || name.front() == '.') return false;
  std::string ext = name.substr(name.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".xml";
}

// A subfolder of `root`, created if missing, opened without following a link.
int openFolder(int root, const char* name, const std::filesystem::path& shown) {
  if (::mkdirat(root, name, 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("drop folder " + shown.string() + ": cannot create " + name + ": " +
                             errnoText());
  }
  const int fd = ::openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("drop folder " + shown.string() + "/" + name +
                             ": not a folder (or a symbolic link): " + errnoText());
  }
  return fd;
}

std::int64_t mtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// The names in `dir` (a descriptor we keep; this one reads a duplicate).
std::vector<std::string> list(int dir) {
  const int copy = ::dup(dir);
  if (copy < 0) throw std::runtime_error("drop folder: " + errnoText());
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    ::close(copy);
    throw std::runtime_error("drop folder: " + errnoText());
  }
  ::rewinddir(d);
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  return out;
}

}  // namespace

std::string variantName(const std::string& name, int n) {
  if (n == 0) return name;
  const auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + "." + std::to_string(n);
  return name.substr(0, dot) + "." + std::to_string(n) + name.substr(dot);
}

DropFolder::DropFolder(Options options) : options_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(options_.root, ec);
  root_ = ::open(options_.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_ < 0) {
    throw std::runtime_error("drop folder " + options_.root.string() +
                             " cannot be opened: " + errnoText());
  }
  try {
    done_ = openFolder(root_, "done", options_.root);
    failed_ = openFolder(root_, "failed", options_.root);
    apprec_ = openFolder(root_, "apprec", options_.root);
  } catch (...) {
    for (int fd : {root_, done_, failed_, apprec_}) {
      if (fd >= 0) ::close(fd);
    }
    throw;
  }
}

DropFolder::~DropFolder() {
  for (int fd : {root_, done_, failed_, apprec_}) {
    if (fd >= 0) ::close(fd);
  }
}

DropFolder::Scan DropFolder::scan(std::chrono::steady_clock::time_point now) {
  Scan out;
  std::map<std::string, Seen> still;
  for (const auto& name : list(root_)) {
    if (!isXmlName(name)) continue;
    struct stat st {};
    if (::fstatat(root_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) {
      out.refused.push_back(name);
      continue;
    }
    Seen seen{static_cast<std::int64_t>(st.st_size), mtimeNs(st), now};
    if (auto it = seen_.find(name);
        it != seen_.end() && it->second.size == seen.size && it->second.mtimeNs == seen.mtimeNs) {
      seen.since = it->second.since;
    }
    if (now - seen.since >= options_.settle) out.ready.push_back(name);
    still.emplace(name, seen);
  }
  seen_ = std::move(still);
  std::sort(out.ready.begin(), out.ready.end());
  std::sort(out.refused.begin(), out.refused.end());
  return out;
}

std::optional<std::string> DropFolder::read(const std::string& name, std::size_t limit,
                                            std::uint64_t& size) {
  const int fd =
      ::openat(root_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  size = static_cast<std::uint64_t>(st.st_size);
  std::string content(limit + 1, '\0');
  std::size_t got = 0;
  while (got < content.size()) {
    const auto n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  content.resize(got);
  seen_.erase(name);
  return content;
}

std::string DropFolder::writeUnique(int dir, const std::string& name, const std::string& content) {
  // A fresh temporary file (O_EXCL: never one someone planted), written and synced,
  // then renamed to a name nobody holds (RENAME_NOREPLACE).
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    tmp = ".wayhome-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_) + ".tmp";
    fd = ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) throw std::runtime_error("cannot create a file for " + name + ": " + errnoText());
  std::size_t done = 0;
  bool ok = true;
  while (done < content.size()) {
    const auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const std::string why = ok ? std::string() : errnoText();
  ::close(fd);
  if (!ok) {
    ::unlinkat(dir, tmp.c_str(), 0);
    throw std::runtime_error("cannot write " + name + ": " + why);
  }
  for (int n = 0; n < kMaxVariants; ++n) {
    const std::string target = variantName(name, n);
    if (::renameat2(dir, tmp.c_str(), dir, target.c_str(), RENAME_NOREPLACE) == 0) return target;
    if (errno != EEXIST) break;
  }
  const std::string err = errnoText();
  ::unlinkat(dir, tmp.c_str(), 0);
  throw std::runtime_error("cannot name " + name + ": " + err);
}

std::string DropFolder::writeReceipt(const std::string& stem, const std::string& content) {
  return writeUnique(apprec_, stem + ".apprec.xml", content);
}

std::string DropFolder::move(const std::string& name, bool ok, const std::string& reason) {
  const int to = ok ? done_ : failed_;
  for (int n = 0; n < kMaxVariants; ++n) {
    const std::string target = variantName(name, n);
    if (::renameat2(root_, name.c_str(), to, target.c_str(), RENAME_NOREPLACE) == 0) {
      seen_.erase(name);
      if (!ok) writeUnique(failed_, target + ".reason.txt", reason + "\n");
      return target;
    }
    if (errno != EEXIST) break;
  }
  throw std::runtime_error("cannot move " + name + " to " + (ok ? "done/" : "failed/") + ": " +
                           errnoText());
}

std::size_t DropFolder::prune(std::chrono::system_clock::time_point now) {
  const std::int64_t before =
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          (now -
           std::chrono::duration_cast<std::chrono::system_clock::duration>(options_.retention))
              .time_since_epoch())
          .count();
  std::size_t removed = 0;
  for (int dir : {done_, failed_}) {
    for (const auto& name : list(dir)) {
      struct stat st {};
      if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode) || mtimeNs(st) >= before) continue;
      if (::unlinkat(dir, name.c_str(), 0) == 0) ++removed;
    }
  }
  return removed;
}

}  // namespace wayhome::connectors::gerica
