// AOF reader: one pass over a whole buffer, unit by unit.
#include "persist/aof_reader.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "persist/crc64.hpp"

namespace kv::persist {
namespace {

// What parsing one command or annotation found.
enum class Step : std::uint8_t { done, need_more, bad };

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether `s` holds "\r\n*<digits>\r\n$": the start of a command after the end of a bulk.
bool holds_command_start(std::string_view s) {
  for (std::size_t p = s.find("\r\n*"); p != std::string_view::npos; p = s.find("\r\n*", p + 1)) {
    std::size_t q = p + 3;
    while (q < s.size() && is_digit(s[q])) ++q;
    if (q > p + 3 && s.substr(q, 3) == "\r\n$") return true;
  }
  return false;
}

// The parse of one buffer. Positions only move forward; every byte is looked at a bounded number
// of times (the safety scan of a cut command looks at that command's bytes once more).
class Parser {
 public:
  Parser(std::string_view data, const AofUnitCallback& on_unit, const AofReadOptions& options)
      : data_(data), on_unit_(on_unit), options_(options) {}

  AofReadResult run();

 private:
  std::string at(std::uint64_t offset) const { return " at offset " + std::to_string(offset); }
  Step bad(std::uint64_t offset, const std::string& what) {
    bad_offset_ = offset;
    bad_message_ = what + at(offset);
    return Step::bad;
  }
  Step number(char prefix, std::uint64_t limit, std::string_view what, std::uint64_t& value);
  Step command(AofCommand& out);
  Step annotation();
  Step need_more_in_command(std::uint64_t start);
  AofCommand& next_slot();
  bool deliver();
  void finish(AofReadStatus status, std::uint64_t error_offset, std::string message);

  std::string_view data_;
  const AofUnitCallback& on_unit_;
  const AofReadOptions& options_;
  AofReadResult result_;
  std::size_t pos_ = 0;
  std::vector<AofCommand> unit_;  // Slots reused across units, so their capacity is kept.
  std::size_t unit_size_ = 0;
  // Of the command being parsed: where its first payload starts and its last '$' is (npos: none).
  std::size_t first_payload_ = std::string_view::npos;
  std::size_t last_bulk_ = std::string_view::npos;
  std::uint64_t bad_offset_ = 0;
  std::string bad_message_;
  std::size_t chunk_start_ = 0;  // Where the bytes the next checksum line covers start.
};

// Reads "<prefix><digits>\r\n" at pos_.
Step Parser::number(char prefix, std::uint64_t limit, std::string_view what, std::uint64_t& value) {
  const std::size_t start = pos_;
  if (pos_ == data_.size()) return Step::need_more;
  if (data_[pos_] != prefix) return bad(pos_, std::string("expected '") + prefix + "'");
  ++pos_;
  value = 0;
  std::size_t digits = 0;
  for (; pos_ < data_.size() && is_digit(data_[pos_]); ++pos_, ++digits) {
    const auto d = static_cast<std::uint64_t>(data_[pos_] - '0');
    // Checked before multiplying, so no limit can overflow; over 20 digits (leading zeros) is
    // nonsense whatever the value.
    if (d > limit || value > (limit - d) / 10 || digits >= 20) {
      return bad(start, std::string(what) + " over the limit " + std::to_string(limit));
    }
    value = value * 10 + d;
  }
  if (pos_ == data_.size()) return Step::need_more;
  if (digits == 0) return bad(pos_, "expected a digit");
  if (data_[pos_] != '\r') return bad(pos_, "expected '\\r\\n'");
  if (pos_ + 1 == data_.size()) return Step::need_more;
  if (data_[pos_ + 1] != '\n') return bad(pos_ + 1, "expected '\\n'");
  pos_ += 2;
  return Step::done;
}

// Parses one command at pos_ into `out`; on need_more or bad, pos_ is meaningless.
Step Parser::command(AofCommand& out) {
  const std::size_t start = pos_;
  first_payload_ = last_bulk_ = std::string_view::npos;
  std::uint64_t argc = 0;
  Step s = number('*', options_.max_args, "argument count", argc);
  if (s != Step::done) return s == Step::need_more ? need_more_in_command(start) : s;
  if (argc == 0) return bad(start, "empty command (argument count 0)");
  out.clear();
  // Never reserve more than the bytes left could hold (each argument takes at least 6 bytes).
  const std::uint64_t left = data_.size() - pos_;
  out.reserve(static_cast<std::size_t>(argc < left / 6 ? argc : left / 6));
  for (std::uint64_t i = 0; i < argc; ++i) {
    last_bulk_ = pos_;
    std::uint64_t len = 0;
    s = number('$', options_.max_bulk_len, "bulk length", len);
    if (s != Step::done) return s == Step::need_more ? need_more_in_command(start) : s;
    if (first_payload_ == std::string_view::npos) first_payload_ = pos_;
    const std::size_t avail = data_.size() - pos_;
    if (avail < len) return need_more_in_command(start);
    const std::size_t end = pos_ + static_cast<std::size_t>(len);
    if (avail >= len + 1 && data_[end] != '\r') return bad(end, "expected '\\r\\n' after a bulk");
    if (avail >= len + 2 && data_[end + 1] != '\n')
      return bad(end + 1, "expected '\\n' after a bulk");
    if (avail < len + 2) return need_more_in_command(start);
    out.push_back(data_.substr(pos_, static_cast<std::size_t>(len)));
    pos_ = end + 2;
  }
  return Step::done;
}

// The data ends inside the command at `start`: a cut tail, unless the bytes after its first
// payload show that a length was damaged (see holds_command_start).
Step Parser::need_more_in_command(std::uint64_t start) {
  if (first_payload_ != std::string_view::npos &&
      holds_command_start(data_.substr(first_payload_))) {
    return bad(last_bulk_,
               "damaged bulk length (it runs past the end of the file, yet a command follows it)");
  }
  bad_offset_ = start;
  bad_message_ = "unexpected end of file in a command" + at(start);
  return Step::need_more;
}

// Skips one annotation line at pos_; a checksum line is checked first.
Step Parser::annotation() {
  const std::size_t start = pos_;
  const std::size_t window = std::min(data_.size() - pos_, kAofMaxAnnotation);
  const std::size_t nl = data_.substr(pos_, window).find('\n');
  if (nl != std::string_view::npos) {
    const std::string_view line = data_.substr(start, nl + 1);
    if (line.starts_with(kAofChecksumTag)) {
      char want[kAofChecksumLine];
      const std::uint64_t crc = crc64(0, data_.substr(chunk_start_, start - chunk_start_));
      format_aof_checksum(crc, want);
      if (line != std::string_view(want, kAofChecksumLine)) {
        return bad(chunk_start_,
                   "checksum mismatch in the bytes up to the checksum line at offset " +
                       std::to_string(start) + ", which start");
      }
      chunk_start_ = start + nl + 1;
      result_.unchecked_from = chunk_start_;
    }
    pos_ += nl + 1;
    return Step::done;
  }
  if (window == kAofMaxAnnotation) {
    return bad(start, "annotation longer than " + std::to_string(kAofMaxAnnotation) + " bytes");
  }
  bad_offset_ = start;
  bad_message_ = "unexpected end of file in an annotation" + at(start);
  return Step::need_more;
}

AofCommand& Parser::next_slot() {
  if (unit_size_ == unit_.size()) unit_.emplace_back();
  return unit_[unit_size_++];
}

bool Parser::deliver() {
  const std::span<const AofCommand> unit(unit_.data(), unit_size_);
  if (on_unit_ && !on_unit_(unit)) return false;
  result_.commands += unit_size_;
  ++result_.units;
  result_.valid_bytes = pos_;
  unit_size_ = 0;
  return true;
}

void Parser::finish(AofReadStatus status, std::uint64_t error_offset, std::string message) {
  result_.status = status;
  result_.error_offset = error_offset;
  result_.message = std::move(message);
}

AofReadResult Parser::run() {
  pos_ = static_cast<std::size_t>(std::min<std::uint64_t>(options_.start, data_.size()));
  chunk_start_ = pos_;
  result_.unchecked_from = pos_;
  result_.valid_bytes = pos_;
  bool in_multi = false;
  std::size_t unit_start = pos_;
  for (;;) {
    if (!in_multi) unit_start = pos_;
    if (pos_ == data_.size()) {
      if (!in_multi) return std::move(result_);
      finish(AofReadStatus::truncated, unit_start,
             "unexpected end of file in a transaction (MULTI" + at(unit_start) + " without EXEC)");
      return std::move(result_);
    }
    if (data_[pos_] == '#') {
      const Step s = annotation();
      if (s != Step::done) {
        finish(s == Step::bad ? AofReadStatus::corrupt : AofReadStatus::truncated, bad_offset_,
               std::move(bad_message_));
        return std::move(result_);
      }
      if (!in_multi) result_.valid_bytes = pos_;
      continue;
    }
    const std::size_t cmd_start = pos_;
    AofCommand& cmd = next_slot();
    const Step s = command(cmd);
    if (s != Step::done) {
      finish(s == Step::bad ? AofReadStatus::corrupt : AofReadStatus::truncated, bad_offset_,
             std::move(bad_message_));
      return std::move(result_);
    }
    const bool is_multi = iequals(cmd[0], "multi");
    const bool is_exec = iequals(cmd[0], "exec");
    if (is_multi && in_multi) {
      finish(AofReadStatus::corrupt, cmd_start, "nested MULTI" + at(cmd_start));
      return std::move(result_);
    }
    if (is_exec && !in_multi) {
      finish(AofReadStatus::corrupt, cmd_start, "EXEC without MULTI" + at(cmd_start));
      return std::move(result_);
    }
    if (is_multi) {
      in_multi = true;
      continue;
    }
    in_multi = in_multi && !is_exec;
    if (in_multi) continue;
    if (!deliver()) {
      finish(AofReadStatus::corrupt, unit_start, "command rejected" + at(unit_start));
      return std::move(result_);
    }
  }
}

}  // namespace

void format_aof_checksum(std::uint64_t crc, char* out) {
  constexpr char kHex[] = "0123456789abcdef";
  std::memcpy(out, kAofChecksumTag.data(), kAofChecksumTag.size());
  char* digits = out + kAofChecksumTag.size();
  for (int i = 15; i >= 0; --i, crc >>= 4) digits[i] = kHex[crc & 0xf];
  digits[16] = '\r';
  digits[17] = '\n';
}

AofReadResult read_aof(std::string_view data, const AofUnitCallback& on_unit,
                       const AofReadOptions& options) {
  return Parser(data, on_unit, options).run();
}

}  // namespace kv::persist
