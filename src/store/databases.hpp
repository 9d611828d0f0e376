// The logical databases: numbered keyspaces, each a Store, swappable as a whole.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "store/store.hpp"

namespace kv::store {

/// `count` numbered Stores (Redis's SELECT indexes), all on one clock.
///
/// Thread-safety: db() may be called from any thread at any time. Commands that involve more
/// than one database or renumber them hold the layout lock (LayoutLock): SWAPDB and FLUSHALL
/// exclusively, MOVE and COPY ... DB shared, so none of them sees another half done. The layout
/// lock is always taken before any stripe lock. A single-database command resolves its database
/// once, without the layout lock. The Stores live as long as this object.
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
  /// Exchanges databases `a` and `b` (SWAPDB) and their index(). Call holding a WorldLock, so
  /// that no write to either store is in flight while their numbers change.
  void swap(std::size_t a, std::size_t b);
  /// The layout lock (see LayoutLock).
  std::shared_mutex& layout() { return layout_; }
  /// Calls fn(std::size_t index, Store&) for every database, in index order.
  template <class F>
  void for_each(F&& fn) const {
    for (std::size_t i = 0; i < count(); ++i) fn(i, db(i));
  }

 private:
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<std::atomic<Store*>> slots_;
  std::shared_mutex layout_;
};

/// Holds the databases' layout lock, shared or exclusive, unless this thread already holds it
/// exclusively (an EXEC whose queue needs it takes it first and its commands skip it).
class LayoutLock {
 public:
  LayoutLock(Databases& dbs, bool exclusive) : dbs_(dbs), exclusive_(exclusive) {
    if (held()) {
      owned_ = false;
      return;
    }
    if (exclusive_) {
      dbs_.layout().lock();
      held() = true;
    } else {
      dbs_.layout().lock_shared();
    }
  }
  ~LayoutLock() {
    if (!owned_) return;
    if (exclusive_) {
      held() = false;
      dbs_.layout().unlock();
    } else {
      dbs_.layout().unlock_shared();
    }
  }
  LayoutLock(const LayoutLock&) = delete;
  LayoutLock& operator=(const LayoutLock&) = delete;

 private:
  static bool& held() {
    thread_local bool exclusive_held = false;
    return exclusive_held;
  }
  Databases& dbs_;
  bool exclusive_;
  bool owned_ = true;
};

/// Every stripe lock of every database, exclusively, and the layout lock: nothing else touches
/// any key while it is held. For FLUSHALL, SWAPDB and a snapshot's cut. Does nothing more if the
/// thread already holds every stripe (an EXEC whose queue needed them). Taking 16 x 1024 locks
/// costs well under a millisecond.
class WorldLock {
 public:
  explicit WorldLock(Databases& dbs);
  WorldLock(const WorldLock&) = delete;
  WorldLock& operator=(const WorldLock&) = delete;

 private:
  LayoutLock layout_;
  TransactionLocks locks_;
};

}  // namespace kv::store
