#include "proto/request_parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace kv::proto {

bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  std::size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  // Like string2ll, only "0" itself may start with a zero.
  if (s[i] < '1' || s[i] > '9') return false;
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr std::uint64_t kMaxPositive = std::numeric_limits<std::int64_t>::max();
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    out = v == kMaxPositive + 1 ? std::numeric_limits<std::int64_t>::min()
                                : -static_cast<std::int64_t>(v);
  } else {
    if (v > kMaxPositive) return false;
    out = static_cast<std::int64_t>(v);
  }
  return true;
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

// sdssplitargs skips isspace() between tokens but ends an unquoted token only on these four:
// "a\vb" is one argument.
bool ends_token(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads one double-quoted token starting after the opening quote; returns the index after the
// closing quote, or npos on an unbalanced or badly closed quote.
std::size_t read_double_quoted(std::string_view line, std::size_t i, std::string& token) {
  while (i < line.size()) {
    const char c = line[i];
    if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && hex_value(line[i + 2]) >= 0 &&
        hex_value(line[i + 3]) >= 0) {
      token.push_back(static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
      i += 4;
    } else if (c == '\\' && i + 1 < line.size()) {
      const char e = line[i + 1];
      switch (e) {
        case 'n':
          token.push_back('\n');
          break;
        case 'r':
          token.push_back('\r');
          break;
        case 't':
          token.push_back('\t');
          break;
        case 'b':
          token.push_back('\b');
          break;
        case 'a':
          token.push_back('\a');
          break;
        default:
          token.push_back(e);
          break;
      }
      i += 2;
    } else if (c == '"') {
      // The closing quote must be followed by a space or the end of the line.
      if (i + 1 < line.size() && !is_space(line[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      token.push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;
}

std::size_t read_single_quoted(std::string_view line, std::size_t i, std::string& token) {
  while (i < line.size()) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
      token.push_back('\'');
      i += 2;
    } else if (c == '\'') {
      if (i + 1 < line.size() && !is_space(line[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      token.push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool split_inline_args(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  // sdssplitargs works on a C string: a NUL ends the line.
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    line = line.substr(0, static_cast<std::size_t>(static_cast<const char*>(nul) - line.data()));
  }
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) return true;
    std::string token;
    while (i < line.size() && !ends_token(line[i])) {
      if (line[i] == '"') {
        i = read_double_quoted(line, i + 1, token);
      } else if (line[i] == '\'') {
        i = read_single_quoted(line, i + 1, token);
      } else {
        token.push_back(line[i++]);
        continue;
      }
      if (i == std::string_view::npos) {
        out.clear();
        return false;
      }
      break;  // A quoted part ends the token.
    }
    out.push_back(std::move(token));
  }
}

std::size_t RequestParser::find_cr(std::string_view in, std::size_t start) {
  const std::size_t from = std::max(start, scan_);
  const void* cr = std::memchr(in.data() + from, '\r', in.size() - from);
  if (cr == nullptr) {
    scan_ = in.size();
    return std::string_view::npos;
  }
  scan_ = static_cast<std::size_t>(static_cast<const char*>(cr) - in.data());
  return scan_;
}

void RequestParser::reset() {
  state_ = State::start;
  pos_ = 0;
  scan_ = 0;
  remaining_ = 0;
  bulk_len_ = -1;
  wanted_ = 0;
  spans_.clear();
}

ParseResult RequestParser::fail(std::string_view message) {
  error_.assign(message);
  reset();
  return {ParseStatus::error, 0};
}

ParseResult RequestParser::parse(std::string_view in) {
  args_.clear();
  if (state_ == State::start) {
    if (in.empty()) return {ParseStatus::need_more, 0};
    state_ = in[0] == '*' ? State::multibulk : State::inline_line;
  }
  return state_ == State::multibulk ? parse_multibulk(in) : parse_inline(in);
}

ParseResult RequestParser::parse_inline(std::string_view in) {
  const void* nl = std::memchr(in.data() + pos_, '\n', in.size() - pos_);
  if (nl == nullptr) {
    if (in.size() > kInlineMax) return fail("ERR Protocol error: too big inline request");
    pos_ = in.size();
    return {ParseStatus::need_more, 0};
  }
  const std::size_t end = static_cast<const char*>(nl) - in.data();
  std::size_t line_len = end;
  if (line_len > 0 && in[line_len - 1] == '\r') --line_len;
  if (!split_inline_args(in.substr(0, line_len), inline_args_)) {
    return fail("ERR Protocol error: unbalanced quotes in request");
  }
  reset();
  args_.assign(inline_args_.begin(), inline_args_.end());
  return {ParseStatus::command, end + 1};
}

ParseResult RequestParser::finish(std::string_view in, std::size_t end) {
  args_.reserve(spans_.size());
  for (const auto& [offset, len] : spans_) args_.emplace_back(in.data() + offset, len);
  reset();
  return {ParseStatus::command, end};
}

ParseResult RequestParser::parse_multibulk(std::string_view in) {
  if (pos_ == 0) {
    // The count line "*<n>\r\n". Like Redis, look for '\r' and trust the byte after it.
    const std::size_t cr_at = find_cr(in, 0);
    if (cr_at == std::string_view::npos) {
      if (in.size() > kInlineMax) return fail("ERR Protocol error: too big mbulk count string");
      return {ParseStatus::need_more, 0};
    }
    if (cr_at + 2 > in.size()) return {ParseStatus::need_more, 0};
    std::int64_t count = 0;
    if (!parse_int64(in.substr(1, cr_at - 1), count) || count > kMaxMultibulkLen) {
      return fail("ERR Protocol error: invalid multibulk length");
    }
    pos_ = cr_at + 2;
    if (count <= 0) return finish(in, pos_);  // "*0" and "*-1" are empty commands.
    remaining_ = count;
    spans_.reserve(static_cast<std::size_t>(std::min<std::int64_t>(count, 1024)));
  }
  while (remaining_ > 0) {
    if (bulk_len_ < 0) {
      const std::string_view rest = in.substr(pos_);
      const std::size_t found = find_cr(in, pos_);
      if (found == std::string_view::npos) {
        if (rest.size() > kInlineMax) return fail("ERR Protocol error: too big bulk count string");
        return {ParseStatus::need_more, 0};
      }
      const std::size_t cr_at = found - pos_;
      if (cr_at + 2 > rest.size()) return {ParseStatus::need_more, 0};
      if (rest[0] != '$') {
        // Like Redis's addReplyErrorFormat, CR and LF become spaces: the reply stays one line.
        const char got = rest[0] == '\r' || rest[0] == '\n' ? ' ' : rest[0];
        return fail(std::string("ERR Protocol error: expected '$', got '") + got + "'");
      }
      std::int64_t len = 0;
      if (!parse_int64(rest.substr(1, cr_at - 1), len) || len < 0 || len > max_bulk_len_) {
        return fail("ERR Protocol error: invalid bulk length");
      }
      pos_ += cr_at + 2;
      bulk_len_ = len;
    }
    const std::size_t need = pos_ + static_cast<std::size_t>(bulk_len_) + 2;
    if (in.size() < need) {
      wanted_ = need;
      return {ParseStatus::need_more, 0};
    }
    // Like Redis, the two bytes after the payload are skipped, not checked.
    spans_.emplace_back(pos_, static_cast<std::size_t>(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
    --remaining_;
  }
  return finish(in, pos_);
}

void append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        // Printable ASCII only, whatever the locale, so the output is the same everywhere.
        if (c >= 0x20 && c < 0x7f) {
          out += c;
        } else {
          const auto u = static_cast<unsigned char>(c);
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        }
    }
  }
}

}  // namespace kv::proto
