// Incremental RESP2 request parser: multibulk and inline commands, as a Redis server reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv::proto {

/// Longest inline command, and longest count line, Redis accepts (PROTO_INLINE_MAX_SIZE).
inline constexpr std::size_t kInlineMax = 64 * 1024;
/// Default largest bulk argument (proto-max-bulk-len).
inline constexpr std::int64_t kDefaultMaxBulkLen = 512LL * 1024 * 1024;
/// Largest multibulk count Redis accepts (INT_MAX).
inline constexpr std::int64_t kMaxMultibulkLen = 2147483647;
/// Bulks at least this big get their whole size reserved in the connection buffer at once.
inline constexpr std::size_t kBigBulk = 32 * 1024;

/// What one parse() call found.
enum class ParseStatus {
  command,    ///< One whole command; args() holds it. An empty command (`*0`, blank line) has no
              ///< args.
  need_more,  ///< The input ends inside a command; call again with the same start and more bytes.
  error,      ///< A protocol error; error() holds Redis's reply text. The connection must close.
};

/// Result of one parse() call.
struct ParseResult {
  ParseStatus status;
  std::size_t consumed;  ///< Bytes of input the command used (0 unless status is command).
};

/// Parses one command at a time from the front of a connection's unread bytes.
///
/// The caller passes the unread bytes starting at the first byte of the current command. After
/// need_more it calls again with the same bytes plus more (they may have moved in memory: the
/// parser keeps offsets, not pointers), and the parser resumes where it stopped, so no byte is
/// scanned twice. args() are views into the input (or, for inline commands, into the parser) valid
/// until the next parse() call or until the caller moves or drops the input. One parser per
/// connection; not thread-safe.
class RequestParser {
 public:
  /// `max_bulk_len` is proto-max-bulk-len.
  explicit RequestParser(std::int64_t max_bulk_len = kDefaultMaxBulkLen)
      : max_bulk_len_(max_bulk_len) {}

  /// Parses at most one command from the front of `input`.
  ParseResult parse(std::string_view input);

  /// Arguments of the command the last parse() returned.
  std::span<const std::string_view> args() const { return args_; }
  /// Redis's error reply text (without "-" and CRLF) after ParseStatus::error.
  std::string_view error() const { return error_; }
  /// After need_more: how many bytes from the command start the parser knows it needs at least.
  std::size_t bytes_wanted() const { return wanted_; }
  /// Changes proto-max-bulk-len for commands not yet started.
  void set_max_bulk_len(std::int64_t n) { max_bulk_len_ = n; }

 private:
  enum class State { start, multibulk, inline_line };

  ParseResult parse_multibulk(std::string_view in);
  ParseResult parse_inline(std::string_view in);
  ParseResult fail(std::string_view message);
  // Offset of the first '\r' at or after `start`; the search resumes where the previous call
  // stopped, so a header split across reads is not scanned again. npos if there is none yet.
  std::size_t find_cr(std::string_view in, std::size_t start);
  ParseResult finish(std::string_view in, std::size_t end);
  void reset();

  std::int64_t max_bulk_len_;
  State state_ = State::start;
  std::size_t pos_ = 0;         // Offset of the next unparsed byte from the command start.
  std::size_t scan_ = 0;        // Bytes before this offset hold no '\r' of the current line.
  std::int64_t remaining_ = 0;  // Multibulk: arguments still to read.
  std::int64_t bulk_len_ = -1;  // Multibulk: length of the bulk being read, -1 before its header.
  std::size_t wanted_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // Multibulk args as (offset, length).
  std::vector<std::string> inline_args_;                    // Inline args, unquoted.
  std::vector<std::string_view> args_;
  std::string error_;
};

/// Splits an inline command line as Redis's sdssplitargs does; false on unbalanced quotes.
bool split_inline_args(std::string_view line, std::vector<std::string>& out);
/// Appends `bytes` escaped as Redis's sdscatrepr does between its quotes (\n \r \t \a \b \"
/// \\, other bytes outside printable ASCII as \xHH), which split_inline_args reads back.
void append_escaped(std::string& out, std::string_view bytes);

/// Parses a decimal integer exactly as Redis's string2ll (no spaces, no '+', no leading zeros).
bool parse_int64(std::string_view s, std::int64_t& out);

}  // namespace kv::proto
