#include "store/active_expiry.hpp"

#include <malloc.h>

namespace kv::store {

ActiveExpiry::ActiveExpiry(const Databases& databases, std::chrono::milliseconds period,
                           WriteObserver* observer)
    : databases_(databases), period_(period), observer_(observer), thread_([this] { run(); }) {}

ActiveExpiry::~ActiveExpiry() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ActiveExpiry::run() {
  ObserverScope scope(observer_);
  std::size_t freed_since_trim = 0;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    databases_.for_each([&](std::size_t, Store& store) {
      std::size_t removed;
      // A pass that found many expired keys is repeated at once, so a mass expiry clears quickly.
      do {
        removed = store.expire_cycle();
        freed_since_trim += removed;
      } while (removed >= store.stripe_count());
    });
    if (freed_since_trim >= kTrimAfter) {
      // glibc keeps freed small chunks in its arenas; hand whole free pages back.
      malloc_trim(0);
      freed_since_trim = 0;
    }
    lock.lock();
  }
}

}  // namespace kv::store
