#include "proto/reply_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kv::proto {

void ReplyWriter::header(char type, std::int64_t n) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<std::size_t>(end - buf));
}

void ReplyWriter::simple(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::error(std::string_view text) {
  out_->push_back('-');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::integer(std::int64_t n) { header(':', n); }

void ReplyWriter::bulk(std::string_view bytes) {
  header('$', static_cast<std::int64_t>(bytes.size()));
  out_->append(bytes);
  out_->append("\r\n");
}

void ReplyWriter::null() {
  using namespace std::string_view_literals;
  out_->append(resp_ == 3 ? "_\r\n"sv : "$-1\r\n"sv);
}

void ReplyWriter::null_array() {
  using namespace std::string_view_literals;
  out_->append(resp_ == 3 ? "_\r\n"sv : "*-1\r\n"sv);
}

void ReplyWriter::array(std::size_t n) { header('*', static_cast<std::int64_t>(n)); }

void ReplyWriter::map(std::size_t n) {
  if (resp_ == 3) {
    header('%', static_cast<std::int64_t>(n));
  } else {
    header('*', static_cast<std::int64_t>(2 * n));
  }
}

void ReplyWriter::set(std::size_t n) {
  header(resp_ == 3 ? '~' : '*', static_cast<std::int64_t>(n));
}

void ReplyWriter::dbl(double d) {
  char buf[64];
  int len;
  if (std::isinf(d)) {
    len = std::snprintf(buf, sizeof(buf), "%s", d > 0 ? "inf" : "-inf");
  } else {
    len = std::snprintf(buf, sizeof(buf), "%.17g", d);
  }
  const std::string_view text(buf, static_cast<std::size_t>(len));
  if (resp_ == 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    bulk(text);
  }
}

void ReplyWriter::boolean(bool b) {
  if (resp_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::verbatim(std::string_view fmt, std::string_view text) {
  if (resp_ != 3) {
    bulk(text);
    return;
  }
  header('=', static_cast<std::int64_t>(text.size() + 4));
  out_->append(fmt.substr(0, 3));
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n");
}

}  // namespace kv::proto
