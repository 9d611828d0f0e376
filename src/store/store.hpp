// The keyspace: a striped hash map shared by all threads, with per-key expiry.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "store/clock.hpp"
#include "store/counters.hpp"
#include "store/hash.hpp"
#include "store/rw_lock.hpp"
#include "store/table.hpp"

namespace kv::store {

/// Default number of stripes.
inline constexpr std::size_t kDefaultStripes = 1024;

/// A point-in-time reading of the store's metrics.
struct StoreMetrics {
  std::uint64_t keys = 0;         ///< Keys stored (live ones).
  std::uint64_t expires = 0;      ///< Live keys that have a deadline.
  std::uint64_t value_bytes = 0;  ///< Total bytes of all values.
  std::uint64_t gets = 0;         ///< Keys read by GET-like commands (hits and misses).
  std::uint64_t sets = 0;         ///< Keys written by SET-like commands.
  std::uint64_t deletes = 0;      ///< Keys named by DEL-like commands (deleted or not).
  std::uint64_t expired = 0;      ///< Keys removed because their deadline passed.
  std::uint64_t avg_ttl_ms = 0;   ///< Mean time left of the live keys that have a deadline.
};

class Store;

/// Set when a watched key changes (WATCH); owned by the watching client, registered in the
/// key's stripe by Store::watch() until Store::unwatch().
struct WatchFlag {
  std::atomic<bool> dirty{false};  ///< The key was written, deleted, expired or flushed.
};

/// Told of every change the calling thread makes to any Store, under the lock of the stripe
/// that changes and before the change. kvd's write-ahead log installs one per command (see
/// ObserverScope) and logs the command at its first change, while every key it changes is still
/// locked: so the log holds conflicting commands in the order they changed memory.
class WriteObserver {
 public:
  virtual ~WriteObserver() = default;
  /// `n` keys of `store` are about to be set, overwritten, re-deadlined, deleted or flushed.
  virtual void on_change(const Store& store, std::size_t n) = 0;
  /// `key` of `store` is about to be deleted because its deadline passed.
  virtual void on_expire(const Store& store, std::string_view key) = 0;
  /// The calling thread's observer, or null.
  static WriteObserver*& current() {
    thread_local WriteObserver* observer = nullptr;
    return observer;
  }
};

/// Installs `observer` as the calling thread's WriteObserver for its lifetime, then restores the
/// previous one (so scopes nest: an EXEC's commands run inside the EXEC's scope).
class ObserverScope {
 public:
  explicit ObserverScope(WriteObserver* observer) : previous_(WriteObserver::current()) {
    WriteObserver::current() = observer;
  }
  ~ObserverScope() { WriteObserver::current() = previous_; }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;

 private:
  WriteObserver* previous_;
};

/// One key inside Store::update(): read it, replace it, change its deadline or delete it.
///
/// Valid only inside the update callback, which runs under the key's stripe lock held
/// exclusively. An expired key reads as missing. Deadlines are Unix milliseconds; 0 means none.
class KeyRef {
 public:
  /// Whether the key exists (and has not expired).
  bool exists() const { return entry_ != nullptr; }
  /// The value; requires exists().
  std::string_view value() const;
  /// The key's deadline, or 0 if it has none or does not exist.
  std::int64_t expire_at() const;
  /// Sets the value and the deadline (0: none).
  void set(std::string_view value, std::int64_t expire_at);
  /// Sets the value and keeps the current deadline.
  void set_keep_ttl(std::string_view value) { set(value, expire_at()); }
  /// Writes `bytes` at `offset` of the value, zero-filling any gap and extending the value as
  /// needed; keeps the deadline; creates the key if missing. In place when the entry has room;
  /// otherwise the value moves to an allocation with room to double, so a run of APPENDs costs
  /// amortised O(appended bytes), as Redis's growing strings do. Returns the new length.
  std::size_t write_at(std::size_t offset, std::string_view bytes);
  /// Changes the deadline (0: none); requires exists().
  void expire(std::int64_t at);
  /// Deletes the key if it exists.
  void erase();
  /// The store's current time, read once per update.
  std::int64_t now() const { return now_; }

 private:
  friend class Store;
  void set_deadline(std::int64_t at);
  KeyRef(Store& store, void* stripe, std::string_view key, std::uint64_t hash, std::int64_t now,
         std::vector<Entry*>& garbage)
      : store_(store), stripe_(stripe), key_(key), hash_(hash), now_(now), garbage_(garbage) {}

  Store& store_;
  void* stripe_;  // The key's Store::Stripe (a private type, so not named here).
  std::string_view key_;
  std::uint64_t hash_;
  std::int64_t now_;
  Entry* entry_ = nullptr;
  std::vector<Entry*>& garbage_;
};

/// A read-only view of a key inside Store::read().
struct KeyView {
  std::string_view value;      ///< The value.
  std::int64_t expire_at = 0;  ///< Deadline in Unix milliseconds, 0 if none.
};

/// Binary-safe keys to binary-safe values with optional deadlines, in a power-of-two number of
/// stripes, each a reader-writer lock over its own Table and TTL array.
///
/// Thread-safety: every public function may be called from any thread at any time. A single-key
/// operation takes one stripe lock (shared to read, exclusive to write). A multi-key operation
/// takes the locks of all its stripes in ascending index order, deduplicated, so operations never
/// deadlock and none is seen half done. Callbacks run while locks are held: they must be short and
/// must never call back into the store. Entries are freed after the locks are released.
///
/// Expiry: a key whose deadline has passed (now > deadline, as Redis counts) is never returned,
/// counted or matched. Readers skip it; writers and expire_cycle() delete it.
class Store {
 public:
  /// `stripes` is rounded up to a power of two (at least 2, at most 65536). `clock` outlives the
  /// store.
  explicit Store(std::size_t stripes = kDefaultStripes,
                 const Clock& clock = SystemClock::instance());
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Calls on_value(std::string_view) with the value of `key` under the stripe's shared lock and
  /// returns true, or returns false if the key is missing.
  template <class F>
  bool get(std::string_view key, F&& on_value) const;
  /// Calls fn(const KeyView*) under the stripe's shared lock (null if missing) and returns what fn
  /// returns. Counts as a get.
  template <class F>
  auto read(std::string_view key, F&& fn) const;
  /// Calls fn(KeyRef&) under the stripe's exclusive lock and returns what fn returns.
  template <class F>
  auto update(std::string_view key, F&& fn);
  /// Calls fn(KeyRef& a, KeyRef& b) with both keys' stripes locked exclusively (in order) and
  /// returns what fn returns. The keys must differ.
  template <class F>
  auto update2(std::string_view a, std::string_view b, F&& fn);
  /// Like update2 for keys in two stores (MOVE, COPY ... DB): fn(KeyRef& a, KeyRef& b) runs with
  /// both stripes locked exclusively. Every multi-lock operation takes stripe locks in increasing
  /// address order (within a store, that is stripe order), so none can deadlock another.
  /// `sa` and `sb` must differ.
  template <class F>
  static auto update_across(Store& sa, std::string_view a, Store& sb, std::string_view b, F&& fn);
  /// One step of a SCAN from `cursor` (0 starts): calls fn(std::string_view key) for live keys,
  /// one stripe at a time under its shared lock, until about `count` keys were found or
  /// 10 * `count` buckets visited. Returns the next cursor, 0 when the scan is complete. A key
  /// present for the whole scan is returned at least once (rarely more).
  template <class F>
  std::uint64_t scan(std::uint64_t cursor, std::size_t count, F&& fn) const;
  /// Calls fn(std::string_view key) for every live key under every stripe's shared lock (KEYS).
  template <class F>
  void for_each_key(F&& fn) const;
  /// Calls fn(std::string_view key) with a random live key and returns true, or returns false if
  /// there are none.
  template <class F>
  bool random_key(F&& fn) const;
  /// Sets `key` to `value`, removing any deadline.
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
  /// Number of live keys.
  std::size_t size() const;
  /// Deletes every key atomically.
  void clear();
  /// One pass of active expiry: visits every stripe that has deadlines, samples up to `sample`
  /// of them at a time under that stripe's lock, deletes the expired ones, and samples again while
  /// more than a quarter of a sample had expired, up to `max_rounds` samples per stripe. Never
  /// scans a whole stripe under its lock. Returns the number of keys deleted.
  std::size_t expire_cycle(std::size_t sample = 20, std::size_t max_rounds = 16);
  /// Registers `flag` to be set when `key` changes. The caller unwatches before freeing `flag`.
  void watch(std::string_view key, WatchFlag* flag);
  /// Undoes watch(key, flag).
  void unwatch(std::string_view key, WatchFlag* flag);
  /// Every watched key of this store with one of its flags (copies, for FLUSHDB and SWAPDB).
  std::vector<std::pair<std::string, WatchFlag*>> watched_keys() const;
  /// Whether `key` is present but past its deadline (not yet reclaimed).
  bool expired_entry(std::string_view key) const;
  /// The lock of `key`'s stripe (for TransactionLocks).
  RwLock& lock_of(std::string_view key) const { return stripe(hash(key)).mu; }
  /// The lock of stripe `i` (for TransactionLocks).
  RwLock& lock_at(std::size_t i) const { return stripes_[i].mu; }
  /// Current metrics (counters summed over threads; visits every stripe).
  StoreMetrics metrics() const;
  /// Keys removed because their deadline passed (cheap: counters only).
  std::uint64_t expired_keys() const { return ops_.sum(kExpired); }
  /// Number of stripes.
  std::size_t stripe_count() const { return stripe_mask_ + 1; }
  /// The stripe `key` lives in.
  std::size_t stripe_of(std::string_view key) const { return stripe_index(hash(key)); }
  /// The clock deadlines are measured against.
  const Clock& clock() const { return clock_; }
  /// This store's database number (set by Databases, changed by SWAPDB under every stripe lock
  /// of both stores), or -1 for a store outside Databases.
  int index() const { return index_.load(std::memory_order_relaxed); }
  /// Sets index(); call with every stripe lock held, or before the store is shared.
  void set_index(int index) { index_.store(index, std::memory_order_relaxed); }

  // ---- Snapshots (see docs/ARCHITECTURE.md, "Snapshots without fork") ----

  /// Starts a snapshot of the store as it is now. The caller holds every stripe lock of every
  /// store the snapshot covers (so the cut is one instant for all of them), and no snapshot of
  /// this store is in progress. From now on the first change to each key of a stripe not yet
  /// saved keeps a copy of the key as it was at the cut. Keys past their deadline at `cut_ms` are
  /// left out of the snapshot.
  void begin_snapshot(std::int64_t cut_ms);
  /// Keys and keys with deadlines at the cut, for RESIZEDB; call under the same locks as
  /// begin_snapshot.
  std::pair<std::uint64_t, std::uint64_t> snapshot_counts() const;
  /// Saves stripe `i` of the snapshot in progress: calls fn(std::string_view key, std::string_view
  /// value, std::int64_t deadline) for every key the stripe held at the cut, as it was then,
  /// under the stripe's shared lock (writers of this stripe wait; readers do not), then marks the
  /// stripe saved and frees its copies. Each stripe is saved once per snapshot.
  template <class F>
  void save_stripe(std::size_t i, F&& fn);
  /// Ends the snapshot in progress early (an error): drops the copies of unsaved stripes.
  void abandon_snapshot();
  /// Whether a snapshot is in progress (some stripe not yet saved).
  bool snapshot_in_progress() const { return pending_stripes_.load(std::memory_order_acquire) > 0; }

 private:
  friend class KeyRef;
  enum Op : std::size_t { kGet, kSet, kDel, kExpired, kOpCount };

  /// A deadline and its entry, in a stripe's TTL array.
  struct Deadline {
    std::int64_t at;
    Entry* entry;
  };

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  using Watchers =
      std::unordered_map<std::string, std::vector<WatchFlag*>, NameHash, std::equal_to<>>;

  /// A key as it was at a snapshot's cut: a copy of its entry (null: the key did not exist) and
  /// its deadline.
  struct PreImage {
    Entry* entry;
    std::int64_t at;
  };
  using PreImages = std::unordered_map<std::string, PreImage, NameHash, std::equal_to<>>;

  struct alignas(64) Stripe {
    mutable RwLock mu;
    Table table;
    std::vector<Deadline> deadlines;  // Entries with a deadline; entry->ttl_index() is the index.
    std::uint32_t sample_state = 1;   // For expire_cycle's sampling, under the exclusive lock.
    // Written under the exclusive lock, read without it by metrics and the expiry cycle.
    std::atomic<std::int64_t> value_bytes{0};
    std::atomic<bool> has_deadlines{false};
    // WATCHed keys of this stripe and their flags; null while nobody watches (the usual case).
    std::unique_ptr<Watchers> watchers;
    // The snapshot epoch this stripe was last saved for; below Store::epoch_ while a snapshot
    // has not saved it yet. Written under the stripe lock (shared by the saver, which excludes
    // writers), read under the exclusive lock.
    std::atomic<std::uint32_t> saved_epoch{0};
    // Keys changed since the cut, as they were at the cut; null when there are none.
    std::unique_ptr<PreImages> pre;
  };

  /// Stripe indexes of a multi-key operation, sorted and unique, plus each key's hash.
  class KeyPlan;

  // Runs fn(refs...), then `release` (unlock and free), and returns fn's result, if any.
  template <class F, class Release, class... Refs>
  static auto run_then_release(F& fn, Release&& release, Refs&... refs) {
    if constexpr (std::is_void_v<decltype(fn(refs...))>) {
      fn(refs...);
      release();
    } else {
      auto result = fn(refs...);
      release();
      return result;
    }
  }

  std::uint64_t hash(std::string_view key) const { return hash_bytes(key, seed_); }
  std::size_t stripe_index(std::uint64_t h) const { return (h >> 48) & stripe_mask_; }
  Stripe& stripe(std::uint64_t h) const { return stripes_[stripe_index(h)]; }
  static bool expired(const Stripe& s, const Entry& e, std::int64_t now);
  static std::int64_t deadline_of(const Stripe& s, const Entry& e);
  // Finds a live entry under a held lock (shared or exclusive); expired entries read as missing.
  static const Entry* find_live(const Stripe& s, std::string_view key, std::uint64_t h,
                                std::int64_t now);
  // Under the exclusive lock: finds a live entry, deleting an expired one into `garbage`.
  Entry* find_for_write(Stripe& s, std::string_view key, std::uint64_t h, std::int64_t now,
                        std::vector<Entry*>& garbage);
  // Under the exclusive lock: puts `e` with deadline `at` (0: none); returns the replaced entry.
  Entry* put_locked(Stripe& s, Entry* e, std::uint64_t h, std::int64_t at);
  // Under the exclusive lock: removes the entry for `key`; returns it, or null. `expiry`: it is
  // removed because its deadline passed.
  Entry* remove_locked(Stripe& s, std::string_view key, std::uint64_t h, bool expiry);
  // Under the exclusive lock, as `key` changes, while `current` (its entry before the change, or
  // null if it had none) is still intact: keeps its pre-image for a snapshot in progress, tells
  // the thread's WriteObserver (on_expire if `expiry`), then marks its watchers dirty, so an EXEC
  // that sees the mark also sees the change's log record appended. Every write path calls it.
  void before_write(Stripe& s, std::string_view key, const Entry* current, bool expiry = false) {
    if (unsaved(s)) preserve(s, key, current);
    if (WriteObserver* o = WriteObserver::current()) {
      if (expiry) {
        o->on_expire(*this, key);
      } else {
        o->on_change(*this, 1);
      }
    }
    touch(s, key);
  }
  static void touch(Stripe& s, std::string_view key) {
    if (s.watchers == nullptr) return;
    if (auto it = s.watchers->find(key); it != s.watchers->end()) {
      for (WatchFlag* f : it->second) f->dirty.store(true, std::memory_order_release);
    }
  }
  // Whether a snapshot in progress has not saved stripe `s` yet (under the stripe's lock).
  bool unsaved(const Stripe& s) const {
    return s.saved_epoch.load(std::memory_order_relaxed) != epoch_.load(std::memory_order_relaxed);
  }
  // Keeps `key` as it is now (`current`, null if missing) in s.pre, unless it is kept already.
  static void preserve(Stripe& s, std::string_view key, const Entry* current);
  // Under the exclusive lock, for clear(): moves the entries of `old` that the snapshot still
  // needs into s.pre and destroys the rest; `old` is left without entries.
  static void preserve_all(Stripe& s, Table& old, std::vector<Deadline>& old_deadlines);
  static void free_pre_images(std::unique_ptr<PreImages> pre);
  static void attach_deadline(Stripe& s, Entry* e, std::int64_t at);
  static void detach_deadline(Stripe& s, Entry* e);
  static std::size_t live_count(const Stripe& s, std::int64_t now);

  const Clock& clock_;
  std::uint64_t seed_;
  std::size_t stripe_mask_;
  std::unique_ptr<Stripe[]> stripes_;
  mutable PerThreadCounters<kOpCount> ops_;
  std::atomic<int> index_{-1};
  // Snapshot epoch: incremented by begin_snapshot under every stripe lock.
  std::atomic<std::uint32_t> epoch_{0};
  std::int64_t cut_ms_ = 0;                      // The cut's time, for leaving out expired keys.
  std::atomic<std::size_t> pending_stripes_{0};  // Stripes the snapshot has not saved yet.
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
  return read(key, [&](const KeyView* v) {
    if (v == nullptr) return false;
    on_value(v->value);
    return true;
  });
}

template <class F>
auto Store::read(std::string_view key, F&& fn) const {
  ops_.add(kGet);
  const std::uint64_t h = hash(key);
  const Stripe& s = stripe(h);
  std::shared_lock lock(s.mu);
  const Entry* e = s.table.find(key, h);
  if (e != nullptr && e->has_ttl()) {
    const std::int64_t at = deadline_of(s, *e);
    if (clock_.now_ms() > at) return fn(static_cast<const KeyView*>(nullptr));
    const KeyView view{e->value(), at};
    return fn(&view);
  }
  if (e == nullptr) return fn(static_cast<const KeyView*>(nullptr));
  const KeyView view{e->value(), 0};
  return fn(&view);
}

template <class F>
auto Store::update(std::string_view key, F&& fn) {
  const std::uint64_t h = hash(key);
  Stripe& s = stripe(h);
  std::vector<Entry*> garbage;
  std::unique_lock lock(s.mu);
  KeyRef ref(*this, &s, key, h, clock_.now_ms(), garbage);
  ref.entry_ = find_for_write(s, key, h, ref.now_, garbage);
  return run_then_release(
      fn,
      [&] {
        lock.unlock();
        for (Entry* e : garbage) Entry::destroy(e);
      },
      ref);
}

template <class F>
auto Store::update2(std::string_view a, std::string_view b, F&& fn) {
  const std::string_view keys[] = {a, b};
  KeyPlan plan(*this, keys, 1);
  std::vector<Entry*> garbage;
  plan.lock(true);
  const std::int64_t now = clock_.now_ms();
  KeyRef ra(*this, &stripe(plan.hash(0)), a, plan.hash(0), now, garbage);
  KeyRef rb(*this, &stripe(plan.hash(1)), b, plan.hash(1), now, garbage);
  ra.entry_ = find_for_write(stripe(plan.hash(0)), a, plan.hash(0), now, garbage);
  rb.entry_ = find_for_write(stripe(plan.hash(1)), b, plan.hash(1), now, garbage);
  return run_then_release(
      fn,
      [&] {
        plan.unlock(true);
        for (Entry* e : garbage) Entry::destroy(e);
      },
      ra, rb);
}

template <class F>
auto Store::update_across(Store& sa, std::string_view a, Store& sb, std::string_view b, F&& fn) {
  const std::uint64_t ha = sa.hash(a);
  const std::uint64_t hb = sb.hash(b);
  Stripe& stripe_a = sa.stripe(ha);
  Stripe& stripe_b = sb.stripe(hb);
  const bool a_first = std::less<const RwLock*>{}(&stripe_a.mu, &stripe_b.mu);
  (a_first ? stripe_a : stripe_b).mu.lock();
  (a_first ? stripe_b : stripe_a).mu.lock();
  std::vector<Entry*> garbage;
  KeyRef ra(sa, &stripe_a, a, ha, sa.clock_.now_ms(), garbage);
  KeyRef rb(sb, &stripe_b, b, hb, sb.clock_.now_ms(), garbage);
  ra.entry_ = sa.find_for_write(stripe_a, a, ha, ra.now_, garbage);
  rb.entry_ = sb.find_for_write(stripe_b, b, hb, rb.now_, garbage);
  return run_then_release(
      fn,
      [&] {
        (a_first ? stripe_b : stripe_a).mu.unlock();
        (a_first ? stripe_a : stripe_b).mu.unlock();
        for (Entry* e : garbage) Entry::destroy(e);
      },
      ra, rb);
}

template <class F>
std::uint64_t Store::scan(std::uint64_t cursor, std::size_t count, F&& fn) const {
  constexpr std::uint64_t kBucketBits = 48;
  std::size_t index = cursor >> kBucketBits;
  std::uint64_t bucket = cursor & ((std::uint64_t{1} << kBucketBits) - 1);
  std::size_t found = 0;
  std::size_t visited = 0;
  const std::size_t max_visits = count * 10;
  while (index <= stripe_mask_ && found < count && visited < max_visits) {
    const Stripe& s = stripes_[index];
    {
      std::shared_lock lock(s.mu);
      const std::int64_t now = clock_.now_ms();
      // Empty stripes cost no visit, so scanning a sparse keyspace does not stall.
      while (s.table.size() > 0 && found < count && visited < max_visits) {
        bucket = s.table.scan(bucket, [&](const Entry& e) {
          if (expired(s, e, now)) return;
          fn(e.key());
          ++found;
        });
        ++visited;
        if (bucket == 0) break;
      }
      if (s.table.size() == 0) bucket = 0;
    }
    if (bucket == 0) ++index;
  }
  return index > stripe_mask_ ? 0 : (static_cast<std::uint64_t>(index) << kBucketBits) | bucket;
}

template <class F>
bool Store::random_key(F&& fn) const {
  thread_local std::uint64_t state = seed_ | 1;
  auto next = [] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  // A few random probes first; if they only meet expired entries or empty stripes, walk every
  // stripe from a random one and every entry in it, so a live key is always found if one exists.
  constexpr int kRandomTries = 64;
  for (int attempt = 0; attempt < kRandomTries; ++attempt) {
    const Stripe& s = stripes_[next() & stripe_mask_];
    std::shared_lock lock(s.mu);
    if (s.table.size() == 0) continue;
    const Entry* e = s.table.entry_at_or_after(static_cast<std::size_t>(next()));
    if (e != nullptr && !expired(s, *e, clock_.now_ms())) {
      fn(e->key());
      return true;
    }
  }
  const std::size_t start = next();
  for (std::size_t k = 0; k <= stripe_mask_; ++k) {
    const Stripe& s = stripes_[(start + k) & stripe_mask_];
    std::shared_lock lock(s.mu);
    const std::int64_t now = clock_.now_ms();
    const Entry* live = nullptr;
    s.table.for_each([&](const Entry& e) {
      if (live == nullptr && !expired(s, e, now)) live = &e;
    });
    if (live != nullptr) {
      fn(live->key());
      return true;
    }
  }
  return false;
}

/// Calls fn(std::string_view key) for every live key while holding every stripe's shared lock:
/// one consistent cut, as Redis's KEYS gives (and, like it, it holds writers off meanwhile).
template <class F>
void Store::for_each_key(F&& fn) const {
  for (std::size_t i = 0; i <= stripe_mask_; ++i) stripes_[i].mu.lock_shared();
  const std::int64_t now = clock_.now_ms();
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    const Stripe& s = stripes_[i];
    s.table.for_each([&](const Entry& e) {
      if (!expired(s, e, now)) fn(e.key());
    });
  }
  for (std::size_t i = stripe_mask_ + 1; i-- > 0;) stripes_[i].mu.unlock_shared();
}

template <class F>
void Store::mget(std::span<const std::string_view> keys, F&& on_each) const {
  ops_.add(kGet, keys.size());
  KeyPlan plan(*this, keys, 1);
  plan.lock(false);
  const std::int64_t now = clock_.now_ms();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    const Entry* e = find_live(stripe(h), keys[i], h, now);
    on_each(e == nullptr ? std::optional<std::string_view>() : std::optional(e->value()));
  }
  plan.unlock(false);
}

template <class F>
void Store::save_stripe(std::size_t i, F&& fn) {
  Stripe& s = stripes_[i];
  std::unique_ptr<PreImages> pre;
  {
    std::shared_lock lock(s.mu);
    const std::uint32_t epoch = epoch_.load(std::memory_order_relaxed);
    if (s.saved_epoch.load(std::memory_order_relaxed) == epoch) return;
    const auto live_at_cut = [&](std::int64_t at) { return at == 0 || cut_ms_ <= at; };
    s.table.for_each([&](const Entry& e) {
      if (s.pre != nullptr && s.pre->contains(e.key())) return;  // Changed: its pre-image counts.
      const std::int64_t at = deadline_of(s, e);
      if (live_at_cut(at)) fn(e.key(), e.value(), at);
    });
    if (s.pre != nullptr) {
      for (const auto& [key, p] : *s.pre) {
        if (p.entry != nullptr && live_at_cut(p.at))
          fn(std::string_view(key), p.entry->value(), p.at);
      }
    }
    // Only writers read these, and they are excluded while this shared lock is held.
    s.saved_epoch.store(epoch, std::memory_order_relaxed);
    pre = std::move(s.pre);
  }
  pending_stripes_.fetch_sub(1, std::memory_order_acq_rel);
  free_pre_images(std::move(pre));
}

/// The stripe locks of one transaction: collected per key (or whole stores), then taken
/// exclusively in increasing address order, the order every multi-lock operation follows, and
/// installed as this thread's HeldLocks so the transaction's commands do not lock them again.
/// Not thread-safe: one per EXEC, on the executing thread.
class TransactionLocks {
 public:
  TransactionLocks() = default;
  ~TransactionLocks() { release(); }
  TransactionLocks(const TransactionLocks&) = delete;
  TransactionLocks& operator=(const TransactionLocks&) = delete;

  /// Adds the stripe of `key` in `store`.
  void add_key(const Store& store, std::string_view key) { locks_.push_back(&store.lock_of(key)); }
  /// Adds every stripe of `store`. Used for every store at once: the held set then answers "held"
  /// for any stripe lock.
  void add_store(const Store& store) {
    for (std::size_t i = 0; i < store.stripe_count(); ++i) locks_.push_back(&store.lock_at(i));
    all_ = true;
  }
  /// Takes the locks and installs them as this thread's HeldLocks.
  void acquire() {
    std::sort(locks_.begin(), locks_.end(), std::less<RwLock*>());
    locks_.erase(std::unique(locks_.begin(), locks_.end()), locks_.end());
    for (RwLock* l : locks_) l->lock_raw();
    held_.set(std::vector<const RwLock*>(locks_.begin(), locks_.end()), all_);
    HeldLocks::current() = &held_;
    acquired_ = true;
  }
  /// Uninstalls and releases the locks (the destructor does it too).
  void release() {
    if (!acquired_) return;
    HeldLocks::current() = nullptr;
    for (auto it = locks_.rbegin(); it != locks_.rend(); ++it) (*it)->unlock_raw();
    acquired_ = false;
  }

 private:
  std::vector<RwLock*> locks_;
  HeldLocks held_;
  bool all_ = false;
  bool acquired_ = false;
};

}  // namespace kv::store
