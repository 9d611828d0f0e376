#include "store/counters.hpp"

namespace kv::store {

std::size_t counter_slot() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot =
      next.fetch_add(1, std::memory_order_relaxed) % kCounterSlots;
  return slot;
}

}  // namespace kv::store
