// Reading an append-only file: RESP commands grouped into units (a command, or a whole MULTI ...
// EXEC transaction), telling a truncated tail (safe to cut) from corruption (never to be cut).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv::persist {

/// The largest bulk accepted by default: Redis's default proto-max-bulk-len (512 MiB).
inline constexpr std::uint64_t kAofMaxBulkLen = 512ULL * 1024 * 1024;
/// The most arguments accepted in one command: what the request parser accepts (INT_MAX), so
/// that every command the server executed can be read back.
inline constexpr std::uint64_t kAofMaxArgs = 2147483647;
/// The longest annotation line ("#..." up to and including its "\n"), as Redis reads them.
inline constexpr std::size_t kAofMaxAnnotation = 1024;

/// kvd's checksum line, which ends each write of its log: this tag, the CRC-64 (crc64.hpp) of the
/// bytes since the previous checksum line (or since the start of the commands) as 16 lowercase
/// hex digits, and "\r\n". Redis's loader and redis-check-aof skip it as an annotation.
inline constexpr std::string_view kAofChecksumTag = "#C:";
/// The length of a checksum line.
inline constexpr std::size_t kAofChecksumLine = 21;
/// Writes the checksum line of `crc` to `out` (kAofChecksumLine bytes).
void format_aof_checksum(std::uint64_t crc, char* out);

/// How a read ended.
enum class AofReadStatus : std::uint8_t {
  ok,         ///< The data ends at a unit boundary.
  truncated,  ///< The data ends inside a unit that was well formed so far: cut at valid_bytes.
  corrupt,    ///< A framing byte is wrong, or the callback rejected a unit.
};

/// The outcome of read_aof.
struct AofReadResult {
  AofReadStatus status = AofReadStatus::ok;  ///< How the read ended.
  std::uint64_t valid_bytes = 0;   ///< Length of the prefix made of complete units (where a
                                   ///< truncated file is cut).
  std::uint64_t error_offset = 0;  ///< Where the incomplete or bad record starts / the bad byte is.
  std::string message;  ///< e.g. "unexpected end of file in a command at offset 1234"; empty if ok.
  std::uint64_t unchecked_from = 0;  ///< Where the bytes after the last checksum line start.
  std::uint64_t commands = 0;        ///< Commands delivered (MULTI and EXEC included).
  std::uint64_t units = 0;           ///< Units delivered.
};

/// The arguments of one command, the name first: views into the buffer given to read_aof.
using AofCommand = std::vector<std::string_view>;
/// Receives a unit; returns false if replaying it failed.
using AofUnitCallback = std::function<bool(std::span<const AofCommand>)>;

/// Options of read_aof.
struct AofReadOptions {
  std::uint64_t start = 0;  ///< Offset where commands begin (after an RDB preamble).
  std::uint64_t max_bulk_len = kAofMaxBulkLen;  ///< A longer bulk is corrupt.
  std::uint64_t max_args = kAofMaxArgs;         ///< A command with more arguments is corrupt.
};

/// Reads the commands of `data` (a whole file in memory) from options.start and calls `on_unit`
/// once per complete unit: a single command, or MULTI, its commands and EXEC together (so the
/// caller can replay them as one transaction). Every offset reported is an offset in `data`.
///
/// Format: each command is "*<n>\r\n" then n times "$<len>\r\n<len bytes>\r\n", n >= 1, with
/// decimal numbers (leading zeros allowed, as Redis's reader does); lines starting with '#' where
/// a command may start are annotations (Redis's "#TS:..." timestamps) and are skipped, except
/// kvd's checksum lines, which are checked against the bytes before them. MULTI and EXEC are
/// recognised by name, case-insensitively.
///
/// Classification:
/// - ok: the data ends at a unit boundary (an empty buffer is ok with 0 units).
/// - truncated: the data ends inside a command or an annotation, or inside a MULTI whose EXEC
///   never came (Redis reverts such a transaction); valid_bytes is the start of that unit.
/// - corrupt: a wrong framing byte, a count of 0 or over max_args, a length over max_bulk_len, a
///   nested MULTI, an EXEC without MULTI, an annotation over kAofMaxAnnotation bytes, a checksum
///   line that is malformed or does not match the bytes since the previous one (reported at the
///   first of those bytes), or a unit the callback rejected ("command rejected at offset N", N
///   the unit's start). Also, so that
///   damage in the middle is never mistaken for a cut tail (which would drop every later command):
///   when the data ends inside a command and the bytes from its first payload to the end hold the
///   start of another command ("\r\n*<digits>\r\n$"), the last length read was damaged: corrupt.
///   (A value that itself holds RESP text and is cut at the end of the file is therefore reported
///   as corrupt, the safe side.)
/// On truncated and corrupt, units before the bad one have already been delivered; valid_bytes
/// is where they end. Views in a unit are valid as long as `data` is. Never reads outside `data`.
AofReadResult read_aof(std::string_view data, const AofUnitCallback& on_unit,
                       const AofReadOptions& options = {});

}  // namespace kv::persist
