// Unit tests for the LZF codec: round trips, the format by hand, malformed input.
#include "persist/lzf.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace kv::persist {
namespace {

std::string random_bytes(std::size_t n, std::mt19937& rng) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string repetitive(std::size_t n, std::mt19937& rng) {
  const std::string pattern = random_bytes(1 + rng() % 7, rng);
  std::string s;
  while (s.size() < n) s += (rng() % 8 == 0) ? random_bytes(1 + rng() % 5, rng) : pattern;
  s.resize(n);
  return s;
}

// Compresses and decompresses `in`; checks the decompressed bytes and that no call wrote past
// the span it was given (guard bytes around it).
void round_trip(const std::string& in) {
  constexpr std::size_t kGuard = 16;
  std::vector<char> packed(in.size() + in.size() / 16 + 64 + 2 * kGuard, '\x5a');
  const std::span<char> out(packed.data() + kGuard, packed.size() - 2 * kGuard);
  const std::size_t n = lzf_compress(in, out);
  if (in.empty()) {
    EXPECT_EQ(n, 0u);
    return;
  }
  ASSERT_GT(n, 0u) << in.size();
  ASSERT_LE(n, in.size() + in.size() / 32 + 1);
  std::vector<char> plain(in.size() + 2 * kGuard, '\x5a');
  const LzfResult r = lzf_decompress(std::string_view(out.data(), n),
                                     std::span<char>(plain.data() + kGuard, in.size()));
  ASSERT_TRUE(r.ok()) << lzf_error_text(r.error) << " at " << r.offset;
  ASSERT_EQ(r.size, in.size());
  ASSERT_EQ(std::string(plain.data() + kGuard, in.size()), in);
  for (std::size_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(plain[i], '\x5a');
    ASSERT_EQ(plain[kGuard + in.size() + i], '\x5a');
    ASSERT_EQ(packed[i], '\x5a');
  }
}

TEST(Lzf, RoundTripsEverySizeUpTo300) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n <= 300; ++n) {
    SCOPED_TRACE(n);
    round_trip(random_bytes(n, rng));
    round_trip(repetitive(n, rng));
    round_trip(std::string(n, 'a'));
  }
}

TEST(Lzf, RoundTripsLargeInputs) {
  std::mt19937 rng(8);
  round_trip(repetitive(1 << 20, rng));
  round_trip(random_bytes(100000, rng));
  round_trip(std::string(100000, '\0'));
  std::string mixed;
  for (int i = 0; i < 200; ++i) mixed += (i % 2) ? random_bytes(500, rng) : repetitive(9000, rng);
  round_trip(mixed);
}

TEST(Lzf, CompressesRepetitiveData) {
  const std::string in(1000, 'x');
  std::string out(1000, '\0');
  const std::size_t n = lzf_compress(in, std::span<char>(out.data(), out.size()));
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 20u);
}

TEST(Lzf, ReturnsZeroWhenOutputTooSmallWithoutWritingPastIt) {
  std::mt19937 rng(9);
  const std::string in = random_bytes(200, rng);
  std::string out(200, '\x5a');
  EXPECT_EQ(lzf_compress(in, std::span<char>(out.data(), 196)), 0u);
  EXPECT_EQ(out.substr(196), std::string(4, '\x5a'));
  // 100 bytes of one letter take 5: a literal of 1 and a reference of 99.
  for (std::size_t cap = 0; cap < 5; ++cap) {
    EXPECT_EQ(lzf_compress(std::string(100, 'q'), std::span<char>(out.data(), cap)), 0u);
  }
  EXPECT_EQ(lzf_compress(std::string(100, 'q'), std::span<char>(out.data(), 5)), 5u);
}

LzfResult decode(std::string_view in, std::size_t cap, std::string* out = nullptr) {
  std::string buf(cap, '\0');
  const LzfResult r = lzf_decompress(in, std::span<char>(buf.data(), buf.size()));
  if (out != nullptr) *out = buf.substr(0, r.size);
  return r;
}

TEST(Lzf, DecodesTheFormatByHand) {
  using namespace std::string_literals;
  std::string out;
  // Literal run of 3.
  ASSERT_TRUE(decode("\x02"
                     "abc"s,
                     3, &out)
                  .ok());
  EXPECT_EQ(out, "abc");
  // 'a' then a reference of length 1 + 2 at distance 1.
  ASSERT_TRUE(decode("\x00"
                     "a"
                     "\x20\x00"s,
                     4, &out)
                  .ok());
  EXPECT_EQ(out, "aaaa");
  // A long reference: length 7 + extra byte 3, + 2.
  ASSERT_TRUE(decode("\x01"
                     "ab"
                     "\xe0\x03\x01"s,
                     14, &out)
                  .ok());
  EXPECT_EQ(out, "ababababababab");
}

TEST(Lzf, RejectsMalformedInput) {
  using namespace std::string_literals;
  EXPECT_EQ(decode("\x05"
                   "ab"s,
                   10)
                .error,
            LzfError::truncated);
  EXPECT_EQ(decode("\x00"
                   "a"
                   "\x20"s,
                   10)
                .error,
            LzfError::truncated);
  EXPECT_EQ(decode("\x00"
                   "a"
                   "\xe0"s,
                   10)
                .error,
            LzfError::truncated);
  EXPECT_EQ(decode("\x00"
                   "a"
                   "\xe0\x00"s,
                   10)
                .error,
            LzfError::truncated);
  EXPECT_EQ(decode("\x20\x00"s, 10).error, LzfError::bad_reference);
  EXPECT_EQ(decode("\x00"
                   "a"
                   "\x21\x00"s,
                   10)
                .error,
            LzfError::bad_reference);
  EXPECT_EQ(decode("\x02"
                   "abc"s,
                   2)
                .error,
            LzfError::output_overflow);
  EXPECT_EQ(decode("\x00"
                   "a"
                   "\x20\x00"s,
                   3)
                .error,
            LzfError::output_overflow);
  const LzfResult r = decode(
      "\x00"
      "a"
      "\x00"
      "b"
      "\x40\x05"s,
      10);
  EXPECT_EQ(r.error, LzfError::bad_reference);
  EXPECT_EQ(r.offset, 4u);
}

TEST(Lzf, CorruptedStreamsNeverTouchMemoryOutsideTheSpans) {
  std::mt19937 rng(10);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string in = repetitive(1 + rng() % 400, rng);
    std::string packed(in.size() + 64, '\0');
    packed.resize(lzf_compress(in, std::span<char>(packed.data(), packed.size())));
    if (iter % 3 == 0) {
      packed = random_bytes(rng() % 64, rng);
    } else if (iter % 3 == 1 && !packed.empty()) {
      packed.resize(rng() % packed.size());
    } else if (!packed.empty()) {
      packed[rng() % packed.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    // A heap copy of exactly the input size, so ASan sees any over-read.
    const std::vector<char> exact(packed.begin(), packed.end());
    std::vector<char> out(in.size());
    const LzfResult r = lzf_decompress(std::string_view(exact.data(), exact.size()), out);
    ASSERT_LE(r.size, out.size());
  }
}

}  // namespace
}  // namespace kv::persist
