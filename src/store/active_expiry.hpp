// The background thread that deletes expired keys nobody reads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "store/databases.hpp"

namespace kv::store {

/// Runs Store::expire_cycle() over every database every `period` on its own thread, and hands
/// freed memory back to the operating system after large deletions. Starts in the constructor,
/// stops (and joins) in the destructor; `databases` outlives it.
class ActiveExpiry {
 public:
  /// Redis's default hz is 10: a pass every 100 ms.
  static constexpr std::chrono::milliseconds kDefaultPeriod{100};
  /// Freed keys after which memory is returned to the system.
  static constexpr std::size_t kTrimAfter = 10000;

  /// `observer` (may be null) is installed on the expiry thread: the write-ahead log hears each
  /// key it deletes. Both outlive this object.
  explicit ActiveExpiry(const Databases& databases,
                        std::chrono::milliseconds period = kDefaultPeriod,
                        WriteObserver* observer = nullptr);
  ~ActiveExpiry();
  ActiveExpiry(const ActiveExpiry&) = delete;
  ActiveExpiry& operator=(const ActiveExpiry&) = delete;

 private:
  void run();

  const Databases& databases_;
  std::chrono::milliseconds period_;
  WriteObserver* observer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kv::store
