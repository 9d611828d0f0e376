// One key with its value in a single allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kv::store {

/// A stored key and value: an 8-byte header followed by the key bytes and the value bytes, in one
/// malloc'd block (16 + 16 bytes of key and value take a 48-byte chunk).
///
/// Entries are created outside any lock and published into a stripe's table under its write lock;
/// readers see them only under the stripe's lock. The table owns its entries.
class Entry {
 public:
  /// Largest key length an entry can hold.
  static constexpr std::size_t kMaxKey = 0x7fffffff;
  /// Largest value length an entry can hold.
  static constexpr std::size_t kMaxValue = 0xffffffff;

  /// Allocates an entry holding copies of `key` and `value`.
  static Entry* create(std::string_view key, std::string_view value);
  /// Frees an entry made by create(); null is fine.
  static void destroy(Entry* e);

  /// The key bytes.
  std::string_view key() const { return {data(), key_len_}; }
  /// The value bytes.
  std::string_view value() const { return {data() + key_len_, val_len_}; }
  /// Overwrites the value with bytes of the same length.
  void overwrite_value(std::string_view v);

  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

 private:
  Entry(std::uint32_t key_len, std::uint32_t val_len) : key_len_(key_len), val_len_(val_len) {}
  char* data() { return reinterpret_cast<char*>(this) + sizeof(Entry); }
  const char* data() const { return reinterpret_cast<const char*>(this) + sizeof(Entry); }

  // The top bit of key_len_ is kept free for a per-entry flag (such as "has an expiry").
  std::uint32_t key_len_;
  std::uint32_t val_len_;
};

static_assert(sizeof(Entry) == 8);

}  // namespace kv::store
