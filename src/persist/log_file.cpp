// LogFile over a POSIX file descriptor, with zero-filled space ahead of the writes.
#include "persist/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <system_error>
#include <thread>

namespace kv::persist {
namespace {

// Zero-filled in pieces of this size, each written back before the next, so that an fdatasync
// of the log that runs meanwhile finds little of the fill to write.
constexpr std::uint64_t kFillPiece = 256 * 1024;
const char kZeros[kFillPiece] = {};

// Writes every part (at most kMaxWriteParts), in order, at `offset`, with one pwritev when
// nothing is cut short; returns the count written, with `err` set if it is short (ENOSPC for a
// write that made no progress: nothing more fits).
std::uint64_t write_at(int fd, std::span<const std::string_view> parts, std::uint64_t offset,
                       int& err) {
  assert(parts.size() <= kMaxWriteParts);
  iovec iov[kMaxWriteParts];
  std::size_t count = 0;
  for (const std::string_view part : parts) {
    if (!part.empty()) iov[count++] = {const_cast<char*>(part.data()), part.size()};
  }
  std::uint64_t done = 0;
  std::size_t first = 0;
  while (first < count) {
    // A signal or Linux's limit of about 2 GiB per call can cut a write short.
    const ssize_t r = ::pwritev(fd, iov + first, static_cast<int>(count - first),
                                static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      err = r < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<std::uint64_t>(r);
    // Skip what went out: whole parts, then the start of the part the write cut.
    auto left = static_cast<std::size_t>(r);
    while (first < count && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < count) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return done;
}

// The log's bytes go at end_, its logical size. While zero-filling is on (set_zero_fill), a
// filler thread allocates and zero-fills the next `prealloc` bytes ahead of it and fsyncs them,
// once the room left falls below half of that. An fdatasync after a write into space that is
// already allocated and written need not commit any metadata (the file's size and blocks stay as
// they are), so it costs about half of one after an append on ext4. The zeros past end_ are cut
// off when the file is closed; after a crash the loader cuts them (see aof_loader.cpp).
//
// The filler writes only at or past fill_from_, and write() never crosses fill_from_ while a fill
// runs: it stops the fill instead (stop_), which then ends after the piece in progress, so the
// writer waits for at most one piece, never for the fill's fsync. The filler writes and syncs
// through a descriptor of its own (a second open() of the same file, not a dup()): Linux reports
// a failed writeback once per open file, and a failure of the log's own pages must reach the
// log's fdatasync, not the filler's.
class PosixLogFile final : public LogFile {
 public:
  /// `fill_fd` is -1 for a file that cannot have zero-filled space.
  PosixLogFile(int fd, int fill_fd, std::uint64_t size, std::uint64_t prealloc)
      : fd_(fd),
        fill_fd_(fill_fd),
        prealloc_(fill_fd >= 0 ? prealloc : 0),
        end_(size),
        filled_(size),
        next_fill_at_(size) {}

  // The data was synced (or given up on) before the file is dropped. The zeros past the last
  // record are cut off, so a closed log is a plain AOF file that Redis's tools read.
  ~PosixLogFile() override {
    stop_fill();
    if (preallocated_) {
      while (::ftruncate(fd_, static_cast<off_t>(end_)) != 0 && errno == EINTR) {
      }
      ::fsync(fd_);
    }
    if (fill_fd_ >= 0) ::close(fill_fd_);
    ::close(fd_);
  }
  PosixLogFile(const PosixLogFile&) = delete;
  PosixLogFile& operator=(const PosixLogFile&) = delete;

  std::int64_t write(std::span<const std::string_view> parts, int& err) override {
    std::uint64_t n = 0;
    for (const std::string_view part : parts) n += part.size();
    const std::uint64_t need = end_ + n;
    if (filler_.joinable() && (need > fill_from_ || !filling_.load(std::memory_order_acquire))) {
      stop_fill();  // Never write where a fill may be writing.
    }
    if (zero_fill_ && !filler_.joinable() && need >= next_fill_at_ &&
        filled_ < need + prealloc_ / 2) {
      start_fill(need);
    }
    const std::uint64_t done = write_at(fd_, parts, end_, err);
    end_ += done;
    if (done < n) return done > 0 ? static_cast<std::int64_t>(done) : -1;
    return static_cast<std::int64_t>(done);
  }

  bool sync(int& err) override {
    while (::fdatasync(fd_) != 0) {
      if (errno == EINTR) continue;
      err = errno;
      return false;
    }
    return true;
  }

  bool truncate(std::uint64_t size, int& err) override {
    stop_fill();
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno == EINTR) continue;
      err = errno;
      return false;
    }
    end_ = size;
    filled_ = size;
    return true;
  }

  // Turned off, the file also gives back the space already filled, as closing it would: under
  // the other policies it stays a plain AOF file for Redis's tools even after a crash.
  void set_zero_fill(bool on) override {
    zero_fill_ = on && prealloc_ > 0;
    if (zero_fill_ || !preallocated_) return;
    stop_fill();
    int r;
    while ((r = ::ftruncate(fd_, static_cast<off_t>(end_))) != 0 && errno == EINTR) {
    }
    if (r != 0) return;  // The zeros stay until close; a loader ignores them.
    preallocated_ = false;
    filled_ = end_;
    next_fill_at_ = end_;
  }

 private:
  void start_fill(std::uint64_t need) {
    // Past whatever this write covers; a first fill leaves a little room for the writes made
    // while it runs, which then allocate as plain appends do.
    fill_from_ = std::max(filled_, need + kFillPiece);
    preallocated_ = true;
    stop_.store(false, std::memory_order_relaxed);
    filling_.store(true, std::memory_order_relaxed);
    try {
      filler_ = std::thread([this, from = fill_from_] { fill(from); });
    } catch (const std::system_error&) {  // No thread to be had: write as plain appends.
      filling_.store(false, std::memory_order_relaxed);
      next_fill_at_ = need + prealloc_;
    }
  }

  void stop_fill() {
    if (!filler_.joinable()) return;
    stop_.store(true, std::memory_order_relaxed);
    filler_.join();
  }

  // On the filler thread: allocates and zero-fills [from, from + prealloc_), then fsyncs. A fill
  // that fails (a full disk) gives back the space it allocated, and the next one is tried only
  // after another prealloc_ bytes of log; a stopped one is simply retried by the next write.
  void fill(std::uint64_t from) {
    const std::uint64_t to = from + prealloc_;
    int err = 0;
    bool ok =
        ::fallocate(fill_fd_, 0, static_cast<off_t>(from), static_cast<off_t>(prealloc_)) == 0;
    std::uint64_t at = from;
    for (; ok && at < to && !stop_.load(std::memory_order_relaxed); at += kFillPiece) {
      const std::uint64_t piece = std::min(kFillPiece, to - at);
      const std::string_view zeros[] = {{kZeros, piece}};
      ok = write_at(fill_fd_, zeros, at, err) == piece &&
           ::sync_file_range(fill_fd_, static_cast<off_t>(at), static_cast<off_t>(piece),
                             SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                 SYNC_FILE_RANGE_WAIT_AFTER) == 0;
    }
    const bool stopped = ok && at < to;
    if (ok && !stopped) ok = ::fdatasync(fill_fd_) == 0;
    if (ok && !stopped) {
      filled_ = to;
    } else if (!ok) {
      // Space past `from` is all the filler's (the writer is below it), and a fallocate that
      // fails part-way may keep what it got: give it back, the log's next writes need it.
      struct stat st {};
      if (::fstat(fill_fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > from) {
        while (::ftruncate(fill_fd_, static_cast<off_t>(from)) != 0 && errno == EINTR) {
        }
      }
      next_fill_at_ = to;
    }
    filling_.store(false, std::memory_order_release);
  }

  int fd_;
  int fill_fd_;
  const std::uint64_t prealloc_;
  // The writing thread's (write, truncate, set_zero_fill); the filler reads none of them.
  std::uint64_t end_;            // Logical size: just past the last byte written.
  std::uint64_t fill_from_ = 0;  // Where the running (or last) fill starts.
  bool preallocated_ = false;    // A fill has started, so the file may be longer than end_.
  bool zero_fill_ = false;       // Whether fills start (set_zero_fill).
  // Written by the filler, read by the writing thread only once it has joined the filler.
  std::uint64_t filled_;        // Every byte below this is written or zero-filled.
  std::uint64_t next_fill_at_;  // No fill starts before end_ reaches this (after a failed one).
  std::atomic<bool> filling_{false};  // A fill runs: false once it has returned.
  std::atomic<bool> stop_{false};     // The writer asks the running fill to end.
  std::thread filler_;
};

}  // namespace

std::unique_ptr<LogFile> open_log_file(const std::string& path, int& err, std::uint64_t prealloc) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    err = errno;
    return nullptr;
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) {
    err = errno;
    ::close(fd);
    return nullptr;
  }
  int fill_fd = -1;
  if (prealloc > 0) {
    do {
      fill_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    } while (fill_fd < 0 && errno == EINTR);
    // Without a second descriptor on the very same file, no zero-filled space.
    struct stat a {
    }, b{};
    if (fill_fd >= 0 && (::fstat(fd, &a) != 0 || ::fstat(fill_fd, &b) != 0 ||
                         a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
      ::close(fill_fd);
      fill_fd = -1;
    }
  }
  return std::make_unique<PosixLogFile>(fd, fill_fd, static_cast<std::uint64_t>(size), prealloc);
}

}  // namespace kv::persist
