// An open-addressing hash table of entries: one per stripe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/entry.hpp"

namespace kv::store {

/// Linear probing over 8-byte slots. A slot is 0 (empty) or an Entry pointer with 16 bits of the
/// key's hash in its unused top bits, so a probe rejects most non-matching slots without touching
/// the entry. Deletion shifts later entries back, so there are no tombstones; the table grows at
/// 3/4 full and shrinks below 1/8.
///
/// Not thread-safe: the owning stripe's lock guards it. Owns its entries.
class Table {
 public:
  /// Hashes are computed with `seed` (the same seed the caller uses).
  explicit Table(std::uint64_t seed = 0) : seed_(seed) {}
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&& other) noexcept;
  Table& operator=(Table&& other) noexcept;

  /// The entry for `key`, whose hash is `hash`, or null.
  Entry* find(std::string_view key, std::uint64_t hash) const;
  /// Puts `e` in the table; returns the entry it replaced (the caller destroys it), or null.
  Entry* upsert(Entry* e, std::uint64_t hash);
  /// Takes the entry for `key` out of the table and returns it (the caller destroys it), or null.
  Entry* extract(std::string_view key, std::uint64_t hash);
  /// Number of entries.
  std::size_t size() const { return size_; }
  /// Empties the table without destroying its entries (the caller has taken them).
  void forget_entries();
  /// Number of slots.
  std::size_t capacity() const { return mask_ == 0 && slots_ == nullptr ? 0 : mask_ + 1; }
  /// Visits home bucket `cursor & (capacity - 1)`: calls fn(const Entry&) for every entry whose
  /// home slot it is, and returns the next cursor in reverse-binary order (0 when done), as
  /// Redis's dictScan does. An entry present for a whole scan is visited at least once even if
  /// the table grows or shrinks between calls (it may be visited twice after a shrink).
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, F&& fn) const {
    if (slots_ == nullptr) return 0;
    const std::size_t bucket = cursor & mask_;
    // Linear probing keeps every entry within the run of occupied slots after its home.
    for (std::size_t i = bucket; slots_[i] != 0; i = (i + 1) & mask_) {
      const Entry& e = *entry_of(slots_[i]);
      if (home_of(e) == bucket) fn(e);
    }
    return next_cursor(cursor, mask_);
  }
  /// The entry at or after slot `from` (wrapping), or null if the table is empty.
  const Entry* entry_at_or_after(std::size_t from) const {
    for (std::size_t n = 0; slots_ != nullptr && n <= mask_; ++n) {
      const std::uintptr_t slot = slots_[(from + n) & mask_];
      if (slot != 0) return entry_of(slot);
    }
    return nullptr;
  }
  /// Reverse-binary increment of `cursor` under `mask`; 0 after the last bucket.
  static std::uint64_t next_cursor(std::uint64_t cursor, std::uint64_t mask);
  /// Calls fn(const Entry&) for every entry.
  template <class F>
  void for_each(F&& fn) const {
    for (std::size_t i = 0; slots_ != nullptr && i <= mask_; ++i) {
      if (slots_[i] != 0) fn(*entry_of(slots_[i]));
    }
  }

 private:
  static constexpr std::uintptr_t kPtrMask = (std::uintptr_t{1} << 48) - 1;
  static std::uintptr_t tag_of(std::uint64_t hash) { return (hash >> 16) & 0xffff; }
  static Entry* entry_of(std::uintptr_t slot) { return reinterpret_cast<Entry*>(slot & kPtrMask); }
  static std::uintptr_t make_slot(Entry* e, std::uint64_t hash) {
    return reinterpret_cast<std::uintptr_t>(e) | (tag_of(hash) << 48);
  }
  std::size_t home_of(const Entry& e) const;
  void rehash(std::size_t new_capacity);
  void release();

  std::uint64_t seed_;
  std::uintptr_t* slots_ = nullptr;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kv::store
