// The logical databases: numbered keyspaces, each a Store, swappable as a whole.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "store/store.hpp"

namespace kv::store {

/// `count` numbered Stores (Redis's SELECT indexes), all on one clock.
///
/// Thread-safety: db() may be called from any thread at any time; swap() exchanges two numbers
/// atomically (SWAPDB). A command resolves its database once, when it starts, so a command that
/// overlaps a swap behaves as if it ran entirely before it. The Stores live as long as this object.
class Databases {
 public:
  /// Redis's default number of databases.
  static constexpr std::size_t kDefaultCount = 16;

  /// `count` databases of `stripes` stripes each.
  explicit Databases(std::size_t count = kDefaultCount, std::size_t stripes = kDefaultStripes,
                     const Clock& clock = SystemClock::instance());

  /// Number of databases.
  std::size_t count() const { return slots_.size(); }
  /// Database number `index` (0 <= index < count()).
  Store& db(std::size_t index) const { return *slots_[index].load(std::memory_order_acquire); }
  /// Exchanges databases `a` and `b` (SWAPDB).
  void swap(std::size_t a, std::size_t b);
  /// Calls fn(std::size_t index, Store&) for every database, in index order.
  template <class F>
  void for_each(F&& fn) const {
    for (std::size_t i = 0; i < count(); ++i) fn(i, db(i));
  }

 private:
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<std::atomic<Store*>> slots_;
  std::mutex swap_mu_;
};

}  // namespace kv::store
