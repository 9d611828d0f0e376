// LogFile over a POSIX file descriptor.
#include "persist/log_file.hpp"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

namespace kv::persist {
namespace {

class PosixLogFile final : public LogFile {
 public:
  explicit PosixLogFile(int fd) : fd_(fd) {}
  // The data was synced (or given up on) before the file is dropped; close's result adds
  // nothing then.
  ~PosixLogFile() override { ::close(fd_); }
  PosixLogFile(const PosixLogFile&) = delete;
  PosixLogFile& operator=(const PosixLogFile&) = delete;

  std::int64_t write(const char* data, std::size_t n, int& err) override {
    // Linux writes at most about 2 GiB per call and a signal can cut a write short, so keep going
    // until everything is written or a call fails; the caller learns how far it got.
    std::size_t done = 0;
    while (done < n) {
      const ssize_t r = ::write(fd_, data + done, n - done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        err = r < 0 ? errno : ENOSPC;  // 0 for a non-empty write: nothing more fits.
        return done > 0 ? static_cast<std::int64_t>(done) : -1;
      }
      done += static_cast<std::size_t>(r);
    }
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
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno == EINTR) continue;
      err = errno;
      return false;
    }
    return true;
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<LogFile> open_log_file(const std::string& path, int& err) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    err = errno;
    return nullptr;
  }
  return std::make_unique<PosixLogFile>(fd);
}

}  // namespace kv::persist
