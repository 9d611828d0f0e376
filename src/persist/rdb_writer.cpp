// RDB writer: Redis 7.0's byte layout for string keys (rdbSaveRio's order of things).
#include <cassert>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "persist/crc64.hpp"
#include "persist/lzf.hpp"
#include "persist/rdb.hpp"

namespace kv::persist {
namespace {

// Bytes are handed to the sink in blocks of about this size; payloads at least this big go to the
// sink directly instead of through the buffer.
constexpr std::size_t kFlushSize = 64 * 1024;

void append_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void append_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The value of `s` if Redis would store it as an integer: at most 11 bytes and the exact text
// that formatting the number gives back ("0", "-5"; not "+5", "05", "-0" or " 5").
std::optional<std::int64_t> canonical_int(std::string_view s) {
  if (s.empty() || s.size() > rdb::kIntMaxLength) return std::nullopt;
  const bool negative = s[0] == '-';
  const std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || (digits[0] == '0' && (s.size() != 1))) return std::nullopt;
  std::int64_t v = 0;  // At most 11 digits: no overflow.
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// Appends the encoding of `s` up to its payload and returns the payload that must follow it
// (empty when the encoding is complete: integers). The payload is `s` itself or, if compressed,
// a view of `scratch`.
std::string_view encode_string(std::string& out, std::string_view s, bool compress,
                               std::string& scratch) {
  if (const auto v = canonical_int(s)) {
    constexpr std::uint8_t kEncoded = rdb::kLenEncoded << 6;
    if (*v >= INT8_MIN && *v <= INT8_MAX) {
      out.push_back(static_cast<char>(kEncoded | rdb::kEncInt8));
      append_le(out, static_cast<std::uint64_t>(*v), 1);
      return {};
    }
    if (*v >= INT16_MIN && *v <= INT16_MAX) {
      out.push_back(static_cast<char>(kEncoded | rdb::kEncInt16));
      append_le(out, static_cast<std::uint64_t>(*v), 2);
      return {};
    }
    if (*v >= INT32_MIN && *v <= INT32_MAX) {
      out.push_back(static_cast<char>(kEncoded | rdb::kEncInt32));
      append_le(out, static_cast<std::uint64_t>(*v), 4);
      return {};
    }
  }
  if (compress && s.size() > rdb::kLzfMinLength) {
    // As Redis: the output must be at least 4 bytes shorter than the input, or it is not worth it.
    scratch.resize(s.size() - 4);
    const std::size_t n = lzf_compress(s, std::span<char>(scratch.data(), scratch.size()));
    if (n > 0) {
      out.push_back(static_cast<char>((rdb::kLenEncoded << 6) | rdb::kEncLzf));
      rdb_append_length(out, n);
      rdb_append_length(out, s.size());
      return std::string_view(scratch.data(), n);
    }
  }
  rdb_append_length(out, s.size());
  return s;
}

}  // namespace

void rdb_append_length(std::string& out, std::uint64_t len) {
  if (len < (1U << 6)) {
    out.push_back(static_cast<char>(len));
  } else if (len < (1U << 14)) {
    out.push_back(static_cast<char>((rdb::kLen14Bit << 6) | (len >> 8)));
    out.push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out.push_back(static_cast<char>(rdb::kLen32));
    append_be(out, len, 4);
  } else {
    out.push_back(static_cast<char>(rdb::kLen64));
    append_be(out, len, 8);
  }
}

void rdb_append_string(std::string& out, std::string_view s, bool compress,
                       std::string& lzf_scratch) {
  out.append(encode_string(out, s, compress, lzf_scratch));
}

RdbWriter::RdbWriter(ByteSink sink, RdbWriterOptions options)
    : sink_(std::move(sink)), options_(options) {
  buffer_.reserve(kFlushSize * 2);
}

void RdbWriter::begin() {
  assert(!begun_);
  begun_ = true;
  std::string magic = std::to_string(rdb::kVersion);
  magic.insert(0, 4 - magic.size(), '0');
  put_raw("REDIS" + magic);
  std::int64_t ctime = options_.ctime_s;
  if (ctime < 0) {
    ctime = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  }
  put_aux("redis-ver", rdb::kRedisVersion);
  put_aux("redis-bits", std::int64_t{64});
  put_aux("ctime", ctime);
  put_aux("used-mem", static_cast<std::int64_t>(options_.used_mem));
  put_aux("aof-base", std::int64_t{options_.aof_base ? 1 : 0});
}

void RdbWriter::select_db(std::uint64_t db, std::uint64_t keys, std::uint64_t expires) {
  assert(begun_ && !finished_);
  in_db_ = true;
  put_byte(rdb::kOpSelectDb);
  put_length(db);
  put_byte(rdb::kOpResizeDb);
  put_length(keys);
  put_length(expires);
}

void RdbWriter::put(std::string_view key, std::string_view value, std::int64_t expire_at_ms) {
  assert(in_db_ && !finished_);
  if (expire_at_ms != 0) {
    put_byte(rdb::kOpExpireTimeMs);
    append_le(buffer_, static_cast<std::uint64_t>(expire_at_ms), 8);
  }
  put_byte(rdb::kTypeString);
  put_string(key);
  put_string(value);
  if (buffer_.size() >= kFlushSize) flush();
}

void RdbWriter::finish() {
  assert(begun_ && !finished_);
  finished_ = true;
  put_byte(rdb::kOpEof);
  flush();
  std::string trailer;
  append_le(trailer, crc_, 8);
  sink_(trailer);
  written_ += trailer.size();
}

void RdbWriter::put_raw(std::string_view bytes) {
  if (bytes.size() < kFlushSize) {
    buffer_.append(bytes);
    return;
  }
  // Big payloads skip the buffer: one copy fewer and no buffer growth.
  flush();
  crc_ = crc64(crc_, bytes);
  sink_(bytes);
  written_ += bytes.size();
}

void RdbWriter::put_length(std::uint64_t len) { rdb_append_length(buffer_, len); }

void RdbWriter::put_string(std::string_view s) {
  put_raw(encode_string(buffer_, s, options_.compress, scratch_));
}

void RdbWriter::put_aux(std::string_view name, std::string_view value) {
  put_byte(rdb::kOpAux);
  put_string(name);
  put_string(value);
}

// Redis formats integer AUX values as text and saves that text, which then gets an integer
// encoding when it fits 32 bits (rdbSaveAuxFieldStrInt).
void RdbWriter::put_aux(std::string_view name, std::int64_t value) {
  put_aux(name, std::string_view(std::to_string(value)));
}

void RdbWriter::flush() {
  if (buffer_.empty()) return;
  crc_ = crc64(crc_, buffer_);
  sink_(buffer_);
  written_ += buffer_.size();
  buffer_.clear();
}

}  // namespace kv::persist
