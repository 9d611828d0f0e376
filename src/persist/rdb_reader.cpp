// RDB reader: every string encoding Redis 7.0 writes, and the value layouts of the other types
// far enough to skip them.
#include <cstring>
#include <span>
#include <string>

#include "persist/crc64.hpp"
#include "persist/lzf.hpp"
#include "persist/rdb.hpp"

namespace kv::persist {

std::string_view rdb::type_name(std::uint8_t t) {
  switch (t) {
    case kTypeString:
      return "string";
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return "list";
    case kTypeSet:
    case kTypeSetIntset:
    case kTypeSetListpack:
      return "set";
    case kTypeZset:
    case kTypeZset2:
    case kTypeZsetZiplist:
    case kTypeZsetListpack:
      return "zset";
    case kTypeHash:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
      return "hash";
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      return "stream";
    case kTypeModulePreGa:
    case kTypeModule2:
      return "module";
    default:
      return "unknown";
  }
}

namespace {

// One LZF back reference of 3 bytes expands to at most 264: a stated length beyond this ratio is
// corrupt, and refusing it up front keeps a bad header from allocating gigabytes.
constexpr std::uint64_t kLzfMaxRatio = 88;

// A key as it may appear in an error message: printable ASCII kept, the rest as \xHH, cut at 64.
std::string printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < key.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (key.size() > 64) out += "...";
  return out;
}

// The parse of one buffer. Every read checks the bytes left first; a failed check records the
// error and makes the function return false, and callers return false at once, so the first
// error found is the one reported.
class Parser {
 public:
  Parser(std::string_view file, const RdbReaderOptions& options, RdbStats& stats,
         const RdbReader::KeyCallback& on_key, const RdbReader::AuxCallback& on_aux)
      : file_(file), options_(options), stats_(stats), on_key_(on_key), on_aux_(on_aux) {}

  RdbStatus run() {
    if (header() && body() && trailer()) return {};
    return std::move(status_);
  }

 private:
  bool fail(RdbError e, std::uint64_t at, std::string what) {
    status_ = {e, at, what + " at offset " + std::to_string(at)};
    return false;
  }
  bool need(std::uint64_t n) {
    if (file_.size() - pos_ >= n) return true;
    return fail(RdbError::truncated, pos_, "unexpected end of file");
  }
  std::uint8_t byte_at(std::size_t i) const { return static_cast<std::uint8_t>(file_[i]); }
  bool read_u8(std::uint8_t& v) {
    if (!need(1)) return false;
    v = byte_at(pos_++);
    return true;
  }
  bool read_le(int bytes, std::uint64_t& v) {
    if (!need(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{byte_at(pos_ + i)} << (8 * i);
    pos_ += bytes;
    return true;
  }
  bool skip(std::uint64_t n) {
    if (!need(n)) return false;
    pos_ += n;
    return true;
  }

  bool header();
  bool body();
  bool trailer();
  bool read_length(std::uint64_t& len, bool* encoded = nullptr);
  bool read_string(std::string_view& out, std::string& scratch);
  bool read_lzf(std::string_view& out, std::string& scratch, std::size_t at);
  bool skip_string() { return read_string(skipped_, skip_scratch_); }
  bool skip_text_double();
  bool key_value(std::uint8_t type, std::size_t at);
  bool skip_value(std::uint8_t type, std::string_view key, std::size_t at);
  bool skip_strings(std::uint64_t per_element, bool text_double, bool binary_double,
                    bool container_kind);

  std::string_view file_;
  const RdbReaderOptions& options_;
  RdbStats& stats_;
  const RdbReader::KeyCallback& on_key_;
  const RdbReader::AuxCallback& on_aux_;
  RdbStatus status_;
  std::size_t pos_ = 0;
  std::uint64_t db_ = 0;
  std::optional<std::int64_t> expire_;
  std::string key_scratch_, value_scratch_, skip_scratch_;
  std::string_view skipped_;
};

bool Parser::header() {
  constexpr std::string_view kMagic = "REDIS";
  if (file_.size() < 9 || file_.substr(0, 5) != kMagic) {
    return fail(RdbError::bad_magic, 0, "not an RDB file (no REDIS magic)");
  }
  int version = 0;
  for (std::size_t i = 5; i < 9; ++i) {
    if (file_[i] < '0' || file_[i] > '9') return fail(RdbError::bad_magic, i, "bad version digits");
    version = version * 10 + (file_[i] - '0');
  }
  if (version < 1 || version > rdb::kMaxReadVersion) {
    return fail(RdbError::bad_version, 5, "unsupported RDB version " + std::to_string(version));
  }
  stats_.version = version;
  pos_ = 9;
  return true;
}

bool Parser::body() {
  std::string_view name, value;
  std::uint64_t v = 0;
  for (;;) {
    const std::size_t at = pos_;
    std::uint8_t op = 0;
    if (!read_u8(op)) return false;
    switch (op) {
      case rdb::kOpEof:
        return true;
      case rdb::kOpExpireTimeMs:
        if (!read_le(8, v)) return false;
        expire_ = static_cast<std::int64_t>(v);
        break;
      case rdb::kOpExpireTime:
        if (!read_le(4, v)) return false;
        expire_ = std::int64_t{static_cast<std::int32_t>(v)} * 1000;
        break;
      case rdb::kOpFreq:
        if (!skip(1)) return false;
        break;
      case rdb::kOpIdle:
        if (!read_length(v)) return false;
        break;
      case rdb::kOpSelectDb:
        if (!read_length(db_)) return false;
        break;
      case rdb::kOpResizeDb:
        if (!read_length(v) || !read_length(v)) return false;
        break;
      case rdb::kOpAux:
        if (!read_string(name, key_scratch_) || !read_string(value, value_scratch_)) return false;
        ++stats_.aux;
        if (on_aux_) on_aux_(name, value);
        break;
      case rdb::kOpModuleAux:
        return fail(RdbError::unsupported, at, "module auxiliary data (MODULE_AUX) not supported");
      case rdb::kOpFunction:
      case rdb::kOpFunction2:
        return fail(RdbError::unsupported, at, "function libraries (FUNCTION) not supported");
      default:
        if (!key_value(op, at)) return false;
        expire_.reset();
        break;
    }
  }
}

bool Parser::trailer() {
  if (stats_.version >= rdb::kFirstChecksumVersion) {
    const std::size_t data_end = pos_;
    std::uint64_t stored = 0;
    if (!read_le(8, stored)) return false;
    if (options_.verify_checksum && stored != 0) {
      const std::uint64_t computed = crc64(0, file_.substr(0, data_end));
      if (computed != stored) return fail(RdbError::bad_checksum, data_end, "checksum mismatch");
      stats_.checksum_verified = true;
    }
  }
  if (pos_ != file_.size()) return fail(RdbError::trailing_data, pos_, "data after the end");
  return true;
}

bool Parser::read_length(std::uint64_t& len, bool* encoded) {
  const std::size_t at = pos_;
  std::uint8_t b = 0;
  if (!read_u8(b)) return false;
  if (encoded != nullptr) *encoded = false;
  std::uint64_t v = 0;
  switch (b >> 6) {
    case rdb::kLen6Bit:
      len = b & 0x3f;
      return true;
    case rdb::kLen14Bit:
      if (!read_le(1, v)) return false;
      len = (std::uint64_t{b & 0x3fU} << 8) | v;
      return true;
    case rdb::kLenWide: {
      if (b != rdb::kLen32 && b != rdb::kLen64) {
        return fail(RdbError::bad_length, at, "invalid length encoding");
      }
      const int bytes = b == rdb::kLen32 ? 4 : 8;
      if (!need(bytes)) return false;
      len = 0;
      for (int i = 0; i < bytes; ++i) len = (len << 8) | byte_at(pos_ + i);
      pos_ += bytes;
      return true;
    }
    default:
      if (encoded == nullptr) return fail(RdbError::bad_length, at, "encoded string, not length");
      *encoded = true;
      len = b & 0x3f;
      return true;
  }
}

bool Parser::read_string(std::string_view& out, std::string& scratch) {
  const std::size_t at = pos_;
  bool encoded = false;
  std::uint64_t len = 0;
  if (!read_length(len, &encoded)) return false;
  if (!encoded) {
    if (!need(len)) return false;
    out = file_.substr(pos_, len);
    pos_ += len;
    return true;
  }
  std::uint64_t v = 0;
  switch (len) {
    case rdb::kEncInt8:
      if (!read_le(1, v)) return false;
      scratch = std::to_string(static_cast<std::int8_t>(v));
      break;
    case rdb::kEncInt16:
      if (!read_le(2, v)) return false;
      scratch = std::to_string(static_cast<std::int16_t>(v));
      break;
    case rdb::kEncInt32:
      if (!read_le(4, v)) return false;
      scratch = std::to_string(static_cast<std::int32_t>(v));
      break;
    case rdb::kEncLzf:
      return read_lzf(out, scratch, at);
    default:
      return fail(RdbError::bad_encoding, at, "unknown string encoding " + std::to_string(len));
  }
  out = scratch;
  return true;
}

bool Parser::read_lzf(std::string_view& out, std::string& scratch, std::size_t at) {
  std::uint64_t compressed = 0, length = 0;
  if (!read_length(compressed) || !read_length(length)) return false;
  if (!need(compressed)) return false;
  if (length == 0 || compressed == 0 || length / kLzfMaxRatio > compressed) {
    return fail(RdbError::bad_lzf, at, "invalid compressed string lengths");
  }
  scratch.resize(length);
  const LzfResult r = lzf_decompress(file_.substr(pos_, compressed),
                                     std::span<char>(scratch.data(), scratch.size()));
  if (!r.ok() || r.size != length) {
    const std::string why(r.ok() ? "shorter than stated" : lzf_error_text(r.error));
    return fail(RdbError::bad_lzf, r.ok() ? at : pos_ + r.offset,
                "corrupt compressed string: " + why);
  }
  pos_ += compressed;
  out = scratch;
  return true;
}

bool Parser::key_value(std::uint8_t type, std::size_t at) {
  std::string_view key, value;
  if (type > rdb::kTypeStreamListpacks3 || rdb::type_name(type) == "unknown") {
    return fail(RdbError::bad_opcode, at, "unknown value type " + std::to_string(type));
  }
  if (!read_string(key, key_scratch_)) return false;
  if (type != rdb::kTypeString) return skip_value(type, key, at);
  if (!read_string(value, value_scratch_)) return false;
  ++stats_.keys;
  on_key_(RdbEntry{db_, key, value, expire_, pos_});
  return true;
}

bool Parser::skip_value(std::uint8_t type, std::string_view key, std::size_t at) {
  const std::string what = "key \"" + printable(key) + "\" has type " +
                           std::string(rdb::type_name(type)) + " (RDB type " +
                           std::to_string(type) + ")";
  if (!options_.skip_unsupported_types) {
    return fail(RdbError::unsupported_type, at, what + ", which kvd does not support");
  }
  bool ok = false;
  switch (type) {
    case rdb::kTypeList:
    case rdb::kTypeSet:
    case rdb::kTypeListQuicklist:
      ok = skip_strings(1, false, false, false);
      break;
    case rdb::kTypeHash:
      ok = skip_strings(2, false, false, false);
      break;
    case rdb::kTypeZset:
      ok = skip_strings(1, true, false, false);
      break;
    case rdb::kTypeZset2:
      ok = skip_strings(1, false, true, false);
      break;
    case rdb::kTypeListQuicklist2:
      ok = skip_strings(1, false, false, true);
      break;
    case rdb::kTypeHashZipmap:
    case rdb::kTypeListZiplist:
    case rdb::kTypeSetIntset:
    case rdb::kTypeZsetZiplist:
    case rdb::kTypeHashZiplist:
    case rdb::kTypeHashListpack:
    case rdb::kTypeZsetListpack:
    case rdb::kTypeSetListpack:
      ok = skip_string();
      break;
    default:  // Streams and module values.
      return fail(RdbError::unsupported_type, at,
                  what + ": kvd does not support it, and skipping this type is not implemented");
  }
  if (ok) ++stats_.skipped;
  return ok;
}

// Skips a count and then that many elements, each `per_element` strings, optionally followed by
// a double (text or binary), optionally preceded by a quicklist container kind. Every element
// consumes at least one byte, so a huge bogus count ends at the end of the buffer.
bool Parser::skip_strings(std::uint64_t per_element, bool text_double, bool binary_double,
                          bool container_kind) {
  std::uint64_t count = 0, kind = 0;
  if (!read_length(count)) return false;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (container_kind && !read_length(kind)) return false;
    for (std::uint64_t k = 0; k < per_element; ++k) {
      if (!skip_string()) return false;
    }
    if (text_double && !skip_text_double()) return false;
    if (binary_double && !skip(8)) return false;
  }
  return true;
}

// Redis's old double format: one length byte, 253/254/255 for nan/+inf/-inf, else that many
// bytes of text.
bool Parser::skip_text_double() {
  std::uint8_t len = 0;
  if (!read_u8(len)) return false;
  return len >= 253 || skip(len);
}

}  // namespace

RdbStatus RdbReader::read(std::string_view file, const KeyCallback& on_key,
                          const AuxCallback& on_aux) {
  stats_ = {};
  return Parser(file, options_, stats_, on_key, on_aux).run();
}

}  // namespace kv::persist
