// Reply writer: the one place that knows how RESP2 and RESP3 differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kv::proto {

/// Appends replies to a caller-owned buffer in the connection's protocol version.
///
/// RESP3 types (maps, sets, nulls, doubles, booleans, verbatim strings) are downgraded here for
/// RESP2 clients, so command handlers never branch on the version. The caller keeps the buffer
/// alive while the writer is used. Not thread-safe.
class ReplyWriter {
 public:
  /// Writes into `out`, which is appended to, never cleared.
  explicit ReplyWriter(std::string& out, int resp = 2) : out_(&out), resp_(resp) {}

  /// Protocol version: 2 or 3.
  int resp() const { return resp_; }
  /// Switches the protocol version (HELLO).
  void set_resp(int resp) { resp_ = resp; }
  /// The buffer replies go to.
  std::string& buffer() { return *out_; }

  /// "+text".
  void simple(std::string_view text);
  /// "-text": `text` carries its code, as in "ERR syntax error".
  void error(std::string_view text);
  /// ":n".
  void integer(std::int64_t n);
  /// "$len" and the bytes.
  void bulk(std::string_view bytes);
  /// A missing value: $-1 in RESP2, _ in RESP3.
  void null();
  /// A missing array: *-1 in RESP2, _ in RESP3.
  void null_array();
  /// An array of `n` elements that follow.
  void array(std::size_t n);
  /// A map of `n` key/value pairs that follow (a flat array of 2n in RESP2).
  void map(std::size_t n);
  /// A set of `n` elements that follow (an array in RESP2).
  void set(std::size_t n);
  /// A double (a bulk string in RESP2).
  void dbl(double d);
  /// A boolean (:1 or :0 in RESP2).
  void boolean(bool b);
  /// A verbatim string of format `fmt` (3 letters, such as "txt"); a bulk string in RESP2.
  void verbatim(std::string_view fmt, std::string_view text);
  /// "+OK".
  void ok() { simple("OK"); }

 private:
  void header(char type, std::int64_t n);

  std::string* out_;
  int resp_;
};

}  // namespace kv::proto
