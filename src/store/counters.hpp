// Per-thread counters, summed when read: no cache line is shared by threads on the hot path.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace kv::store {

/// The slot of the calling thread, fixed for its life (threads past kCounterSlots share slots).
std::size_t counter_slot();
/// Number of per-thread slots a PerThreadCounters keeps.
inline constexpr std::size_t kCounterSlots = 64;

/// `N` counters, one cache line of them per thread slot.
///
/// add() is a relaxed atomic add on the calling thread's own line (atomic only because threads
/// beyond kCounterSlots share a slot); sum() reads every slot and may miss adds in flight.
template <std::size_t N>
class PerThreadCounters {
 public:
  /// Adds `n` to counter `i`.
  void add(std::size_t i, std::uint64_t n = 1) {
    slots_[counter_slot()].v[i].fetch_add(n, std::memory_order_relaxed);
  }
  /// The total of counter `i` over all threads.
  std::uint64_t sum(std::size_t i) const {
    std::uint64_t total = 0;
    for (const Slot& s : slots_) total += s.v[i].load(std::memory_order_relaxed);
    return total;
  }
  /// Sets every counter to zero (CONFIG RESETSTAT).
  void reset() {
    for (Slot& s : slots_) {
      for (auto& c : s.v) c.store(0, std::memory_order_relaxed);
    }
  }

 private:
  struct alignas(64) Slot {
    std::array<std::atomic<std::uint64_t>, N> v{};
  };
  std::array<Slot, kCounterSlots> slots_{};
};

}  // namespace kv::store
