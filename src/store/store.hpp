// The keyspace: a striped hash map shared by all threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <vector>

#include "store/counters.hpp"
#include "store/hash.hpp"
#include "store/rw_lock.hpp"
#include "store/table.hpp"

namespace kv::store {

/// Default number of stripes.
inline constexpr std::size_t kDefaultStripes = 1024;

/// A point-in-time reading of the store's metrics.
struct StoreMetrics {
  std::uint64_t keys = 0;         ///< Keys stored.
  std::uint64_t value_bytes = 0;  ///< Total bytes of all values.
  std::uint64_t gets = 0;         ///< Keys read by GET-like commands (hits and misses).
  std::uint64_t sets = 0;         ///< Keys written by SET-like commands.
  std::uint64_t deletes = 0;      ///< Keys named by DEL-like commands (deleted or not).
};

/// Binary-safe keys to binary-safe values, in a power-of-two number of stripes, each a
/// reader-writer lock over its own Table.
///
/// Thread-safety: every public function may be called from any thread at any time. A single-key
/// operation takes one stripe lock (shared to read, exclusive to write). A multi-key operation
/// takes the locks of all its stripes in ascending index order, deduplicated, so operations never
/// deadlock and none is seen half done. Callbacks run while locks are held: they must be short and
/// must never call back into the store. Entries are allocated before and freed after the locks.
class Store {
 public:
  /// `stripes` is rounded up to a power of two (at least 2, at most 65536).
  explicit Store(std::size_t stripes = kDefaultStripes);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Calls on_value(std::string_view) with the value of `key` under the stripe's shared lock and
  /// returns true, or returns false if the key is missing.
  template <class F>
  bool get(std::string_view key, F&& on_value) const;
  /// Sets `key` to `value`.
  void set(std::string_view key, std::string_view value);
  /// For each key in order calls on_each(std::optional<std::string_view>), all under the keys'
  /// shared stripe locks, so the values are one consistent cut.
  template <class F>
  void mget(std::span<const std::string_view> keys, F&& on_each) const;
  /// Sets keys to values atomically: `pairs` is key, value, key, value ... (later pairs win).
  void mset(std::span<const std::string_view> pairs);
  /// Like mset, but only if none of the keys exists; returns whether it set them.
  bool msetnx(std::span<const std::string_view> pairs);
  /// Deletes the keys atomically; returns how many existed.
  std::size_t del(std::span<const std::string_view> keys);
  /// How many of the keys exist, a repeated key counted each time.
  std::size_t exists(std::span<const std::string_view> keys) const;
  /// Number of keys.
  std::size_t size() const;
  /// Deletes every key atomically.
  void clear();
  /// Current metrics (counters summed over threads).
  StoreMetrics metrics() const;
  /// Number of stripes.
  std::size_t stripe_count() const { return stripe_mask_ + 1; }
  /// The stripe `key` lives in.
  std::size_t stripe_of(std::string_view key) const { return stripe_index(hash(key)); }

 private:
  enum Op : std::size_t { kGet, kSet, kDel, kOpCount };

  struct alignas(64) Stripe {
    mutable RwLock mu;
    Table table;
    // Written under the exclusive lock, read without it by metrics.
    std::atomic<std::int64_t> value_bytes{0};
  };

  /// Stripe indexes of a multi-key operation, sorted and unique, plus each key's hash.
  class KeyPlan;

  std::uint64_t hash(std::string_view key) const { return hash_bytes(key, seed_); }
  std::size_t stripe_index(std::uint64_t h) const { return (h >> 48) & stripe_mask_; }
  // Inserts under the held exclusive lock; returns the replaced entry for freeing after unlock.
  Entry* put_locked(Stripe& s, Entry* e, std::uint64_t h);
  Entry* remove_locked(Stripe& s, std::string_view key, std::uint64_t h);

  std::uint64_t seed_;
  std::size_t stripe_mask_;
  std::unique_ptr<Stripe[]> stripes_;
  mutable PerThreadCounters<kOpCount> ops_;
};

/// Sorted, deduplicated stripe indexes of a set of keys, and their hashes.
class Store::KeyPlan {
 public:
  KeyPlan(const Store& store, std::span<const std::string_view> keys, std::size_t step);
  /// Hash of the i-th key.
  std::uint64_t hash(std::size_t i) const { return hashes_[i]; }
  /// Locks every stripe, shared or exclusive, in ascending order.
  void lock(bool exclusive) const;
  /// Unlocks every stripe.
  void unlock(bool exclusive) const;

 private:
  const Store& store_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> stripes_;
};

template <class F>
bool Store::get(std::string_view key, F&& on_value) const {
  ops_.add(kGet);
  const std::uint64_t h = hash(key);
  const Stripe& s = stripes_[stripe_index(h)];
  std::shared_lock lock(s.mu);
  const Entry* e = s.table.find(key, h);
  if (e == nullptr) return false;
  on_value(e->value());
  return true;
}

template <class F>
void Store::mget(std::span<const std::string_view> keys, F&& on_each) const {
  ops_.add(kGet, keys.size());
  KeyPlan plan(*this, keys, 1);
  plan.lock(false);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    const Entry* e = stripes_[stripe_index(h)].table.find(keys[i], h);
    on_each(e == nullptr ? std::optional<std::string_view>() : std::optional(e->value()));
  }
  plan.unlock(false);
}

}  // namespace kv::store
