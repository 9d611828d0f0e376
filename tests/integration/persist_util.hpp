// Helpers for the persistence suites (durability, recovery, crash, interop): temporary folders,
// files, kvd's log layout, starting kvd on its data, INFO fields, and bulk reads and writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace kv::test {

/// A command line or a command, word by word.
using Args = std::vector<std::string>;

// ---- Files and folders ----

/// A fresh folder under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  /// Creates the folder (throws if it cannot).
  TempDir();
  /// Removes the folder and everything in it.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The folder's path.
  const std::string& str() const { return path_; }
  /// The path of `name` inside the folder.
  std::filesystem::path operator/(std::string_view name) const {
    return std::filesystem::path(path_) / name;
  }

 private:
  std::string path_;
};

/// The whole content of the file at `path` ("" if it cannot be read).
std::string read_file(const std::filesystem::path& path);
/// Replaces the content of the file at `path` with `bytes`.
void write_file(const std::filesystem::path& path, std::string_view bytes);
/// The names of the entries of folder `dir`.
std::set<std::string> list_dir(const std::filesystem::path& dir);

// ---- kvd's log layout ----

/// The name of the log's manifest.
inline const std::string kManifest = "appendonly.aof.manifest";
/// The log folder of data folder `d`.
std::string log_dir(const TempDir& d);
/// The path of file `name` in the log folder of `d`.
std::string log_file(const TempDir& d, const std::string& name);
/// The bytes of the log file at `path` without the zero-filled space past its end that kvd keeps
/// while the file is open.
std::string read_log(const std::filesystem::path& path);
/// The name of the incremental log file of sequence `seq`.
std::string incr_name(int seq);
/// The name of the RDB base file of sequence `seq`.
std::string base_name(int seq);

// ---- kvd ----

/// Options for kvd with the log on, in `d`, with no save rules, then `extra`.
Args aof_args(const TempDir& d, Args extra = {});
/// Options for kvd with snapshots only, in `d`, with save rules `save`.
Args rdb_args(const TempDir& d, const std::string& save = "");
/// Polls PING until kvd has loaded its data and opened its log (no more -LOADING), for at most
/// 30 s. Only for a kvd started with wait_ready false: the Kvd constructor waits for that itself.
void wait_loaded(int port);
/// Runs kvd on `args` expecting it to refuse its data (exit status 1) within 20 s.
CommandResult run_kvd_failing(const Args& args);
/// The number after the first "offset " in `text` following `after`, or -1.
std::int64_t offset_in(const std::string& text, const std::string& after);

// ---- INFO ----

/// The text of INFO `section`.
std::string info(RawClient& c, const std::string& section = "persistence");
/// The value of `field` in INFO text ("" if absent).
std::string info_field(const std::string& text, const std::string& field);
/// The value of integer `field` of INFO persistence, or -1 if absent.
std::int64_t info_int(RawClient& c, const std::string& field);
/// Polls INFO persistence until `done(info)` holds, for at most `limit`; whether it did.
bool wait_info(RawClient& c, const std::function<bool(const std::string&)>& done,
               std::chrono::milliseconds limit);

// ---- Data ----

/// Every key of every database with its value: (db, key) -> value.
using Dump = std::map<std::pair<int, std::string>, std::string>;
/// Every key of the first `databases` databases; leaves the connection in database 0.
Dump dump_all(RawClient& c, int databases = 16);
/// Pipelines MSETs of keys <prefix><i> (i < count) with values filled_value(i, value_len).
void fill(RawClient& c, const std::string& prefix, int count, std::size_t value_len);
/// The value fill() gives key number `i`: i in decimal, padded with 'v' to `value_len` bytes.
std::string filled_value(int i, std::size_t value_len);
/// A mix of commands over several databases; leaves the connection in database 0.
void write_mixed(RawClient& c);
/// Checks that what write_mixed() wrote is all there; leaves the connection in database 0.
void check_mixed(RawClient& c);

}  // namespace kv::test
