// AOF loader: manifest, then base and incr files, each read whole and handed to the RDB reader or
// the AOF reader.
#include "persist/aof_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <vector>

#include "persist/crc64.hpp"

namespace kv::persist {
namespace {

constexpr std::uint64_t kProgressStep = 8ULL * 1024 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

std::string errno_text(int err) { return std::generic_category().message(err); }

// Reads the file at `path` into `out`; returns 0 or an errno value.
int read_file(const std::string& path, std::string& out) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return err;
  }
  // The size is a hint: read until end of file even if the file grew or shrank meanwhile.
  out.resize(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 0));
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + kReadChunk);
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      out.clear();
      return err;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  ::close(fd);
  return 0;
}

// Cuts the file at `path` to `size` bytes and makes the cut durable; returns 0 or an errno value.
int cut_file(const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) err = errno;
  ::close(fd);
  return err;
}

// The offset just past `view` in `buffer`, or 0 if the view points elsewhere (into scratch).
std::uint64_t end_offset_in(std::string_view buffer, std::string_view view) {
  const auto b = reinterpret_cast<std::uintptr_t>(buffer.data());
  const auto v = reinterpret_cast<std::uintptr_t>(view.data());
  if (v < b || v - b > buffer.size() || view.size() > buffer.size() - (v - b)) {
    return 0;
  }
  return v - b + view.size();
}

// One load: the state shared by the files of a folder.
class Loader {
 public:
  Loader(const AofLoadOptions& options, const AofLoadCallbacks& callbacks)
      : options_(options), callbacks_(callbacks) {}

  AofLoadResult run(const std::string& dir, const std::string& dirname, const std::string& prefix);

 private:
  bool fail(std::string error) {
    result_.error = std::move(error);
    return false;
  }
  bool stat_files(const std::vector<const AofFileInfo*>& files);
  bool load_file(const AofFileInfo& file, bool last_incr, std::uint64_t& size);
  static std::uint64_t zero_tail(std::string_view data);
  bool load_rdb(const std::string& name, std::string_view data, std::uint64_t& aof_start);
  bool load_commands(const AofFileInfo& file, std::string_view data, std::uint64_t start,
                     bool last_incr, std::uint64_t& size);
  void progress(std::uint64_t offset_in_file) {
    const std::uint64_t loaded = done_ + offset_in_file;
    if (!callbacks_.on_progress || loaded < next_report_) return;
    callbacks_.on_progress(loaded, total_);
    next_report_ = loaded + kProgressStep;
  }
  std::string path_of(const std::string& name) const { return (folder_ / name).string(); }

  const AofLoadOptions& options_;
  const AofLoadCallbacks& callbacks_;
  AofLoadResult result_;
  std::filesystem::path folder_;
  std::uint64_t total_ = 0;        // Bytes of all files to load, as found before loading.
  std::uint64_t done_ = 0;         // Bytes of the files already loaded.
  std::uint64_t next_report_ = 0;  // Progress is reported once loaded bytes reach this.
};

AofLoadResult Loader::run(const std::string& dir, const std::string& dirname,
                          const std::string& prefix) {
  folder_ = std::filesystem::path(dir) / dirname;
  const std::string manifest_name = aof_manifest_name(prefix);
  std::string text;
  if (const int err = read_file(path_of(manifest_name), text); err != 0) {
    result_.ok = err == ENOENT || err == ENOTDIR;
    if (!result_.ok) fail(manifest_name + ": cannot read: " + errno_text(err));
    return std::move(result_);
  }
  result_.found = true;
  std::string error;
  if (!parse_manifest(text, result_.manifest, error)) {
    result_.manifest = {};
    fail(manifest_name + ": " + error);
    return std::move(result_);
  }
  const AofManifest& m = result_.manifest;
  std::vector<const AofFileInfo*> files;
  if (m.base) files.push_back(&*m.base);
  for (const AofFileInfo& f : m.incrs) files.push_back(&f);
  if (!stat_files(files)) return std::move(result_);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const bool is_base = m.base && i == 0;
    std::uint64_t size = 0;
    if (!load_file(*files[i], !is_base && i + 1 == files.size(), size)) {
      return std::move(result_);
    }
    (is_base ? result_.base_size : result_.incr_size) += size;
  }
  const std::uint64_t final_size = result_.base_size + result_.incr_size;
  if (callbacks_.on_progress) callbacks_.on_progress(final_size, final_size);
  result_.ok = true;
  return std::move(result_);
}

// Checks that every listed file exists before loading anything (as Redis does), and sums sizes.
bool Loader::stat_files(const std::vector<const AofFileInfo*>& files) {
  for (const AofFileInfo* f : files) {
    struct stat st {};
    if (::stat(path_of(f->name).c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT) return fail(f->name + ": listed in the manifest but missing");
      return fail(f->name + ": cannot stat: " + errno_text(err));
    }
    total_ += static_cast<std::uint64_t>(st.st_size);
  }
  return true;
}

bool Loader::load_file(const AofFileInfo& file, bool last_incr, std::uint64_t& size) {
  std::string data;
  if (const int err = read_file(path_of(file.name), data); err != 0) {
    return fail(file.name + ": cannot read: " + errno_text(err));
  }
  const std::uint64_t zeros =
      file.type == AofFileType::incr && !data.starts_with("REDIS") ? zero_tail(data) : 0;
  data.resize(data.size() - zeros);
  std::uint64_t aof_start = 0;
  if (data.starts_with("REDIS") && !load_rdb(file.name, data, aof_start)) return false;
  size = data.size();
  if (aof_start < data.size() && !load_commands(file, data, aof_start, last_incr, size)) {
    return false;
  }
  if (zeros > 0 && size == data.size()) {  // A cut tail has been cut with its zeros.
    if (const int err = cut_file(path_of(file.name), size); err != 0) {
      return fail(file.name + ": cannot cut the " + std::to_string(zeros) +
                  " zero bytes of preallocated space at its end: " + errno_text(err));
    }
  }
  result_.preallocated_bytes += zeros;
  done_ += data.size();
  return true;
}

// kvd keeps zero-filled space past the end of the incr file it writes (open_log_file) and cuts
// it off when it closes the file; after a crash it is still there. A command ends with "\r\n",
// so a log never ends with a zero byte of its own: the zeros at the end are that space (or the
// unwritten part of a last command, which stays cut short without them). Returns how many there
// are; they are cut off on disk once the file has loaded, so the file is again one that Redis
// reads and the log continues right after its last byte.
std::uint64_t Loader::zero_tail(std::string_view data) {
  const std::size_t last = data.find_last_not_of('\0');
  return data.size() - (last == std::string_view::npos ? 0 : last + 1);
}

// Reads an RDB file or preamble; `aof_start` is set to where commands follow it, if any.
bool Loader::load_rdb(const std::string& name, std::string_view data, std::uint64_t& aof_start) {
  RdbReaderOptions rdb_options;
  rdb_options.skip_unsupported_types = options_.skip_unsupported_types;
  RdbReader reader(rdb_options);
  const RdbStatus st = reader.read(data, [&](const RdbEntry& e) {
    ++result_.keys_loaded;
    if (callbacks_.on_key) callbacks_.on_key(e);
    progress(e.end);
  });
  if (st.ok()) {
    aof_start = data.size();
    return true;
  }
  // The reader checked everything up to the checksum; what follows is an AOF tail.
  if (st.error == RdbError::trailing_data) {
    aof_start = st.offset;
    return true;
  }
  return fail(name + ": " + st.message);
}

bool Loader::load_commands(const AofFileInfo& file, std::string_view data, std::uint64_t start,
                           bool last_incr, std::uint64_t& size) {
  AofReadOptions read_options;
  read_options.start = start;
  read_options.max_bulk_len = options_.max_bulk_len;
  const AofReadResult r = read_aof(
      data,
      [&](std::span<const AofCommand> unit) {
        if (callbacks_.on_unit && !callbacks_.on_unit(unit)) return false;
        // Arguments are views into `data`, and a unit ends two bytes after its last argument.
        progress(end_offset_in(data, unit.back().back()) + 2);
        return true;
      },
      read_options);
  result_.commands += r.commands;
  if (last_incr) {  // Of the bytes kept: all, or those before a cut tail.
    const std::uint64_t kept = r.status == AofReadStatus::ok ? data.size() : r.valid_bytes;
    result_.tail_crc = crc64(0, data.substr(r.unchecked_from, kept - r.unchecked_from));
  }
  if (r.status == AofReadStatus::ok) return true;
  const std::string& message = r.message;
  if (r.status == AofReadStatus::corrupt) return fail(file.name + ": " + message);
  if (!last_incr) {
    return fail(file.name + ": " + message +
                " (a cut tail is repaired only in the last incr file)");
  }
  if (!options_.load_truncated) {
    return fail(file.name + ": " + message + " (aof-load-truncated is off)");
  }
  if (const int err = cut_file(path_of(file.name), r.valid_bytes); err != 0) {
    return fail(file.name + ": " + message + "; cannot truncate the file to " +
                std::to_string(r.valid_bytes) + " bytes: " + errno_text(err));
  }
  const std::uint64_t cut = data.size() - r.valid_bytes;
  result_.truncated_bytes += cut;
  size = r.valid_bytes;
  if (callbacks_.on_warning) {
    callbacks_.on_warning(file.name + ": " + message + "; truncated the file from " +
                          std::to_string(data.size()) + " to " + std::to_string(r.valid_bytes) +
                          " bytes (" + std::to_string(cut) +
                          " bytes cut) because aof-load-truncated is on");
  }
  return true;
}

}  // namespace

AofLoadResult load_aof(const std::string& dir, const std::string& dirname,
                       const std::string& prefix, const AofLoadOptions& options,
                       const AofLoadCallbacks& callbacks) {
  return Loader(options, callbacks).run(dir, dirname, prefix);
}

bool read_whole_file(const std::string& path, std::string& out, std::string& error) {
  if (const int err = read_file(path, out); err != 0) {
    error = path + ": " + errno_text(err);
    return false;
  }
  return true;
}

}  // namespace kv::persist
