// A reader-writer lock that does not starve writers.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <vector>

namespace kv::store {

class RwLock;

/// The stripe locks a transaction (EXEC) on the calling thread holds. While one is installed,
/// RwLock operations on a lock it holds do nothing, so the commands of the transaction run with
/// the locks EXEC took up front. One per thread at most; EXEC installs it and removes it.
class HeldLocks {
 public:
  /// The set installed on this thread, or null.
  static HeldLocks*& current() {
    thread_local HeldLocks* held = nullptr;
    return held;
  }
  /// Whether `lock` is held by the transaction.
  bool holds(const RwLock* lock) const {
    return all_ || std::binary_search(locks_.begin(), locks_.end(), lock);
  }
  /// Whether every stripe lock is held.
  bool all() const { return all_; }
  /// Records the locks held, or that every stripe lock is held.
  void set(std::vector<const RwLock*> sorted_locks, bool all) {
    locks_ = std::move(sorted_locks);
    all_ = all;
  }

 private:
  std::vector<const RwLock*> locks_;
  bool all_ = false;
};

/// pthread_rwlock_t of glibc's writer-preferring kind: once a writer waits, new readers queue
/// behind it. std::shared_mutex uses the default kind, which prefers readers, so a stripe read in
/// a tight loop by many clients could hold off a SET indefinitely. Not recursive: a thread must not
/// lock it twice, even shared. Meets the SharedMutex requirements (std::shared_lock works).
class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  /// Takes the lock exclusively (nothing if this thread's transaction holds it).
  void lock() {
    if (!held()) pthread_rwlock_wrlock(&lock_);
  }
  /// Releases an exclusive hold.
  void unlock() {
    if (!held()) pthread_rwlock_unlock(&lock_);
  }
  /// Takes the lock shared (nothing if this thread's transaction holds it).
  void lock_shared() {
    if (!held()) pthread_rwlock_rdlock(&lock_);
  }
  /// Releases a shared hold.
  void unlock_shared() {
    if (!held()) pthread_rwlock_unlock(&lock_);
  }
  /// Takes the lock exclusively, ignoring any installed HeldLocks (for EXEC itself).
  void lock_raw() { pthread_rwlock_wrlock(&lock_); }
  /// Releases a lock_raw() hold.
  void unlock_raw() { pthread_rwlock_unlock(&lock_); }

 private:
  bool held() const {
    const HeldLocks* h = HeldLocks::current();
    return h != nullptr && h->holds(this);
  }

  pthread_rwlock_t lock_;
};

}  // namespace kv::store
