#include "store/databases.hpp"

namespace kv::store {

Databases::Databases(std::size_t count, std::size_t stripes, const Clock& clock)
    : slots_(count == 0 ? 1 : count) {
  for (auto& slot : slots_) {
    stores_.push_back(std::make_unique<Store>(stripes, clock));
    stores_.back()->set_index(static_cast<int>(stores_.size() - 1));
    slot.store(stores_.back().get(), std::memory_order_relaxed);
  }
}

void Databases::swap(std::size_t a, std::size_t b) {
  Store* first = slots_[a].load(std::memory_order_relaxed);
  slots_[a].store(slots_[b].load(std::memory_order_relaxed), std::memory_order_release);
  slots_[b].store(first, std::memory_order_release);
  db(a).set_index(static_cast<int>(a));
  db(b).set_index(static_cast<int>(b));
}

WorldLock::WorldLock(Databases& dbs) : layout_(dbs, true) {
  const HeldLocks* held = HeldLocks::current();
  if (held != nullptr && held->all()) return;  // An EXEC that took every stripe already.
  dbs.for_each([&](std::size_t, Store& s) { locks_.add_store(s); });
  locks_.acquire();
}

}  // namespace kv::store
