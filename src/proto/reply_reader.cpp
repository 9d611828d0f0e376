#include "proto/reply_reader.hpp"

#include <cstring>

#include "proto/reply_writer.hpp"
#include "proto/request_parser.hpp"

namespace kv::proto {
namespace {

constexpr int kMaxDepth = 64;

// Recursive descent over one reply starting at `pos`; advances `pos` past it.
ReadStatus read_one(std::string_view in, std::size_t& pos, Reply& out, int depth) {
  if (depth > kMaxDepth) return ReadStatus::error;
  if (pos >= in.size()) return ReadStatus::need_more;
  const void* cr = std::memchr(in.data() + pos, '\r', in.size() - pos);
  if (cr == nullptr) return ReadStatus::need_more;
  const std::size_t cr_at = static_cast<std::size_t>(static_cast<const char*>(cr) - in.data());
  if (cr_at + 1 >= in.size()) return ReadStatus::need_more;
  if (in[cr_at + 1] != '\n') return ReadStatus::error;
  const char type = in[pos];
  const std::string_view line = in.substr(pos + 1, cr_at - pos - 1);
  const std::size_t after = cr_at + 2;
  std::int64_t n = 0;
  // Single-line replies: the line is the whole value.
  switch (type) {
    case '+':
    case '-':
    case ',':
    case '(':
    case '_':
    case '#':
    case ':':
      out.type = type == '+'   ? Reply::Type::simple
                 : type == '-' ? Reply::Type::error
                 : type == ',' ? Reply::Type::dbl
                 : type == '(' ? Reply::Type::big_number
                 : type == '_' ? Reply::Type::null
                 : type == '#' ? Reply::Type::boolean
                               : Reply::Type::integer;
      if (type == ':' && !parse_int64(line, n)) return ReadStatus::error;
      out.integer = type == '#' ? (line == "t" ? 1 : 0) : n;
      if (type != '_' && type != '#' && type != ':') out.str.assign(line);
      pos = after;
      return ReadStatus::reply;
    default:
      break;
  }
  switch (type) {
    case '$':
    case '=':
    case '!': {
      if (!parse_int64(line, n) || n < -1) return ReadStatus::error;
      if (n == -1) {
        out.type = Reply::Type::null;
        pos = after;
        return ReadStatus::reply;
      }
      const std::size_t len = static_cast<std::size_t>(n);
      if (in.size() < after + len + 2) return ReadStatus::need_more;
      std::string_view body = in.substr(after, len);
      out.type = type == '$'   ? Reply::Type::bulk
                 : type == '=' ? Reply::Type::verbatim
                               : Reply::Type::error;
      if (type == '=' && body.size() >= 4) body.remove_prefix(4);
      out.str.assign(body);
      pos = after + len + 2;
      return ReadStatus::reply;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      // A map counts pairs: 2 * n must not overflow.
      if (!parse_int64(line, n) || n < -1 || (type == '%' && n > INT64_MAX / 2)) {
        return ReadStatus::error;
      }
      if (n == -1) {
        out.type = Reply::Type::null;
        pos = after;
        return ReadStatus::reply;
      }
      out.type = type == '*'   ? Reply::Type::array
                 : type == '~' ? Reply::Type::set
                 : type == '>' ? Reply::Type::push
                               : Reply::Type::map;
      const std::int64_t count = type == '%' ? 2 * n : n;
      out.elements.clear();
      pos = after;
      for (std::int64_t i = 0; i < count; ++i) {
        Reply child;
        const ReadStatus s = read_one(in, pos, child, depth + 1);
        if (s != ReadStatus::reply) return s;
        out.elements.push_back(std::move(child));
      }
      return ReadStatus::reply;
    }
    default:
      return ReadStatus::error;
  }
}

template <class Strings>
std::string encode(const Strings& args) {
  std::string out;
  ReplyWriter writer(out);
  writer.array(args.size());
  for (const auto& a : args) writer.bulk(std::string_view(a.data(), a.size()));
  return out;
}

}  // namespace

ReadStatus ReplyReader::parse(std::string_view in, Reply& out, std::size_t& consumed) {
  std::size_t pos = 0;
  const ReadStatus s = read_one(in, pos, out, 0);
  if (s == ReadStatus::reply) consumed = pos;
  return s;
}

std::string encode_command(std::span<const std::string_view> args) { return encode(args); }
std::string encode_command(std::span<const std::string> args) { return encode(args); }

}  // namespace kv::proto
