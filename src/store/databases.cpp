#include "store/databases.hpp"

namespace kv::store {

Databases::Databases(std::size_t count, std::size_t stripes, const Clock& clock)
    : slots_(count == 0 ? 1 : count) {
  for (auto& slot : slots_) {
    stores_.push_back(std::make_unique<Store>(stripes, clock));
    slot.store(stores_.back().get(), std::memory_order_relaxed);
  }
}

void Databases::swap(std::size_t a, std::size_t b) {
  Store* first = slots_[a].load(std::memory_order_relaxed);
  slots_[a].store(slots_[b].load(std::memory_order_relaxed), std::memory_order_release);
  slots_[b].store(first, std::memory_order_release);
}

}  // namespace kv::store
