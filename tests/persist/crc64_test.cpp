// Unit tests for Redis's CRC-64.
#include "persist/crc64.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kv::persist {
namespace {

// The definition, one bit at a time: reflected Jones polynomial, init 0, no final xor.
std::uint64_t crc64_bitwise(std::uint64_t crc, std::string_view data) {
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Crc64, RedisTestVector) { EXPECT_EQ(crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL); }

TEST(Crc64, EmptyInputKeepsTheCrc) {
  EXPECT_EQ(crc64(0, ""), 0u);
  EXPECT_EQ(crc64(0x1234, ""), 0x1234u);
}

TEST(Crc64, MatchesBitwiseDefinitionAtEveryLength) {
  const std::string data = random_bytes(300, 1);
  for (std::size_t n = 0; n <= data.size(); ++n) {
    const std::string_view prefix(data.data(), n);
    ASSERT_EQ(crc64(0, prefix), crc64_bitwise(0, prefix)) << n;
  }
}

TEST(Crc64, IncrementalEqualsWhole) {
  const std::string data = random_bytes(1000, 2);
  const std::uint64_t whole = crc64(0, data);
  for (std::size_t split = 0; split <= data.size(); split += 7) {
    const std::string_view v(data);
    ASSERT_EQ(crc64(crc64(0, v.substr(0, split)), v.substr(split)), whole) << split;
  }
}

}  // namespace
}  // namespace kv::persist
