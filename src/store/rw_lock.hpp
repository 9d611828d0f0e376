// A reader-writer lock that does not starve writers.
#pragma once

#include <pthread.h>

namespace kv::store {

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

  /// Takes the lock exclusively.
  void lock() { pthread_rwlock_wrlock(&lock_); }
  /// Releases an exclusive hold.
  void unlock() { pthread_rwlock_unlock(&lock_); }
  /// Takes the lock shared.
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  /// Releases a shared hold.
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace kv::store
