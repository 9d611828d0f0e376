// The string-manipulation family: APPEND, STRLEN, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT,
// GETRANGE, SUBSTR, SETRANGE, LCS. Values are bytes; replies and errors are Redis 7.0's.
//
// Writers run their read-modify-write inside Store::update, under the key's stripe lock: the new
// value is built there and stored with KeyRef::set_keep_ttl, so every write keeps the key's TTL,
// as Redis's in-place updates do.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "cmd/args.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"

namespace kv::cmd {
namespace {

/// What a store operation of this family returns: an error text (empty on success) or a number.
struct Outcome {
  std::string_view error;  ///< One of the kErr constants, or empty.
  std::int64_t value = 0;  ///< The integer reply on success.
};

/// Redis's MAX_LONG_DOUBLE_CHARS: the longest float argument (exclusive) and formatted value.
constexpr std::size_t kMaxLongDoubleChars = 5 * 1024;

void count_read(Call& c, bool hit) {
  c.server.stats.add(hit ? kStatKeyspaceHits : kStatKeyspaceMisses);
}

std::int64_t max_bulk_len(const Call& c) {
  return c.server.settings.proto_max_bulk_len.load(std::memory_order_relaxed);
}

// Redis's checkStringLength: a string built from `size` bytes plus `extra` may not exceed
// proto-max-bulk-len. Both are non-negative, and their sum cannot overflow 64 bits unsigned.
bool too_long(std::uint64_t size, std::uint64_t extra, std::int64_t max) {
  return size + extra > static_cast<std::uint64_t>(max);
}

void reply(Call& c, const Outcome& r) {
  if (r.error.empty()) {
    c.out.integer(r.value);
  } else {
    c.out.error(r.error);
  }
}

// ---- APPEND, STRLEN ----

void append_cmd(Call& c) {
  const std::string_view tail = c.args[2];
  const std::int64_t max = max_bulk_len(c);
  reply(c, c.db().update(c.args[1], [&](store::KeyRef& k) -> Outcome {
    if (!k.exists()) {
      // Redis creates the key even for an empty value, and checks no length here.
      k.set(tail, 0);
      return {{}, static_cast<std::int64_t>(tail.size())};
    }
    const std::string_view old = k.value();
    if (too_long(old.size(), tail.size(), max)) return {kErrStringTooLong};
    const auto total = static_cast<std::int64_t>(old.size() + tail.size());
    if (tail.empty()) return {{}, total};
    k.write_at(old.size(), tail);  // In place when the value has room: amortised O(tail).
    return {{}, total};
  }));
}

void strlen_cmd(Call& c) {
  std::size_t len = 0;
  const bool hit = c.db().get(c.args[1], [&](std::string_view v) { len = v.size(); });
  c.out.integer(static_cast<std::int64_t>(len));
  count_read(c, hit);
}

// ---- INCR, DECR, INCRBY, DECRBY ----

// Redis's incrDecrCommand: the stored value must parse as string2ll does, and the sum must fit.
void incr_by(Call& c, std::int64_t delta) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  reply(c, c.db().update(c.args[1], [&](store::KeyRef& k) -> Outcome {
    std::int64_t value = 0;
    if (k.exists() && !proto::parse_int64(k.value(), value)) return {kErrNotInteger};
    if ((delta < 0 && value < 0 && delta < kMin - value) ||
        (delta > 0 && value > 0 && delta > kMax - value)) {
      return {kErrIncrOverflow};
    }
    value += delta;
    char text[24];
    const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
    k.set_keep_ttl(std::string_view(text, static_cast<std::size_t>(end - text)));
    return {{}, value};
  }));
}

void incr_cmd(Call& c) { incr_by(c, 1); }

void decr_cmd(Call& c) { incr_by(c, -1); }

void incrby_cmd(Call& c) {
  if (const auto delta = int64_arg_or_reply(c, c.args[2])) incr_by(c, *delta);
}

void decrby_cmd(Call& c) {
  const auto parsed = int64_arg_or_reply(c, c.args[2]);
  if (!parsed) return;
  const std::int64_t delta = *parsed;
  // Negating INT64_MIN overflows: Redis refuses it with its own error, before reading the key.
  if (delta == std::numeric_limits<std::int64_t>::min()) {
    c.out.error(kErrDecrOverflow);
    return;
  }
  incr_by(c, -delta);
}

// ---- INCRBYFLOAT ----

// Redis's string2ld: strtold over the whole string, which may not start with a space; overflow,
// underflow to zero and NaN are refused, while "inf" and hexadecimal floats are accepted.
bool parse_long_double(std::string_view s, long double& out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  char buf[kMaxLongDoubleChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  const long double value = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || end != buf + s.size() ||
      (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || value == 0)) ||
      errno == EINVAL || std::isnan(value)) {
    return false;
  }
  out = value;
  return true;
}

// Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf", then trailing zeros and a bare point go, and
// "-0" becomes "0". `buf` holds kMaxLongDoubleChars, enough for any finite long double; returns
// the length (0 if it did not fit, where Redis stores an empty string too).
std::size_t format_long_double(long double value, char* buf) {
  const int n = std::snprintf(buf, kMaxLongDoubleChars, "%.17Lf", value);
  if (n < 0 || static_cast<std::size_t>(n) + 1 > kMaxLongDoubleChars) return 0;
  auto len = static_cast<std::size_t>(n);
  if (std::memchr(buf, '.', len) != nullptr) {
    while (buf[len - 1] == '0') --len;
    if (buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  return len;
}

void incrbyfloat_cmd(Call& c) {
  // Redis reads the stored value before the increment; both fail with the same error and
  // change nothing, so the order cannot be seen, and the argument is parsed outside the lock.
  long double incr = 0;
  if (!parse_long_double(c.args[2], incr)) {
    c.out.error(kErrNotFloat);
    return;
  }
  char text[kMaxLongDoubleChars];
  std::size_t len = 0;
  const std::string_view error =
      c.db().update(c.args[1], [&](store::KeyRef& k) -> std::string_view {
        long double value = 0;
        if (k.exists() && !parse_long_double(k.value(), value)) return kErrNotFloat;
        value += incr;
        if (std::isnan(value) || std::isinf(value)) return kErrNanOrInf;
        len = format_long_double(value, text);
        // Logged as the value it produced, as Redis does: a replay must not redo float math.
        if (c.logging())
          c.log_as({"SET", std::string(c.args[1]), std::string(text, len), "KEEPTTL"});
        k.set_keep_ttl(std::string_view(text, len));
        return {};
      });
  if (!error.empty()) {
    c.out.error(error);
    return;
  }
  c.out.bulk(std::string_view(text, len));
}

// ---- GETRANGE, SUBSTR, SETRANGE ----

// Redis 7.0's getrangeCommand: negative indexes count from the end, both are clamped into the
// string, and two negative indexes with start > end select nothing.
std::string_view substring(std::string_view v, std::int64_t start, std::int64_t end) {
  const auto len = static_cast<std::int64_t>(v.size());
  if (start < 0 && end < 0 && start > end) return {};
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return {};
  return v.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1));
}

void getrange_cmd(Call& c) {
  const auto start_arg = int64_arg_or_reply(c, c.args[2]);
  if (!start_arg) return;
  const auto end_arg = int64_arg_or_reply(c, c.args[3]);
  if (!end_arg) return;
  const std::int64_t start = *start_arg;
  const std::int64_t end = *end_arg;
  // Like GET, the reply is written from the entry under the stripe's shared lock.
  const bool hit =
      c.db().get(c.args[1], [&](std::string_view v) { c.out.bulk(substring(v, start, end)); });
  if (!hit) c.out.bulk({});
  count_read(c, hit);
}

void setrange_cmd(Call& c) {
  const auto parsed = int64_arg_or_reply(c, c.args[2]);
  if (!parsed) return;
  const std::int64_t offset = *parsed;
  if (offset < 0) {
    c.out.error(kErrOffsetRange);
    return;
  }
  const std::string_view patch = c.args[3];
  const std::int64_t max = max_bulk_len(c);
  const auto at = static_cast<std::uint64_t>(offset);
  reply(c, c.db().update(c.args[1], [&](store::KeyRef& k) -> Outcome {
    const std::string_view old = k.exists() ? k.value() : std::string_view();
    // An empty patch changes nothing and creates no key, whatever the offset.
    if (patch.empty()) return {{}, static_cast<std::int64_t>(old.size())};
    if (too_long(at, patch.size(), max)) return {kErrStringTooLong};
    return {{}, static_cast<std::int64_t>(k.write_at(static_cast<std::size_t>(at), patch))};
  }));
}

// ---- LCS ----

/// LCS's options.
struct LcsOptions {
  bool len = false;                ///< LEN: reply only the length.
  bool idx = false;                ///< IDX: reply the matching ranges.
  bool with_match_len = false;     ///< WITHMATCHLEN: add each range's length.
  std::int64_t min_match_len = 0;  ///< MINMATCHLEN: shortest range reported.
};

/// One range of LCS IDX: a[a_start..a_end] equals b[b_start..b_end], inclusive.
struct LcsMatch {
  std::size_t a_start, a_end, b_start, b_end;
};

/// One key's value copied out of the store, or only its size when the value alone is too long
/// for LCS's table (which then fails before the bytes are needed).
struct LcsInput {
  std::string bytes;
  std::uint64_t size = 0;
};

// Redis compares option words with strcasecmp on C strings, so a word ends at its first NUL.
bool option_is(std::string_view arg, std::string_view word) {
  return NameEq{}(arg.substr(0, arg.find('\0')), word);
}

// Parses c.args[3...] as Redis's lcsCommand does: each bad word fails at once; the LEN and IDX
// conflict is checked only after every option was read.
bool parse_lcs_options(Call& c, LcsOptions& o) {
  for (std::size_t j = 3; j < c.args.size(); ++j) {
    const std::string_view opt = c.args[j];
    if (option_is(opt, "idx")) {
      o.idx = true;
    } else if (option_is(opt, "len")) {
      o.len = true;
    } else if (option_is(opt, "withmatchlen")) {
      o.with_match_len = true;
    } else if (option_is(opt, "minmatchlen") && j + 1 < c.args.size()) {
      const auto n = int64_arg_or_reply(c, c.args[++j]);
      if (!n) return false;
      o.min_match_len = *n;
      if (o.min_match_len < 0) o.min_match_len = 0;
    } else {
      c.out.error(kErrSyntax);
      return false;
    }
  }
  if (o.idx && o.len) {
    c.out.error(kErrLcsIdxAndLen);
    return false;
  }
  return true;
}

LcsInput read_lcs_input(Call& c, std::string_view key, std::uint64_t max_cells) {
  LcsInput in;
  const bool hit = c.db().get(key, [&](std::string_view v) {
    in.size = v.size();
    if (in.size + 1 <= max_cells) in.bytes.assign(v);
  });
  count_read(c, hit);
  return in;
}

// The dynamic-programming table: t[i * (b.size() + 1) + j] is the LCS length of a[0, i) and
// b[0, j).
void fill_lcs_table(std::string_view a, std::string_view b, std::uint32_t* t) {
  const std::size_t w = b.size() + 1;
  for (std::size_t i = 0; i <= a.size(); ++i) {
    for (std::size_t j = 0; j <= b.size(); ++j) {
      if (i == 0 || j == 0) {
        t[i * w + j] = 0;
      } else if (a[i - 1] == b[j - 1]) {
        t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
      } else {
        t[i * w + j] = std::max(t[(i - 1) * w + j], t[i * w + j - 1]);
      }
    }
  }
}

// Walks the table back from the end as Redis does, collecting the common subsequence into
// `text` and, with IDX, the ranges (last first) of at least `min_len` bytes into `matches`.
void walk_lcs_table(std::string_view a, std::string_view b, const std::uint32_t* t,
                    std::int64_t min_len, std::string& text, std::vector<LcsMatch>& matches) {
  const std::size_t w = b.size() + 1;
  std::size_t left = t[a.size() * w + b.size()];
  text.assign(left, '\0');
  const std::size_t none = a.size();  // a_start == none: no range is open.
  LcsMatch r{none, 0, 0, 0};
  std::size_t i = a.size();
  std::size_t j = b.size();
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      text[--left] = a[i - 1];
      if (r.a_start == none) {
        r = {i - 1, i - 1, j - 1, j - 1};
      } else if (r.a_start == i && r.b_start == j) {
        --r.a_start;  // The range grows backwards while matches stay contiguous.
        --r.b_start;
      } else {
        emit = true;
      }
      if (r.a_start == 0 || r.b_start == 0) emit = true;
      --i;
      --j;
    } else {
      if (t[(i - 1) * w + j] > t[i * w + j - 1]) {
        --i;
      } else {
        --j;
      }
      if (r.a_start != none) emit = true;
    }
    if (emit) {
      const auto match_len = static_cast<std::int64_t>(r.a_end - r.a_start + 1);
      if (min_len == 0 || match_len >= min_len) matches.push_back(r);
      r.a_start = none;
    }
  }
}

void reply_lcs_idx(Call& c, const LcsOptions& o, const std::vector<LcsMatch>& matches,
                   std::uint32_t total) {
  c.out.map(2);
  c.out.bulk("matches");
  c.out.array(matches.size());
  for (const LcsMatch& m : matches) {
    c.out.array(o.with_match_len ? 3 : 2);
    c.out.array(2);
    c.out.integer(static_cast<std::int64_t>(m.a_start));
    c.out.integer(static_cast<std::int64_t>(m.a_end));
    c.out.array(2);
    c.out.integer(static_cast<std::int64_t>(m.b_start));
    c.out.integer(static_cast<std::int64_t>(m.b_end));
    if (o.with_match_len) c.out.integer(static_cast<std::int64_t>(m.a_end - m.a_start + 1));
  }
  c.out.bulk("len");
  c.out.integer(total);
}

// Redis reads both keys before it parses the options, so both count as keyspace hits or misses
// even when the options are wrong. The table of (|a|+1)(|b|+1) 32-bit cells may not exceed
// proto-max-bulk-len bytes.
void lcs_cmd(Call& c) {
  const auto max_cells = static_cast<std::uint64_t>(max_bulk_len(c)) / sizeof(std::uint32_t);
  const LcsInput a = read_lcs_input(c, c.args[1], max_cells);
  const LcsInput b = read_lcs_input(c, c.args[2], max_cells);
  LcsOptions o;
  if (!parse_lcs_options(c, o)) return;
  // (|a|+1)(|b|+1) > max_cells, written so that it cannot overflow.
  if (a.size + 1 > max_cells || b.size + 1 > max_cells / (a.size + 1)) {
    c.out.error(kErrLcsTooBig);
    return;
  }
  const std::size_t cells = (a.bytes.size() + 1) * (b.bytes.size() + 1);
  const std::unique_ptr<std::uint32_t[]> table(new (std::nothrow) std::uint32_t[cells]);
  if (!table) {
    c.out.error(kErrLcsNoMemory);
    return;
  }
  fill_lcs_table(a.bytes, b.bytes, table.get());
  const std::uint32_t total = table[cells - 1];
  if (o.len) {
    c.out.integer(total);
    return;
  }
  std::string text;
  std::vector<LcsMatch> matches;
  walk_lcs_table(a.bytes, b.bytes, table.get(), o.min_match_len, text, matches);
  if (o.idx) {
    reply_lcs_idx(c, o, matches, total);
  } else {
    c.out.bulk(text);
  }
}

const CommandSpec kCommands[] = {
    {"append", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, append_cmd, "string",
     "Appends a string to the value of a key. Creates the key if it doesn't exist."},
    {"strlen", 2, kReadonly | kFast, "@read @string @fast", 1, 1, 1, strlen_cmd, "string",
     "Returns the length of a string value."},
    {"incr", 2, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, incr_cmd, "string",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist."},
    {"decr", 2, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, decr_cmd, "string",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist."},
    {"incrby", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, incrby_cmd, "string",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist."},
    {"decrby", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, decrby_cmd, "string",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
     "doesn't exist."},
    {"incrbyfloat", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, incrbyfloat_cmd,
     "string",
     "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
     "key doesn't exist."},
    {"getrange", 4, kReadonly, "@read @string @slow", 1, 1, 1, getrange_cmd, "string",
     "Returns a substring of the string stored at a key."},
    {"substr", 4, kReadonly, "@read @string @slow", 1, 1, 1, getrange_cmd, "string",
     "Returns a substring from a string value."},
    {"setrange", 4, kWrite | kDenyOom, "@write @string @slow", 1, 1, 1, setrange_cmd, "string",
     "Overwrites a part of a string value with another by an offset. Creates the key if it "
     "doesn't exist."},
    {"lcs", -3, kReadonly, "@read @string @slow", 1, 2, 1, lcs_cmd, "string",
     "Finds the longest common substring."},
};

}  // namespace

std::span<const CommandSpec> string_ops_commands() { return kCommands; }

}  // namespace kv::cmd
