#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wayhome::connectors::gerica {

/// The drop folder of a `gerica` instance, handled as a place others can write to:
/// every file is opened relative to the folder's own descriptors, never through a
/// symbolic link (O_NOFOLLOW), new files only with O_EXCL; a message is taken only
/// once its size and time have not changed for `settle`; nothing in done/, failed/ or
/// apprec/ is ever overwritten (a taken name gets ".1", ".2", ... before its
/// extension); done/ and failed/ are emptied of files older than `retention`.
///
/// Threading: one thread (the connector's folder thread).
class DropFolder {
 public:
  struct Options {
    std::filesystem::path root;
    std::chrono::milliseconds settle{1000};
    std::chrono::hours retention{24 * 30};
  };

  /// Opens (creating them, 0700) the folder and done/, failed/, apprec/.
  /// Errors: throws std::runtime_error naming the folder (or a subfolder that is a
  /// symbolic link or not a folder).
  explicit DropFolder(Options options);
  ~DropFolder();
  DropFolder(const DropFolder&) = delete;
  DropFolder& operator=(const DropFolder&) = delete;

  /// What a scan found.
  struct Scan {
    /// `*.xml` regular files that stayed the same for `settle`, in name order.
    std::vector<std::string> ready;
    /// `*.xml` entries that are no regular file (symbolic links, FIFOs, folders):
    /// never opened; the caller moves them to failed/.
    std::vector<std::string> refused;
  };
  /// Errors: throws std::runtime_error when the folder cannot be read.
  [[nodiscard]] Scan scan(std::chrono::steady_clock::time_point now);

  /// Up to `limit` + 1 bytes of `name` (so that "too large" is known), opened without
  /// following links; `size` gets its size. Nothing when it is gone or no regular file.
  [[nodiscard]] std::optional<std::string> read(const std::string& name, std::size_t limit,
                                                std::uint64_t& size);

  /// Writes `content` to apprec/`stem`.apprec.xml (or a free variant); the name used.
  /// Errors: throws std::runtime_error.
  std::string writeReceipt(const std::string& stem, const std::string& content);
  /// Moves `name` to done/ or failed/ (a free variant of its name), with
  /// `<target>.reason.txt` beside it in failed/; the name used.
  /// Errors: throws std::runtime_error.
  std::string move(const std::string& name, bool ok, const std::string& reason = {});

  /// Deletes files in done/ and failed/ last changed before now - retention; how many.
  std::size_t prune(std::chrono::system_clock::time_point now);

 private:
  struct Seen {
    std::int64_t size = -1;
    std::int64_t mtimeNs = -1;
    std::chrono::steady_clock::time_point since;
  };
  std::string writeUnique(int dir, const std::string& name, const std::string& content);

  Options options_;
  int root_ = -1;
  int done_ = -1;
  int failed_ = -1;
  int apprec_ = -1;
  std::map<std::string, Seen> seen_;
  std::uint64_t counter_ = 0;
};

/// `name` with ".n" before its extension ("a.xml", 2 → "a.2.xml"); `name` for 0.
[[nodiscard]] std::string variantName(const std::string& name, int n);

}  // namespace wayhome::connectors::gerica
