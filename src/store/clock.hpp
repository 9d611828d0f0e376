// Time for expiry, injected so tests move it instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace kv::store {

/// A source of Unix time in milliseconds. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch.
  virtual std::int64_t now_ms() const = 0;
};

/// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  /// The process-wide instance.
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// The system clock, which can be held at 0 so that no deadline has passed: while the log is
/// replayed at start, keys keep their deadlines and none expires, as Redis loads its files (the
/// log already holds a DEL for every key that expired before it was written).
class ServerClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    return held_.load(std::memory_order_relaxed) ? 0 : SystemClock::instance().now_ms();
  }
  /// Holds the clock at 0 (true) or lets it run (false).
  void hold(bool held) { held_.store(held, std::memory_order_relaxed); }

 private:
  std::atomic<bool> held_{false};
};

/// A clock that moves only when told to (tests).
class ManualClock final : public Clock {
 public:
  /// Starts at `start_ms`.
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
  /// Moves the clock forward by `ms`.
  void advance(std::int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }
  /// Sets the time.
  void set(std::int64_t ms) { now_.store(ms, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace kv::store
