// Argument parsing shared by handlers, with Redis's replies on failure.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cmd/command.hpp"
#include "cmd/errors.hpp"
#include "proto/request_parser.hpp"

namespace kv::cmd {

/// Redis's getLongLongFromObjectOrReply: a 64-bit integer, or the reply "not an integer" and
/// nothing.
inline std::optional<std::int64_t> int64_arg_or_reply(Call& c, std::string_view arg) {
  std::int64_t n = 0;
  if (proto::parse_int64(arg, n)) return n;
  c.out.error(kErrNotInteger);
  return std::nullopt;
}

/// Redis's getIntFromObjectOrReply: a 32-bit integer, or the reply "not an integer" / "out of
/// range" and nothing. A non-empty `msg` replaces both errors (as SWAPDB's "invalid first DB
/// index").
inline std::optional<int> int_arg_or_reply(Call& c, std::string_view arg,
                                           std::string_view msg = {}) {
  std::int64_t n = 0;
  if (!proto::parse_int64(arg, n)) {
    c.out.error(msg.empty() ? kErrNotInteger : std::string("ERR ") + std::string(msg));
    return std::nullopt;
  }
  if (n < INT_MIN || n > INT_MAX) {
    c.out.error(msg.empty() ? kErrIntRange : std::string("ERR ") + std::string(msg));
    return std::nullopt;
  }
  return static_cast<int>(n);
}

/// A database number argument: an int, then within --databases ("DB index is out of range").
inline std::optional<int> db_arg_or_reply(Call& c, std::string_view arg,
                                          std::string_view msg = {}) {
  const auto db = int_arg_or_reply(c, arg, msg);
  if (!db) return std::nullopt;
  if (*db < 0 || static_cast<std::size_t>(*db) >= c.server.databases.count()) {
    c.out.error(kErrDbIndex);
    return std::nullopt;
  }
  return db;
}

}  // namespace kv::cmd
