#include "store/store.hpp"

#include <algorithm>
#include <bit>
#include <random>

namespace kv::store {

Store::Store(std::size_t stripes)
    : seed_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()),
      stripe_mask_(std::bit_ceil(std::clamp<std::size_t>(stripes, 2, 65536)) - 1),
      stripes_(std::make_unique<Stripe[]>(stripe_mask_ + 1)) {
  for (std::size_t i = 0; i <= stripe_mask_; ++i) stripes_[i].table = Table(seed_);
}

Store::~Store() = default;

Store::KeyPlan::KeyPlan(const Store& store, std::span<const std::string_view> keys,
                        std::size_t step)
    : store_(store) {
  hashes_.reserve(keys.size());
  stripes_.reserve(keys.size() / step + 1);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    hashes_.push_back(i % step == 0 ? store.hash(keys[i]) : 0);
    if (i % step == 0)
      stripes_.push_back(static_cast<std::uint32_t>(store.stripe_index(hashes_[i])));
  }
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
}

void Store::KeyPlan::lock(bool exclusive) const {
  for (std::uint32_t i : stripes_) {
    if (exclusive) {
      store_.stripes_[i].mu.lock();
    } else {
      store_.stripes_[i].mu.lock_shared();
    }
  }
}

void Store::KeyPlan::unlock(bool exclusive) const {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
    if (exclusive) {
      store_.stripes_[*it].mu.unlock();
    } else {
      store_.stripes_[*it].mu.unlock_shared();
    }
  }
}

Entry* Store::put_locked(Stripe& s, Entry* e, std::uint64_t h) {
  Entry* old = s.table.upsert(e, h);
  std::int64_t delta = static_cast<std::int64_t>(e->value().size());
  if (old != nullptr) delta -= static_cast<std::int64_t>(old->value().size());
  s.value_bytes.store(s.value_bytes.load(std::memory_order_relaxed) + delta,
                      std::memory_order_relaxed);
  return old;
}

Entry* Store::remove_locked(Stripe& s, std::string_view key, std::uint64_t h) {
  Entry* old = s.table.extract(key, h);
  if (old != nullptr) {
    s.value_bytes.store(s.value_bytes.load(std::memory_order_relaxed) -
                            static_cast<std::int64_t>(old->value().size()),
                        std::memory_order_relaxed);
  }
  return old;
}

void Store::set(std::string_view key, std::string_view value) {
  ops_.add(kSet);
  const std::uint64_t h = hash(key);
  Stripe& s = stripes_[stripe_index(h)];
  {
    // Same-size overwrites reuse the entry: no allocation, and the common SET of a fixed-size
    // value touches only memory already in the table.
    std::unique_lock lock(s.mu);
    if (Entry* e = s.table.find(key, h); e != nullptr && e->value().size() == value.size()) {
      e->overwrite_value(value);
      return;
    }
  }
  Entry* fresh = Entry::create(key, value);
  Entry* old;
  {
    std::unique_lock lock(s.mu);
    old = put_locked(s, fresh, h);
  }
  Entry::destroy(old);
}

void Store::mset(std::span<const std::string_view> pairs) {
  const std::size_t n = pairs.size() / 2;
  ops_.add(kSet, n);
  std::vector<Entry*> fresh(n);
  for (std::size_t i = 0; i < n; ++i) fresh[i] = Entry::create(pairs[2 * i], pairs[2 * i + 1]);
  KeyPlan plan(*this, pairs, 2);
  plan.lock(true);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t h = plan.hash(2 * i);
    fresh[i] = put_locked(stripes_[stripe_index(h)], fresh[i], h);  // Now the replaced entry.
  }
  plan.unlock(true);
  for (Entry* old : fresh) Entry::destroy(old);
}

bool Store::msetnx(std::span<const std::string_view> pairs) {
  const std::size_t n = pairs.size() / 2;
  std::vector<Entry*> fresh(n);
  for (std::size_t i = 0; i < n; ++i) fresh[i] = Entry::create(pairs[2 * i], pairs[2 * i + 1]);
  KeyPlan plan(*this, pairs, 2);
  plan.lock(true);
  bool any_exists = false;
  for (std::size_t i = 0; i < n && !any_exists; ++i) {
    const std::uint64_t h = plan.hash(2 * i);
    any_exists = stripes_[stripe_index(h)].table.find(pairs[2 * i], h) != nullptr;
  }
  if (!any_exists) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = plan.hash(2 * i);
      fresh[i] = put_locked(stripes_[stripe_index(h)], fresh[i], h);
    }
  }
  plan.unlock(true);
  // Either the replaced entries (a repeated key replaces its earlier copy) or the unused new ones.
  for (Entry* e : fresh) Entry::destroy(e);
  if (!any_exists) ops_.add(kSet, n);
  return !any_exists;
}

std::size_t Store::del(std::span<const std::string_view> keys) {
  ops_.add(kDel, keys.size());
  KeyPlan plan(*this, keys, 1);
  std::vector<Entry*> removed;
  removed.reserve(keys.size());
  plan.lock(true);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    if (Entry* e = remove_locked(stripes_[stripe_index(h)], keys[i], h)) removed.push_back(e);
  }
  plan.unlock(true);
  for (Entry* e : removed) Entry::destroy(e);
  return removed.size();
}

std::size_t Store::exists(std::span<const std::string_view> keys) const {
  KeyPlan plan(*this, keys, 1);
  std::size_t found = 0;
  plan.lock(false);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    if (stripes_[stripe_index(h)].table.find(keys[i], h) != nullptr) ++found;
  }
  plan.unlock(false);
  return found;
}

std::size_t Store::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    std::shared_lock lock(stripes_[i].mu);
    total += stripes_[i].table.size();
  }
  return total;
}

void Store::clear() {
  std::vector<Table> old;
  old.reserve(stripe_mask_ + 1);
  for (std::size_t i = 0; i <= stripe_mask_; ++i) stripes_[i].mu.lock();
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    old.push_back(std::move(stripes_[i].table));
    stripes_[i].table = Table(seed_);
    stripes_[i].value_bytes.store(0, std::memory_order_relaxed);
  }
  for (std::size_t i = stripe_mask_ + 1; i-- > 0;) stripes_[i].mu.unlock();
  // `old` frees every entry here, after the locks are released.
}

StoreMetrics Store::metrics() const {
  StoreMetrics m;
  m.keys = size();
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    m.value_bytes +=
        static_cast<std::uint64_t>(stripes_[i].value_bytes.load(std::memory_order_relaxed));
  }
  m.gets = ops_.sum(kGet);
  m.sets = ops_.sum(kSet);
  m.deletes = ops_.sum(kDel);
  return m;
}

}  // namespace kv::store
