#include "store/store.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

namespace kv::store {

Store::Store(std::size_t stripes, const Clock& clock)
    : clock_(clock),
      seed_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()),
      stripe_mask_(std::bit_ceil(std::clamp<std::size_t>(stripes, 2, 65536)) - 1),
      stripes_(std::make_unique<Stripe[]>(stripe_mask_ + 1)) {
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    stripes_[i].table = Table(seed_);
    stripes_[i].sample_state = static_cast<std::uint32_t>(seed_ ^ (i * 0x9e3779b97f4a7c15ULL)) | 1;
  }
}

Store::~Store() = default;

// ---- KeyPlan ----

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

// ---- Deadlines ----

std::int64_t Store::deadline_of(const Stripe& s, const Entry& e) {
  return e.has_ttl() ? s.deadlines[e.ttl_index()].at : 0;
}

bool Store::expired(const Stripe& s, const Entry& e, std::int64_t now) {
  return e.has_ttl() && now > s.deadlines[e.ttl_index()].at;
}

void Store::attach_deadline(Stripe& s, Entry* e, std::int64_t at) {
  e->set_ttl_index(static_cast<std::uint32_t>(s.deadlines.size()));
  s.deadlines.push_back({at, e});
  s.has_deadlines.store(true, std::memory_order_relaxed);
}

void Store::detach_deadline(Stripe& s, Entry* e) {
  if (!e->has_ttl()) return;
  const std::uint32_t i = e->ttl_index();
  s.deadlines[i] = s.deadlines.back();
  s.deadlines[i].entry->set_ttl_index(i);
  s.deadlines.pop_back();
  e->set_ttl_index(Entry::kNoTtl);
  if (s.deadlines.empty()) s.has_deadlines.store(false, std::memory_order_relaxed);
}

std::size_t Store::live_count(const Stripe& s, std::int64_t now) {
  std::size_t dead = 0;
  for (const Deadline& d : s.deadlines) dead += now > d.at ? 1 : 0;
  return s.table.size() - dead;
}

// ---- Lookups and changes under a held lock ----

const Entry* Store::find_live(const Stripe& s, std::string_view key, std::uint64_t h,
                              std::int64_t now) {
  const Entry* e = s.table.find(key, h);
  return e == nullptr || expired(s, *e, now) ? nullptr : e;
}

Entry* Store::find_for_write(Stripe& s, std::string_view key, std::uint64_t h, std::int64_t now,
                             std::vector<Entry*>& garbage) {
  Entry* e = s.table.find(key, h);
  if (e == nullptr || !expired(s, *e, now)) return e;
  garbage.push_back(remove_locked(s, key, h, true));
  ops_.add(kExpired);
  return nullptr;
}

Entry* Store::put_locked(Stripe& s, Entry* e, std::uint64_t h, std::int64_t at) {
  Entry* old = s.table.upsert(e, h);
  before_write(s, e->key(), old);
  std::int64_t delta = static_cast<std::int64_t>(e->value().size());
  if (old != nullptr) {
    delta -= static_cast<std::int64_t>(old->value().size());
    detach_deadline(s, old);
  }
  if (at != 0) attach_deadline(s, e, at);
  s.value_bytes.store(s.value_bytes.load(std::memory_order_relaxed) + delta,
                      std::memory_order_relaxed);
  return old;
}

Entry* Store::remove_locked(Stripe& s, std::string_view key, std::uint64_t h, bool expiry) {
  Entry* old = s.table.extract(key, h);
  if (old != nullptr) {
    before_write(s, key, old, expiry);
    detach_deadline(s, old);
    s.value_bytes.store(s.value_bytes.load(std::memory_order_relaxed) -
                            static_cast<std::int64_t>(old->value().size()),
                        std::memory_order_relaxed);
  }
  return old;
}

// ---- KeyRef ----

std::string_view KeyRef::value() const { return entry_->value(); }

std::int64_t KeyRef::expire_at() const {
  return entry_ == nullptr ? 0 : Store::deadline_of(*static_cast<Store::Stripe*>(stripe_), *entry_);
}

void KeyRef::set(std::string_view value, std::int64_t at) {
  auto& s = *static_cast<Store::Stripe*>(stripe_);
  store_.ops_.add(Store::kSet);
  if (entry_ != nullptr && entry_->value().size() == value.size() &&
      (at == 0 || entry_->has_ttl_slot())) {
    // Same size, and room for the deadline: change in place.
    store_.before_write(s, key_, entry_);
    entry_->overwrite_value(value);
    set_deadline(at);
    return;
  }
  Entry* fresh = Entry::create(key_, value, at != 0);
  if (Entry* old = store_.put_locked(s, fresh, hash_, at)) garbage_.push_back(old);
  entry_ = fresh;
}

std::size_t KeyRef::write_at(std::size_t offset, std::string_view bytes) {
  auto& s = *static_cast<Store::Stripe*>(stripe_);
  const std::size_t old_len = entry_ == nullptr ? 0 : entry_->value().size();
  const std::size_t new_len = std::max(old_len, offset + bytes.size());
  store_.ops_.add(Store::kSet);
  // Before the value changes in place (a snapshot may need the old bytes); a reallocation below
  // calls it again, which is harmless.
  if (entry_ != nullptr) store_.before_write(s, key_, entry_);
  if (entry_ != nullptr && entry_->resize_value(new_len)) {
    s.value_bytes.store(s.value_bytes.load(std::memory_order_relaxed) +
                            static_cast<std::int64_t>(new_len - old_len),
                        std::memory_order_relaxed);
  } else {
    // Room to double, as Redis's sds grows (by at most 1 MiB at a time past 1 MiB).
    constexpr std::size_t kMiB = 1024 * 1024;
    const std::size_t reserve = new_len < kMiB ? 2 * new_len : new_len + kMiB;
    const std::int64_t at = expire_at();
    const std::string_view keep = entry_ == nullptr ? std::string_view() : entry_->value();
    Entry* fresh =
        Entry::create(key_, keep, at != 0, std::min<std::size_t>(reserve, Entry::kMaxValue));
    fresh->resize_value(new_len);
    if (Entry* old = store_.put_locked(s, fresh, hash_, at)) garbage_.push_back(old);
    entry_ = fresh;
  }
  char* data = entry_->value_data();
  if (offset > old_len) std::memset(data + old_len, 0, offset - old_len);
  if (!bytes.empty()) std::memcpy(data + offset, bytes.data(), bytes.size());
  return new_len;
}

void KeyRef::expire(std::int64_t at) {
  store_.before_write(*static_cast<Store::Stripe*>(stripe_), key_, entry_);
  set_deadline(at);
}

void KeyRef::set_deadline(std::int64_t at) {
  auto& s = *static_cast<Store::Stripe*>(stripe_);
  if (at == 0) {
    Store::detach_deadline(s, entry_);
  } else if (entry_->has_ttl()) {
    s.deadlines[entry_->ttl_index()].at = at;
  } else if (entry_->has_ttl_slot()) {
    Store::attach_deadline(s, entry_, at);
  } else {
    // The entry has no room for a deadline: copy it into one that has.
    Entry* fresh = Entry::create(key_, entry_->value(), true);
    if (Entry* old = store_.put_locked(s, fresh, hash_, at)) garbage_.push_back(old);
    entry_ = fresh;
  }
}

void KeyRef::erase() {
  if (entry_ == nullptr) return;
  store_.ops_.add(Store::kDel);
  garbage_.push_back(
      store_.remove_locked(*static_cast<Store::Stripe*>(stripe_), key_, hash_, false));
  entry_ = nullptr;
}

// ---- Store operations ----

void Store::set(std::string_view key, std::string_view value) {
  ops_.add(kSet);
  const std::uint64_t h = hash(key);
  Stripe& s = stripe(h);
  {
    // Same-size overwrites reuse the entry: no allocation, and the common SET of a fixed-size
    // value touches only memory already in the table. SET drops any deadline.
    std::unique_lock lock(s.mu);
    if (Entry* e = s.table.find(key, h); e != nullptr && e->value().size() == value.size()) {
      before_write(s, key, e);
      e->overwrite_value(value);
      detach_deadline(s, e);
      return;
    }
  }
  Entry* fresh = Entry::create(key, value);
  Entry* old;
  {
    std::unique_lock lock(s.mu);
    old = put_locked(s, fresh, h, 0);
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
    fresh[i] = put_locked(stripe(h), fresh[i], h, 0);  // Now the replaced entry.
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
  const std::int64_t now = clock_.now_ms();
  bool any_exists = false;
  for (std::size_t i = 0; i < n && !any_exists; ++i) {
    const std::uint64_t h = plan.hash(2 * i);
    any_exists = find_live(stripe(h), pairs[2 * i], h, now) != nullptr;
  }
  if (!any_exists) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = plan.hash(2 * i);
      fresh[i] = put_locked(stripe(h), fresh[i], h, 0);
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
  std::size_t deleted = 0;
  plan.lock(true);
  const std::int64_t now = clock_.now_ms();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    Stripe& s = stripe(h);
    const Entry* e = s.table.find(keys[i], h);
    if (e == nullptr) continue;
    const bool was_expired = expired(s, *e, now);
    if (was_expired) {
      ops_.add(kExpired);
    } else {
      ++deleted;
    }
    removed.push_back(remove_locked(s, keys[i], h, was_expired));
  }
  plan.unlock(true);
  for (Entry* e : removed) Entry::destroy(e);
  return deleted;
}

std::size_t Store::exists(std::span<const std::string_view> keys) const {
  KeyPlan plan(*this, keys, 1);
  std::size_t found = 0;
  plan.lock(false);
  const std::int64_t now = clock_.now_ms();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t h = plan.hash(i);
    if (find_live(stripe(h), keys[i], h, now) != nullptr) ++found;
  }
  plan.unlock(false);
  return found;
}

std::size_t Store::size() const {
  std::size_t total = 0;
  const std::int64_t now = clock_.now_ms();
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    std::shared_lock lock(stripes_[i].mu);
    total += live_count(stripes_[i], now);
  }
  return total;
}

void Store::clear() {
  std::vector<Table> old;
  old.reserve(stripe_mask_ + 1);
  for (std::size_t i = 0; i <= stripe_mask_; ++i) stripes_[i].mu.lock();
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    Stripe& s = stripes_[i];
    if (s.table.size() > 0) {
      if (WriteObserver* o = WriteObserver::current()) o->on_change(*this, s.table.size());
    }
    old.push_back(std::move(s.table));
    s.table = Table(seed_);
    if (unsaved(s)) preserve_all(s, old.back(), s.deadlines);
    s.deadlines.clear();
    s.has_deadlines.store(false, std::memory_order_relaxed);
    s.value_bytes.store(0, std::memory_order_relaxed);
  }
  for (std::size_t i = stripe_mask_ + 1; i-- > 0;) stripes_[i].mu.unlock();
  // `old` frees every entry here, after the locks are released.
}

std::size_t Store::expire_cycle(std::size_t sample, std::size_t max_rounds) {
  std::size_t removed_total = 0;
  std::vector<Entry*> garbage;
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    Stripe& s = stripes_[i];
    if (!s.has_deadlines.load(std::memory_order_relaxed)) continue;  // Nothing to sample.
    {
      std::unique_lock lock(s.mu);
      const std::int64_t now = clock_.now_ms();
      for (std::size_t round = 0; round < max_rounds && !s.deadlines.empty(); ++round) {
        std::size_t expired_now = 0;
        const std::size_t n = std::min(sample, s.deadlines.size());
        for (std::size_t k = 0; k < n && !s.deadlines.empty(); ++k) {
          // xorshift32: a cheap random index into the stripe's deadlines.
          s.sample_state ^= s.sample_state << 13;
          s.sample_state ^= s.sample_state >> 17;
          s.sample_state ^= s.sample_state << 5;
          const Deadline d = s.deadlines[s.sample_state % s.deadlines.size()];
          if (now <= d.at) continue;
          garbage.push_back(remove_locked(s, d.entry->key(), hash(d.entry->key()), true));
          ++expired_now;
        }
        if (expired_now * 4 <= n) break;  // Few expired: this stripe is clean enough for now.
      }
    }
    removed_total += garbage.size();
    for (Entry* e : garbage) Entry::destroy(e);
    garbage.clear();
  }
  ops_.add(kExpired, removed_total);
  return removed_total;
}

// ---- Snapshots ----

void Store::preserve(Stripe& s, std::string_view key, const Entry* current) {
  if (s.pre == nullptr) s.pre = std::make_unique<PreImages>();
  if (s.pre->contains(key)) return;  // The first change since the cut kept the cut's version.
  PreImage p{nullptr, 0};
  if (current != nullptr) {
    p.entry = Entry::create(key, current->value());
    p.at = deadline_of(s, *current);
  }
  s.pre->emplace(std::string(key), p);
}

void Store::preserve_all(Stripe& s, Table& old, std::vector<Deadline>& old_deadlines) {
  if (s.pre == nullptr) s.pre = std::make_unique<PreImages>();
  // Entries move into the pre-images as they are (no copy); the table then forgets them.
  old.for_each([&](const Entry& ce) {
    auto* e = const_cast<Entry*>(&ce);
    if (s.pre->contains(e->key())) {
      Entry::destroy(e);
      return;
    }
    const std::int64_t at = e->has_ttl() ? old_deadlines[e->ttl_index()].at : 0;
    s.pre->emplace(std::string(e->key()), PreImage{e, at});
  });
  old.forget_entries();
}

void Store::free_pre_images(std::unique_ptr<PreImages> pre) {
  if (pre == nullptr) return;
  for (auto& [key, p] : *pre) Entry::destroy(p.entry);
}

void Store::begin_snapshot(std::int64_t cut_ms) {
  cut_ms_ = cut_ms;
  pending_stripes_.store(stripe_mask_ + 1, std::memory_order_release);
  epoch_.fetch_add(1, std::memory_order_relaxed);
}

std::pair<std::uint64_t, std::uint64_t> Store::snapshot_counts() const {
  std::uint64_t keys = 0;
  std::uint64_t expires = 0;
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    keys += stripes_[i].table.size();
    expires += stripes_[i].deadlines.size();
  }
  return {keys, expires};
}

void Store::abandon_snapshot() {
  const std::uint32_t epoch = epoch_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    Stripe& s = stripes_[i];
    std::unique_ptr<PreImages> pre;
    {
      std::unique_lock lock(s.mu);
      if (s.saved_epoch.load(std::memory_order_relaxed) == epoch) continue;
      s.saved_epoch.store(epoch, std::memory_order_relaxed);
      pre = std::move(s.pre);
    }
    pending_stripes_.fetch_sub(1, std::memory_order_acq_rel);
    free_pre_images(std::move(pre));
  }
}

void Store::watch(std::string_view key, WatchFlag* flag) {
  Stripe& s = stripe(hash(key));
  std::unique_lock lock(s.mu);
  if (s.watchers == nullptr) s.watchers = std::make_unique<Watchers>();
  auto it = s.watchers->find(key);
  if (it == s.watchers->end())
    it = s.watchers->emplace(std::string(key), std::vector<WatchFlag*>()).first;
  it->second.push_back(flag);
}

void Store::unwatch(std::string_view key, WatchFlag* flag) {
  Stripe& s = stripe(hash(key));
  std::unique_lock lock(s.mu);
  if (s.watchers == nullptr) return;
  auto it = s.watchers->find(key);
  if (it == s.watchers->end()) return;
  auto& flags = it->second;
  if (auto f = std::find(flags.begin(), flags.end(), flag); f != flags.end()) flags.erase(f);
  if (flags.empty()) s.watchers->erase(it);
  if (s.watchers->empty()) s.watchers.reset();
}

std::vector<std::pair<std::string, WatchFlag*>> Store::watched_keys() const {
  std::vector<std::pair<std::string, WatchFlag*>> out;
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    const Stripe& s = stripes_[i];
    std::shared_lock lock(s.mu);
    if (s.watchers == nullptr) continue;
    for (const auto& [key, flags] : *s.watchers) {
      for (WatchFlag* f : flags) out.emplace_back(key, f);
    }
  }
  return out;
}

bool Store::expired_entry(std::string_view key) const {
  const std::uint64_t h = hash(key);
  const Stripe& s = stripe(h);
  std::shared_lock lock(s.mu);
  const Entry* e = s.table.find(key, h);
  return e != nullptr && expired(s, *e, clock_.now_ms());
}

StoreMetrics Store::metrics() const {
  StoreMetrics m;
  const std::int64_t now = clock_.now_ms();
  long double ttl_sum = 0;
  for (std::size_t i = 0; i <= stripe_mask_; ++i) {
    const Stripe& s = stripes_[i];
    std::shared_lock lock(s.mu);
    std::size_t dead = 0;
    for (const Deadline& d : s.deadlines) {
      if (now > d.at) {
        ++dead;
      } else {
        ttl_sum += static_cast<long double>(d.at - now);
      }
    }
    m.keys += s.table.size() - dead;
    m.expires += s.deadlines.size() - dead;
    m.value_bytes += static_cast<std::uint64_t>(s.value_bytes.load(std::memory_order_relaxed));
  }
  if (m.expires > 0) m.avg_ttl_ms = static_cast<std::uint64_t>(ttl_sum / m.expires);
  m.gets = ops_.sum(kGet);
  m.sets = ops_.sum(kSet);
  m.deletes = ops_.sum(kDel);
  m.expired = ops_.sum(kExpired);
  return m;
}

}  // namespace kv::store
