// LZF, written from the format: a stream of control bytes, each starting either a literal run
// (ctrl < 32: ctrl + 1 bytes follow) or a back reference (length in the top 3 bits, 7 meaning an
// extra length byte follows; 13 bits of distance - 1 across the low 5 bits and the next byte).
#include "persist/lzf.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kv::persist {
namespace {

constexpr std::size_t kMaxLiteralRun = 32;
constexpr std::size_t kMinMatch = 3;
constexpr unsigned kMaxHashBits = 14;

std::uint32_t load3(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

// Writes into a bounded output; every emit checks room first, so an output that would not fit
// is detected without writing past it.
class Emitter {
 public:
  explicit Emitter(std::span<char> out) : out_(out) {}

  bool literals(const char* p, std::size_t n) {
    while (n > 0) {
      const std::size_t run = std::min(n, kMaxLiteralRun);
      if (out_.size() - pos_ < run + 1) return false;
      out_[pos_++] = static_cast<char>(run - 1);
      std::memcpy(out_.data() + pos_, p, run);
      pos_ += run;
      p += run;
      n -= run;
    }
    return true;
  }

  bool reference(std::size_t match, std::size_t distance) {
    const std::size_t len = match - 2;
    const std::size_t off = distance - 1;
    const std::size_t need = len < 7 ? 2 : 3;
    if (out_.size() - pos_ < need) return false;
    out_[pos_++] = static_cast<char>((std::min<std::size_t>(len, 7) << 5) | (off >> 8));
    if (len >= 7) out_[pos_++] = static_cast<char>(len - 7);
    out_[pos_++] = static_cast<char>(off & 0xff);
    return true;
  }

  std::size_t size() const { return pos_; }

 private:
  std::span<char> out_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t lzf_compress(std::string_view in, std::span<char> out) {
  const std::size_t n = in.size();
  if (n == 0) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  // The table is sized to the input so compressing a 21-byte value clears 16 slots, not 16K.
  unsigned bits = 4;
  while (bits < kMaxHashBits && (std::size_t{1} << bits) < n) ++bits;
  thread_local std::vector<std::uint32_t> table;
  table.assign(std::size_t{1} << bits, 0);  // Positions + 1; 0 is empty.
  auto slot = [&](std::size_t i) -> std::uint32_t& {
    return table[(load3(p + i) * 2654435761U) >> (32 - bits)];
  };

  Emitter emit(out);
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i + kMinMatch <= n) {
    std::uint32_t& s = slot(i);
    const std::size_t candidate = s;
    s = static_cast<std::uint32_t>(i + 1);
    if (candidate == 0 || i - (candidate - 1) > kLzfMaxDistance ||
        load3(p + candidate - 1) != load3(p + i)) {
      ++i;
      continue;
    }
    const std::size_t ref = candidate - 1;
    const std::size_t limit = std::min(kLzfMaxMatch, n - i);
    std::size_t match = kMinMatch;
    while (match < limit && p[ref + match] == p[i + match]) ++match;
    if (!emit.literals(in.data() + literal_start, i - literal_start)) return 0;
    if (!emit.reference(match, i - ref)) return 0;
    // Index the positions inside the match too: long repeats then chain at full length.
    const std::size_t end = i + match;
    for (++i; i < end && i + kMinMatch <= n; ++i) slot(i) = static_cast<std::uint32_t>(i + 1);
    i = end;
    literal_start = i;
  }
  if (!emit.literals(in.data() + literal_start, n - literal_start)) return 0;
  return emit.size();
}

LzfResult lzf_decompress(std::string_view in, std::span<char> out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t ip = 0;
  std::size_t op = 0;
  while (ip < n) {
    const std::size_t at = ip;
    const unsigned ctrl = p[ip++];
    if (ctrl < kMaxLiteralRun) {
      const std::size_t run = ctrl + 1;
      if (n - ip < run) return {LzfError::truncated, op, at};
      if (out.size() - op < run) return {LzfError::output_overflow, op, at};
      std::memcpy(out.data() + op, p + ip, run);
      ip += run;
      op += run;
      continue;
    }
    std::size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= n) return {LzfError::truncated, op, at};
      len += p[ip++];
    }
    if (ip >= n) return {LzfError::truncated, op, at};
    const std::size_t distance = ((std::size_t{ctrl} & 0x1f) << 8) + p[ip++] + 1;
    if (distance > op) return {LzfError::bad_reference, op, at};
    const std::size_t count = len + 2;
    if (out.size() - op < count) return {LzfError::output_overflow, op, at};
    // Byte by byte: the source may overlap the bytes being written (a run of a short pattern).
    for (std::size_t k = 0; k < count; ++k, ++op) out[op] = out[op - distance];
  }
  return {LzfError::none, op, ip};
}

std::string_view lzf_error_text(LzfError e) {
  switch (e) {
    case LzfError::none:
      return "no error";
    case LzfError::truncated:
      return "truncated input";
    case LzfError::output_overflow:
      return "output longer than expected";
    case LzfError::bad_reference:
      return "back reference before the start of the output";
  }
  return "unknown error";
}

}  // namespace kv::persist
