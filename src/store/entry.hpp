// One key with its value in a single allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kv::store {

/// A stored key and value: an 8-byte header, an optional 8-byte TTL slot, then the key bytes and
/// the value bytes, in one malloc'd block (16 + 16 bytes of key and value take a 48-byte chunk,
/// 64 with a TTL slot).
///
/// The TTL slot holds the entry's index in its stripe's TTL array, where the deadline lives; an
/// entry with a slot but no deadline has index kNoTtl. Entries are created outside any lock when
/// possible and published into a stripe's table under its write lock; readers see them only under
/// the stripe's lock. The table owns its entries.
class Entry {
 public:
  /// Largest key length an entry can hold.
  static constexpr std::size_t kMaxKey = 0x7fffffff;
  /// Largest value length an entry can hold.
  static constexpr std::size_t kMaxValue = 0xffffffff;
  /// ttl_index() of an entry that has a slot but no deadline.
  static constexpr std::uint32_t kNoTtl = 0xffffffff;

  /// Allocates an entry holding copies of `key` and `value`, with a TTL slot (set to kNoTtl) if
  /// `ttl_slot`, and room for the value to grow to `reserve` bytes without reallocating.
  static Entry* create(std::string_view key, std::string_view value, bool ttl_slot = false,
                       std::size_t reserve = 0);
  /// Frees an entry made by create(); null is fine.
  static void destroy(Entry* e);

  /// The key bytes.
  std::string_view key() const { return {data(), key_len_ & kKeyMask}; }
  /// The value bytes.
  std::string_view value() const { return {data() + key().size(), val_len_}; }
  /// Overwrites the value with bytes of the same length.
  void overwrite_value(std::string_view v);
  /// The value's bytes, writable.
  char* value_data() { return data() + key().size(); }
  /// Changes the value's length in place (new bytes are unspecified) if the allocation has room;
  /// returns false, changing nothing, if it has not.
  bool resize_value(std::size_t n);
  /// Whether the entry has a TTL slot.
  bool has_ttl_slot() const { return (key_len_ & kTtlSlotFlag) != 0; }
  /// Whether the entry has a deadline (its index in the stripe's TTL array is valid).
  bool has_ttl() const { return has_ttl_slot() && ttl_index() != kNoTtl; }
  /// Index in the stripe's TTL array, or kNoTtl. Requires has_ttl_slot().
  std::uint32_t ttl_index() const { return *reinterpret_cast<const std::uint32_t*>(slot()); }
  /// Sets the index in the stripe's TTL array. Requires has_ttl_slot().
  void set_ttl_index(std::uint32_t i) { *reinterpret_cast<std::uint32_t*>(slot()) = i; }

  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

 private:
  static constexpr std::uint32_t kTtlSlotFlag = 0x80000000;
  static constexpr std::uint32_t kKeyMask = 0x7fffffff;
  static constexpr std::size_t kSlotSize = 8;

  Entry(std::uint32_t key_len, std::uint32_t val_len) : key_len_(key_len), val_len_(val_len) {}
  char* slot() { return reinterpret_cast<char*>(this) + sizeof(Entry); }
  const char* slot() const { return reinterpret_cast<const char*>(this) + sizeof(Entry); }
  char* data() { return slot() + (has_ttl_slot() ? kSlotSize : 0); }
  const char* data() const { return slot() + (has_ttl_slot() ? kSlotSize : 0); }

  std::uint32_t key_len_;  // Top bit: the entry has a TTL slot.
  std::uint32_t val_len_;
};

static_assert(sizeof(Entry) == 8);

}  // namespace kv::store
