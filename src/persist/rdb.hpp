// RDB snapshots: a streaming writer and a whole-buffer reader for the string keys kvd stores,
// byte-compatible with Redis 7.0 (RDB version 10).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "persist/rdb_format.hpp"

namespace kv::persist {

/// Receives the bytes of a snapshot in order. A sink that fails (disk full) remembers it itself;
/// the writer keeps calling it, so the caller checks its sink after finish().
using ByteSink = std::function<void(std::string_view bytes)>;

/// Options of RdbWriter.
struct RdbWriterOptions {
  bool compress = true;        ///< LZF-compress strings over 20 bytes (rdbcompression).
  std::int64_t ctime_s = -1;   ///< AUX ctime in Unix seconds; -1 means now.
  std::uint64_t used_mem = 0;  ///< AUX used-mem.
  bool aof_base = false;       ///< AUX aof-base: 1 in the base file of an append-only log.
};

/// Writes an RDB version 10 file to a ByteSink: begin(), then for each database select_db() and
/// its keys with put(), then finish(). Bytes are buffered (64 KiB) and handed to the sink in
/// order; a large value goes to the sink directly without a copy, so memory stays bounded
/// whatever the snapshot's size. The CRC-64 trailer is computed as the bytes pass.
///
/// Not thread-safe: one writer per snapshot, used by one thread at a time. The sink must outlive
/// the writer. Calls out of order (put before select_db, anything after finish) are programmer
/// errors (asserted).
class RdbWriter {
 public:
  /// A writer that will send its bytes to `sink`.
  explicit RdbWriter(ByteSink sink, RdbWriterOptions options = {});

  /// Writes the magic "REDIS0010" and the AUX fields redis-ver, redis-bits, ctime, used-mem and
  /// aof-base, as Redis 7.0 does.
  void begin();
  /// Starts database `db`: SELECTDB, then RESIZEDB with its key and expiry counts (size hints).
  void select_db(std::uint64_t db, std::uint64_t keys, std::uint64_t expires);
  /// Writes a string key of the current database; `expire_at_ms` is its deadline in Unix
  /// milliseconds, or 0 for none.
  void put(std::string_view key, std::string_view value, std::int64_t expire_at_ms = 0);
  /// Writes EOF and the checksum, and flushes everything to the sink.
  void finish();
  /// Bytes produced so far (given to the sink or still buffered).
  std::uint64_t bytes_written() const { return written_ + buffer_.size(); }

 private:
  void put_byte(std::uint8_t b) { buffer_.push_back(static_cast<char>(b)); }
  void put_raw(std::string_view bytes);
  void put_length(std::uint64_t len);
  void put_string(std::string_view s);
  void put_aux(std::string_view name, std::string_view value);
  void put_aux(std::string_view name, std::int64_t value);
  void flush();

  ByteSink sink_;
  RdbWriterOptions options_;
  std::string buffer_;
  std::string scratch_;  // LZF output.
  std::uint64_t written_ = 0;
  std::uint64_t crc_ = 0;
  bool begun_ = false;
  bool in_db_ = false;
  bool finished_ = false;
};

/// Encodes one string as Redis's rdbSaveRawString does, appending to `out`: an integer encoding
/// for a canonical integer that fits 32 bits, LZF when `compress` and the value is over 20 bytes
/// and compression saves space, else a length and the bytes.
void rdb_append_string(std::string& out, std::string_view s, bool compress,
                       std::string& lzf_scratch);
/// Appends Redis's length encoding of `len` to `out` (1, 2, 5 or 9 bytes).
void rdb_append_length(std::string& out, std::uint64_t len);

/// Why reading an RDB file failed.
enum class RdbError : std::uint8_t {
  none,              ///< Success.
  bad_magic,         ///< The file does not start with "REDIS" and four digits.
  bad_version,       ///< An RDB version this reader does not know.
  truncated,         ///< The file ends in the middle of something.
  bad_length,        ///< A length encoding that is invalid here or too big for the file.
  bad_encoding,      ///< An unknown special string encoding.
  bad_lzf,           ///< Compressed data that does not decompress to its stated length.
  bad_checksum,      ///< The CRC-64 trailer does not match the data.
  bad_opcode,        ///< An unknown opcode or value type.
  unsupported,       ///< Valid Redis data kvd cannot load (module data, functions).
  unsupported_type,  ///< A key of a type kvd does not have (and skipping was not asked for).
  trailing_data,     ///< Bytes after the checksum.
};

/// A failed (or successful) read: the error, where it was found, and a readable explanation.
struct RdbStatus {
  RdbError error = RdbError::none;  ///< none on success.
  std::uint64_t offset = 0;         ///< Byte offset in the file where the problem was found.
  std::string message;              ///< "unexpected end of file at offset 42", ...
  /// Whether the read succeeded.
  bool ok() const { return error == RdbError::none; }
};

/// One string key as read from the file.
struct RdbEntry {
  std::uint64_t db = 0;                      ///< Database number (SELECTDB).
  std::string_view key;                      ///< Key bytes.
  std::string_view value;                    ///< Value bytes.
  std::optional<std::int64_t> expire_at_ms;  ///< Deadline in Unix ms (may be past), if any.
  std::uint64_t end = 0;                     ///< Offset just past the entry in the file.
};

/// Options of RdbReader.
struct RdbReaderOptions {
  /// Skip keys of types kvd does not have (counting them) instead of failing on the first one.
  bool skip_unsupported_types = false;
  /// Verify the CRC-64 trailer (a stored checksum of 0 is never verified, as in Redis).
  bool verify_checksum = true;
};

/// What a successful read found.
struct RdbStats {
  int version = 0;                 ///< The file's RDB version.
  std::uint64_t keys = 0;          ///< String keys passed to the callback.
  std::uint64_t skipped = 0;       ///< Keys of other types skipped.
  std::uint64_t aux = 0;           ///< AUX fields seen.
  bool checksum_verified = false;  ///< Whether a CRC-64 trailer was checked.
};

/// Reads a whole RDB file held in memory and calls back once per string key.
///
/// The views in an RdbEntry (and in AUX callbacks) are valid only during the callback: they point
/// into the buffer or into the reader's scratch space. Expired deadlines are reported as they are;
/// the loader decides what to do with them. Reads every string encoding Redis 7.0 writes, AUX
/// fields of any name, EXPIRETIME (s and ms), IDLE and FREQ; rejects MODULE_AUX and FUNCTION
/// opcodes. Keys of other types fail with an error naming the key and its type, or are skipped
/// (lists, sets, sorted sets and hashes in every encoding; streams and module values cannot be
/// skipped and fail with an error that says so). Never reads outside the buffer. Not thread-safe.
class RdbReader {
 public:
  /// Called per string key.
  using KeyCallback = std::function<void(const RdbEntry&)>;
  /// Called per AUX field (name, value).
  using AuxCallback = std::function<void(std::string_view name, std::string_view value)>;

  /// A reader with `options`.
  explicit RdbReader(RdbReaderOptions options = {}) : options_(options) {}

  /// Parses `file`, calling `on_key` per string key and `on_aux` (if set) per AUX field. On
  /// failure the callbacks may already have seen some keys; the caller discards them.
  RdbStatus read(std::string_view file, const KeyCallback& on_key,
                 const AuxCallback& on_aux = nullptr);
  /// Counts of the last read().
  const RdbStats& stats() const { return stats_; }

 private:
  RdbReaderOptions options_;
  RdbStats stats_;
};

}  // namespace kv::persist
