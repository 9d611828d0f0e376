// The manifest of Redis 7.0's multi-part AOF (appendonlydir/appendonly.aof.manifest): which base,
// history and incremental files make up the log, in the exact text format Redis reads and writes;
// the file names Redis gives them; and an atomic file replace for writing the manifest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv::persist {

/// The role of a file in the manifest, as its one-letter code.
enum class AofFileType : char {
  base = 'b',     ///< The snapshot (RDB or AOF) the log starts from.
  history = 'h',  ///< A file replaced by a rewrite, waiting to be deleted; never loaded.
  incr = 'i',     ///< Commands written after the base, loaded in order.
};

/// One "file <name> seq <n> type <t>" line.
struct AofFileInfo {
  std::string name;                      ///< A bare file name inside the AOF folder.
  std::int64_t seq = 0;                  ///< Sequence number (> 0).
  AofFileType type = AofFileType::incr;  ///< Role of the file.
  bool operator==(const AofFileInfo&) const = default;
};

/// A parsed manifest.
struct AofManifest {
  std::optional<AofFileInfo> base;   ///< At most one base; a manifest without one is valid.
  std::vector<AofFileInfo> incrs;    ///< In file order, which is increasing seq.
  std::vector<AofFileInfo> history;  ///< In file order.
  bool operator==(const AofManifest&) const = default;
};

/// The longest manifest line Redis reads, counting its "\n" (MANIFEST_MAX_LINE).
inline constexpr std::size_t kManifestMaxLine = 1024;

/// Parses manifest text as Redis 7.0's aofLoadManifestFromFile does. Each line ends with "\n"
/// (a last line without one is refused, as Redis does); lines starting with '#' are comments;
/// a blank line is an error; a line is split into words like sdssplitargs (double quotes with
/// \n \r \t \b \a \xHH and \<char> escapes, single quotes with \'), and read as key/value pairs in
/// any order with case-insensitive keys "file", "seq", "type" (others ignored; at least 6 words,
/// an even count). Stricter than Redis on purpose: seq must be a positive decimal and type exactly
/// one letter. Errors: an empty text, a line over kManifestMaxLine bytes, a name that is a path, a
/// missing field, an unknown type, two bases, incr seqs not increasing. On failure returns false
/// and sets `error` to "line N: <problem>"; `out` is then unspecified.
bool parse_manifest(std::string_view text, AofManifest& out, std::string& error);

/// The manifest text Redis 7.0 writes for `m`: base, then history, then incrs, one
/// "file <name> seq <n> type <t>\n" line each; a name is quoted (sdscatrepr style) only when it
/// holds a space, a quote, a backslash or a byte that is not printable ASCII.
std::string format_manifest(const AofManifest& m);

/// "<prefix>.<seq>.base.rdb", or "<prefix>.<seq>.base.aof" when `rdb` is false.
std::string aof_base_name(std::string_view prefix, std::int64_t seq, bool rdb = true);
/// "<prefix>.<seq>.incr.aof".
std::string aof_incr_name(std::string_view prefix, std::int64_t seq);
/// "<prefix>.manifest".
std::string aof_manifest_name(std::string_view prefix);

/// Replaces `path` with `bytes` atomically: writes "<path>.tmp-<pid>", fsyncs it, renames it over
/// `path` and fsyncs the folder. On failure `error` names the step and errno's text, and (unless
/// only the final folder fsync failed) the temporary file is removed and `path` is untouched.
/// Two threads of one process must not write the same path at once (they share the temporary).
bool write_file_atomically(const std::string& path, std::string_view bytes, std::string& error);

/// fsyncs the folder `dir` so that renames and creations in it are durable.
bool fsync_dir(const std::string& dir, std::string& error);

}  // namespace kv::persist
