// Reply reader for clients (the kv CLI and tests): RESP2 and RESP3 replies into a tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv::proto {

/// One reply, with its nested elements for aggregates.
struct Reply {
  /// The RESP type the reply arrived as.
  enum class Type {
    simple,
    error,
    integer,
    bulk,
    null,
    array,
    map,
    set,
    push,
    dbl,
    boolean,
    verbatim,
    big_number
  };
  Type type = Type::null;
  std::string str;              ///< simple, error, bulk, verbatim (without "txt:"), dbl, big_number
  std::int64_t integer = 0;     ///< integer; boolean as 0 or 1
  std::vector<Reply> elements;  ///< array, set, push; map as key, value, key, value ...
};

/// What one ReplyReader::parse() call found.
enum class ReadStatus { reply, need_more, error };

/// Reads whole replies from the front of a buffer. Stateless between calls: a partial reply is
/// parsed again from its start when more bytes arrive, which is fine on the client side.
class ReplyReader {
 public:
  /// Parses one reply from the front of `in`; on ReadStatus::reply sets `consumed`.
  static ReadStatus parse(std::string_view in, Reply& out, std::size_t& consumed);
};

/// Encodes a command as a RESP multibulk request.
std::string encode_command(std::span<const std::string_view> args);
/// Encodes a command as a RESP multibulk request.
std::string encode_command(std::span<const std::string> args);

}  // namespace kv::proto
