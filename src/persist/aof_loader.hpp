// Loading a Redis 7.0 multi-part AOF folder: the manifest, the base (RDB or commands) and the
// incremental files in order, with aof-load-truncated's repair of a cut tail.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "persist/aof_reader.hpp"
#include "persist/manifest.hpp"
#include "persist/rdb.hpp"

namespace kv::persist {

/// Options of load_aof.
struct AofLoadOptions {
  /// aof-load-truncated: cut a truncated tail of the LAST incr file (truncate the file on disk to
  /// its valid bytes) and continue with a warning; false: fail.
  bool load_truncated = true;
  /// Passed to RdbReader for an RDB base.
  bool skip_unsupported_types = false;
  /// The longest bulk accepted in commands (pass the server's proto-max-bulk-len if larger).
  std::uint64_t max_bulk_len = kAofMaxBulkLen;
};

/// What load_aof calls. Every callback may be empty.
struct AofLoadCallbacks {
  /// Each key of an RDB base (or RDB preamble); the views are valid during the call only.
  std::function<void(const RdbEntry&)> on_key;
  /// Each unit of an AOF base or incr file (see read_aof); false fails the load.
  std::function<bool(std::span<const AofCommand>)> on_unit;
  /// Called now and then (about every 8 MiB) and once at the end with loaded == total.
  std::function<void(std::uint64_t loaded_bytes, std::uint64_t total_bytes)> on_progress;
  /// A warning, e.g. the truncation, naming the file, the offset and the bytes cut.
  std::function<void(const std::string&)> on_warning;
};

/// The outcome of load_aof.
struct AofLoadResult {
  bool found = false;  ///< A manifest existed.
  bool ok = false;     ///< Everything listed was loaded (true also when nothing was found).
  /// Names the file and the offset: "appendonly.aof.3.incr.aof: expected '$' at offset 77",
  /// "appendonly.aof.manifest: line 2: ...", "appendonly.aof.1.base.rdb: checksum mismatch at
  /// offset ...".
  std::string error;
  std::uint64_t keys_loaded = 0;         ///< Keys given to on_key.
  std::uint64_t commands = 0;            ///< Commands given to on_unit (MULTI and EXEC included).
  std::uint64_t truncated_bytes = 0;     ///< Bytes cut from the last incr file.
  std::uint64_t preallocated_bytes = 0;  ///< Zero bytes cut from the ends of incr files.
  /// CRC-64 of the last incr file's bytes after its last checksum line (as kept): where a writer
  /// that continues the file starts its next checksum (AofWriter::open).
  std::uint64_t tail_crc = 0;
  AofManifest manifest;         ///< As loaded.
  std::uint64_t base_size = 0;  ///< Bytes of the base file (INFO aof_base_size).
  std::uint64_t incr_size = 0;  ///< Bytes of the incr files after any cut (aof_current_size is
                                ///< base_size + incr_size).
};

/// Loads <dir>/<dirname>/<prefix>.manifest, then the base and each incr file in order (history
/// files are ignored). A file starting with "REDIS" is read as RDB (keys to on_key); commands after
/// the RDB's checksum (an old-style RDB preamble) are read as AOF; any other file is read as AOF
/// commands (units to on_unit). A missing folder or manifest gives found=false, ok=true. Errors
/// (ok=false): a bad manifest; a listed file that is missing or unreadable (an empty file is fine);
/// any RDB error; corruption anywhere; truncation in any file but the last incr, or in it when
/// load_truncated is false (stricter than Redis, which also accepts a cut base that is the last
/// file). A truncated last incr file with load_truncated is cut on disk (ftruncate + fsync) and
/// reported through on_warning. On failure, keys and units already delivered must be discarded
/// by the caller. Files are read whole into memory, one at a time, opened read-only except for the
/// cut. Not thread-safe with respect to other writers of the folder.
AofLoadResult load_aof(const std::string& dir, const std::string& dirname,
                       const std::string& prefix, const AofLoadOptions& options,
                       const AofLoadCallbacks& callbacks);

/// Reads a whole file into `out`: false with `error` ("<path>: <errno text>") if it cannot.
bool read_whole_file(const std::string& path, std::string& out, std::string& error);

}  // namespace kv::persist
