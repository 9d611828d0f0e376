// A fast seeded 64-bit hash for keys (multiply-xor folding of 16-byte blocks).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace kv::store {

namespace detail {
__extension__ typedef unsigned __int128 U128;

inline std::uint64_t fold(std::uint64_t a, std::uint64_t b) {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace detail

/// Hashes `bytes` with `seed`. Every output bit depends on every input bit.
inline std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) {
  using detail::fold;
  constexpr std::uint64_t k0 = 0x9e3779b97f4a7c15ULL;
  constexpr std::uint64_t k1 = 0xd6e8feb86659fd93ULL;
  constexpr std::uint64_t k2 = 0xc2b2ae3d27d4eb4fULL;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t h = fold(seed ^ k0, n ^ k1);
  // The seed is mixed into every key-controlled factor: a factor the key alone could make zero
  // would erase the seed and all earlier bytes, giving collisions that hold for every seed.
  const std::uint64_t s1 = seed ^ k1;
  const std::uint64_t s2 = seed ^ k2;
  while (n > 16) {
    h = fold(detail::load64(p) ^ s1, detail::load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n >= 8) {
    a = detail::load64(p);
    b = detail::load64(p + n - 8);
  } else if (n >= 4) {
    a = detail::load32(p);
    b = detail::load32(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
        static_cast<unsigned char>(p[n - 1]);
  }
  return fold(fold(a ^ s2, b ^ h) ^ bytes.size(), k0 ^ h);
}

}  // namespace kv::store
