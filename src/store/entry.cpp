#include "store/entry.hpp"

#include <malloc.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

namespace kv::store {

Entry* Entry::create(std::string_view key, std::string_view value, bool ttl_slot,
                     std::size_t reserve) {
  assert(key.size() <= kMaxKey && value.size() <= kMaxValue);
  const std::size_t extra = ttl_slot ? kSlotSize : 0;
  void* mem = std::malloc(sizeof(Entry) + extra + key.size() + std::max(value.size(), reserve));
  if (mem == nullptr) throw std::bad_alloc();
  auto* e = new (mem) Entry(static_cast<std::uint32_t>(key.size()) | (ttl_slot ? kTtlSlotFlag : 0),
                            static_cast<std::uint32_t>(value.size()));
  if (ttl_slot) e->set_ttl_index(kNoTtl);
  if (!key.empty()) std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
  return e;
}

void Entry::destroy(Entry* e) {
  if (e == nullptr) return;
  e->~Entry();
  std::free(e);
}

bool Entry::resize_value(std::size_t n) {
  // malloc_usable_size counts the allocator's rounding too, so short values often grow in place.
  const std::size_t used = static_cast<std::size_t>(value_data() - reinterpret_cast<char*>(this));
  if (n > kMaxValue || used + n > malloc_usable_size(this)) return false;
  val_len_ = static_cast<std::uint32_t>(n);
  return true;
}

void Entry::overwrite_value(std::string_view v) {
  assert(v.size() == val_len_);
  if (!v.empty()) std::memcpy(data() + key().size(), v.data(), v.size());
}

}  // namespace kv::store
