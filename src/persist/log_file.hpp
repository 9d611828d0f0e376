// The file an append-only log writes to: an interface, so tests can make a disk fail on demand,
// and its POSIX implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kv::persist {

/// The most parts one LogFile::write takes (the log writes three: the end of a checksum line a
/// failed write cut short, the records, their checksum line).
inline constexpr std::size_t kMaxWriteParts = 4;

/// A file the log appends to. The real one wraps a POSIX fd (open_log_file); tests substitute
/// one that fails on demand. Destroying it closes it.
///
/// Thread-safety: AofWriter calls write() and truncate() from one thread at a time, but sync()
/// may run on another thread at the same time as either (an fsync must not hold up writers), so
/// implementations must allow that, as a POSIX fd does.
class LogFile {
 public:
  virtual ~LogFile() = default;
  /// Writes the parts (at most kMaxWriteParts), in order, at the end with one system call where
  /// it can; returns the count written, which is less than their total only when a write failed
  /// part-way (then `err` is set), or -1 with `err` set (errno). Retries EINTR.
  virtual std::int64_t write(std::span<const std::string_view> parts, int& err) = 0;
  /// write() of one part.
  std::int64_t write(const char* data, std::size_t n, int& err) {
    const std::string_view part(data, n);
    return write(std::span<const std::string_view>(&part, 1), err);
  }
  /// Flushes the written bytes to stable storage (fdatasync); false with `err` set.
  virtual bool sync(int& err) = 0;
  /// Cuts the file to `size` bytes; false with `err` set.
  virtual bool truncate(std::uint64_t size, int& err) = 0;
  /// Whether to keep zero-filled space ahead of the writes (see open_log_file); off until set.
  /// Called like write().
  virtual void set_zero_fill(bool /*on*/) {}
};

/// Bytes of zero-filled space kept ahead of a log's writes by default.
inline constexpr std::uint64_t kLogPrealloc = 4 * 1024 * 1024;

/// Opens `path` for appending, creating it (mode 0644). Returns null and sets `err` (errno) on
/// failure. With `prealloc` > 0, once set_zero_fill(true) is called, a thread of the file's own
/// keeps up to that many bytes allocated and zero-filled past the last write, so that an
/// fdatasync need not change the file's size; the file is cut back to its last write when it is
/// closed. Readers of a log that was not closed (a crash) ignore a tail of zero bytes.
std::unique_ptr<LogFile> open_log_file(const std::string& path, int& err,
                                       std::uint64_t prealloc = kLogPrealloc);

}  // namespace kv::persist
