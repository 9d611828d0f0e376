// Unit tests for hash_bytes: determinism, seeding, and resistance to seed-independent collisions.
#include "store/hash.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>

namespace kv::store {
namespace {

// The little-endian bytes of a 64-bit word.
std::string le_bytes(std::uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

TEST(Hash, DeterministicPerSeedAndSeedSensitive) {
  const std::string keys[] = {"",
                              "a",
                              "abc",
                              "abcd",
                              "abcdefgh",
                              "0123456789abcdef",
                              "0123456789abcdefX",
                              std::string(100, 'z')};
  for (const std::string& k : keys) {
    EXPECT_EQ(hash_bytes(k, 1), hash_bytes(k, 1));
    EXPECT_NE(hash_bytes(k, 1), hash_bytes(k, 2)) << "key of " << k.size() << " bytes";
  }
}

TEST(Hash, NearbyKeysSpread) {
  // 100,000 short keys: no full 64-bit collisions, and the bits used for stripes (top 16) and
  // slots (low bits) each take many values.
  std::set<std::uint64_t> full;
  std::set<std::uint64_t> top;
  std::set<std::uint64_t> low;
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t h = hash_bytes("key:" + std::to_string(i), 42);
    full.insert(h);
    top.insert(h >> 48);
    low.insert(h & 0xffff);
  }
  EXPECT_EQ(full.size(), 100000u);
  EXPECT_GT(top.size(), 50000u);  // 100,000 balls in 65,536 bins fill ~51,300.
  EXPECT_GT(low.size(), 50000u);
}

TEST(Hash, LengthIsPartOfTheHash) {
  using namespace std::string_literals;
  EXPECT_NE(hash_bytes(""s, 7), hash_bytes("\0"s, 7));
  EXPECT_NE(hash_bytes("\0"s, 7), hash_bytes("\0\0"s, 7));
  EXPECT_NE(hash_bytes(std::string(16, '\0'), 7), hash_bytes(std::string(17, '\0'), 7));
}

// The multiply-fold hash loses everything when one factor is zero. If an attacker can make a
// factor zero without knowing the seed, they get unlimited keys with the same full hash for
// every seed (hash flooding: all land in one stripe and one probe run). The first 8 bytes of a
// block are XORed with a public constant before the multiply, so those bytes must also be mixed
// with the seed.
TEST(Hash, NoSeedIndependentCollisionsInLongKeys) {
  constexpr std::uint64_t k1 = 0xd6e8feb86659fd93ULL;  // The block constant in hash.hpp.
  const std::string tail = "tail-of-sixteen!";
  const std::string a = le_bytes(k1) + "AAAAAAAA" + tail;
  const std::string b = le_bytes(k1) + "BBBBBBBB" + tail;
  int same = 0;
  for (std::uint64_t seed : {1ULL, 2ULL, 0x1234ULL, 0xdeadbeefcafef00dULL}) {
    same += hash_bytes(a, seed) == hash_bytes(b, seed) ? 1 : 0;
  }
  EXPECT_EQ(same, 0);
}

TEST(Hash, NoSeedIndependentCollisionsInMediumKeys) {
  constexpr std::uint64_t k2 = 0xc2b2ae3d27d4eb4fULL;  // The final-mix constant in hash.hpp.
  const std::string a = le_bytes(k2) + "AAAAAAAA";
  const std::string b = le_bytes(k2) + "BBBBBBBB";
  int same = 0;
  for (std::uint64_t seed : {1ULL, 2ULL, 0x1234ULL, 0xdeadbeefcafef00dULL}) {
    same += hash_bytes(a, seed) == hash_bytes(b, seed) ? 1 : 0;
  }
  EXPECT_EQ(same, 0);
}

}  // namespace
}  // namespace kv::store
