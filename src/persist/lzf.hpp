// LZF compression in liblzf's format, as Redis stores compressed strings in RDB files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kv::persist {

/// Farthest back a back reference reaches (13 bits of offset, plus one).
inline constexpr std::size_t kLzfMaxDistance = 8192;
/// Longest match one back reference encodes (3 bits + one extra byte of length, plus two).
inline constexpr std::size_t kLzfMaxMatch = 264;

/// Compresses `in` into `out` in liblzf's format. Returns the number of bytes written, or 0 if the
/// result does not fit in `out` (or `in` is empty), as liblzf's lzf_compress does: Redis passes
/// an output as long as the input less 4 bytes and stores the value plain when it gets 0.
/// Thread-safe (uses a thread-local hash table).
std::size_t lzf_compress(std::string_view in, std::span<char> out);

/// Why lzf_decompress failed.
enum class LzfError : std::uint8_t {
  none,             ///< Success.
  truncated,        ///< The input ends inside a literal run or a back reference.
  output_overflow,  ///< The data decompresses to more than the output holds.
  bad_reference,    ///< A back reference points before the start of the output.
};

/// Outcome of lzf_decompress.
struct LzfResult {
  LzfError error = LzfError::none;  ///< none on success.
  std::size_t size = 0;             ///< Bytes written to the output (so far, on error).
  std::size_t offset = 0;           ///< On error, offset in the input of the control byte at fault.
  /// Whether decompression succeeded.
  bool ok() const { return error == LzfError::none; }
};

/// Decompresses liblzf-format `in` into `out`. Never reads outside `in` nor writes outside `out`,
/// whatever the input; malformed input yields an error naming the offending control byte.
/// The caller checks that `size` is the length it expected.
LzfResult lzf_decompress(std::string_view in, std::span<char> out);

/// A short English description of `e` ("truncated input", ...).
std::string_view lzf_error_text(LzfError e);

}  // namespace kv::persist
