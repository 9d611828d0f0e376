#include "store/table.hpp"

#include <cassert>
#include <cstdlib>
#include <new>
#include <utility>

#include "store/hash.hpp"

namespace kv::store {

namespace {
constexpr std::size_t kMinCapacity = 8;
}  // namespace

Table::~Table() { release(); }

Table::Table(Table&& other) noexcept
    : seed_(other.seed_), slots_(other.slots_), mask_(other.mask_), size_(other.size_) {
  other.slots_ = nullptr;
  other.mask_ = 0;
  other.size_ = 0;
}

Table& Table::operator=(Table&& other) noexcept {
  if (this != &other) {
    release();
    seed_ = other.seed_;
    slots_ = std::exchange(other.slots_, nullptr);
    mask_ = std::exchange(other.mask_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void Table::forget_entries() {
  std::free(slots_);
  slots_ = nullptr;
  mask_ = 0;
  size_ = 0;
}

void Table::release() {
  for_each([](const Entry& e) { Entry::destroy(const_cast<Entry*>(&e)); });
  std::free(slots_);
  slots_ = nullptr;
  mask_ = 0;
  size_ = 0;
}

std::uint64_t Table::next_cursor(std::uint64_t cursor, std::uint64_t mask) {
  auto reverse = [](std::uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  };
  // Set the bits above the mask so the increment carries straight into the masked ones.
  cursor |= ~mask;
  return reverse(reverse(cursor) + 1);
}

std::size_t Table::home_of(const Entry& e) const { return hash_bytes(e.key(), seed_) & mask_; }

Entry* Table::find(std::string_view key, std::uint64_t hash) const {
  if (slots_ == nullptr) return nullptr;
  const std::uintptr_t tag = tag_of(hash);
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const std::uintptr_t slot = slots_[i];
    if (slot == 0) return nullptr;
    if ((slot >> 48) == tag) {
      Entry* e = entry_of(slot);
      if (e->key() == key) return e;
    }
  }
}

void Table::rehash(std::size_t new_capacity) {
  auto* fresh = static_cast<std::uintptr_t*>(std::calloc(new_capacity, sizeof(std::uintptr_t)));
  if (fresh == nullptr) throw std::bad_alloc();
  std::uintptr_t* old = slots_;
  const std::size_t old_capacity = old == nullptr ? 0 : mask_ + 1;
  slots_ = fresh;
  mask_ = new_capacity - 1;
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old[i] == 0) continue;
    const std::uint64_t hash = hash_bytes(entry_of(old[i])->key(), seed_);
    std::size_t j = hash & mask_;
    while (slots_[j] != 0) j = (j + 1) & mask_;
    slots_[j] = make_slot(entry_of(old[i]), hash);
  }
  std::free(old);
}

Entry* Table::upsert(Entry* e, std::uint64_t hash) {
  assert((reinterpret_cast<std::uintptr_t>(e) & ~kPtrMask) == 0);
  if (slots_ == nullptr) {
    rehash(kMinCapacity);
  } else if ((size_ + 1) * 4 > (mask_ + 1) * 3) {
    rehash((mask_ + 1) * 2);
  }
  const std::uintptr_t tag = tag_of(hash);
  const std::string_view key = e->key();
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const std::uintptr_t slot = slots_[i];
    if (slot == 0) {
      slots_[i] = make_slot(e, hash);
      ++size_;
      return nullptr;
    }
    if ((slot >> 48) == tag && entry_of(slot)->key() == key) {
      slots_[i] = make_slot(e, hash);
      return entry_of(slot);
    }
  }
}

Entry* Table::extract(std::string_view key, std::uint64_t hash) {
  if (slots_ == nullptr) return nullptr;
  const std::uintptr_t tag = tag_of(hash);
  std::size_t i = hash & mask_;
  for (;; i = (i + 1) & mask_) {
    const std::uintptr_t slot = slots_[i];
    if (slot == 0) return nullptr;
    if ((slot >> 48) == tag && entry_of(slot)->key() == key) break;
  }
  Entry* removed = entry_of(slots_[i]);
  // Backward-shift: move each later entry of the run into the hole unless that would put it
  // before its home slot.
  for (std::size_t j = (i + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
    const std::size_t home = home_of(*entry_of(slots_[j]));
    if (((j - home) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
  --size_;
  if (size_ == 0) {
    std::free(slots_);
    slots_ = nullptr;
    mask_ = 0;
  } else if (mask_ + 1 > kMinCapacity && size_ * 8 < mask_ + 1) {
    rehash((mask_ + 1) / 2);
  }
  return removed;
}

}  // namespace kv::store
