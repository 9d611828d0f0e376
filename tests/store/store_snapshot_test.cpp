// Snapshots without fork: a snapshot started at a cut sees every key as it was at the cut,
// whatever is written afterwards, and the write observer hears every change.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/databases.hpp"
#include "store/store.hpp"

namespace kv::store {
namespace {

struct Saved {
  std::string value;
  std::int64_t at = 0;
  bool operator==(const Saved&) const = default;
};
using Image = std::map<std::string, Saved>;

// Starts a snapshot of `s` (holding every stripe, as the server's cut does).
void cut(Store& s, std::int64_t now) {
  TransactionLocks locks;
  locks.add_store(s);
  locks.acquire();
  s.begin_snapshot(now);
}

Image save_all(Store& s) {
  Image image;
  for (std::size_t i = 0; i < s.stripe_count(); ++i) {
    s.save_stripe(i, [&](std::string_view k, std::string_view v, std::int64_t at) {
      EXPECT_TRUE(image.emplace(std::string(k), Saved{std::string(v), at}).second) << k;
    });
  }
  return image;
}

Image current(Store& s) {
  Image image;
  s.for_each_key([&](std::string_view k) { image[std::string(k)]; });
  for (auto& [k, saved] : image) {
    s.read(k, [&](const KeyView* v) {
      saved.value = std::string(v->value);
      saved.at = v->expire_at;
    });
  }
  return image;
}

TEST(StoreSnapshot, SeesTheCutWhateverIsWrittenAfter) {
  ManualClock clock;
  Store s(16, clock);
  const std::int64_t t = clock.now_ms();
  for (int i = 0; i < 200; ++i) s.set("k" + std::to_string(i), "v" + std::to_string(i));
  s.update("ttl", [&](KeyRef& r) { r.set("with deadline", t + 5000); });
  s.update("gone", [&](KeyRef& r) { r.set("expired at cut", t - 1); });
  s.update("grow", [&](KeyRef& r) { r.write_at(0, "abc"); });
  const Image before = current(s);
  cut(s, t);
  EXPECT_TRUE(s.snapshot_in_progress());

  // Every kind of write, after the cut.
  s.set("k0", "v0-new");                           // Same size: in place.
  s.set("k1", "a much longer value than before");  // New entry.
  const std::string_view dels[] = {"k2", "k3", "nope"};
  EXPECT_EQ(s.del(dels), 2u);
  s.set("fresh", "inserted after the cut");
  s.update("grow", [](KeyRef& r) { r.write_at(3, "def"); });  // In place or regrown.
  s.update("ttl", [&](KeyRef& r) { r.expire(t + 99); });      // Deadline only.
  s.update("k4", [&](KeyRef& r) { r.expire(t + 7); });        // First deadline: new entry.
  s.update("k5", [](KeyRef& r) { r.erase(); });
  const std::string_view pairs[] = {"k6", "m1", "k7", "m2"};
  s.mset(pairs);

  Image expected = before;
  expected.erase("gone");  // Past its deadline at the cut.
  EXPECT_EQ(save_all(s), expected);
  EXPECT_FALSE(s.snapshot_in_progress());

  // A second snapshot sees the new state.
  Image now = current(s);
  cut(s, t);
  s.clear();
  EXPECT_EQ(save_all(s), now);
  EXPECT_EQ(s.size(), 0u);
}

TEST(StoreSnapshot, ClearOfUnsavedStripesKeepsTheCut) {
  ManualClock clock;
  Store s(8, clock);
  for (int i = 0; i < 100; ++i) s.set("k" + std::to_string(i), std::string(i, 'x'));
  s.set("k1", "changed before the clear");
  const Image before = current(s);
  cut(s, clock.now_ms());
  s.set("k1", "changed after the cut");  // Pre-image kept, then the clear moves the rest.
  s.set("new", "1");
  s.clear();
  s.set("after-clear", "2");
  EXPECT_EQ(save_all(s), before);
}

TEST(StoreSnapshot, AbandonDropsCopiesAndAllowsANewSnapshot) {
  ManualClock clock;
  Store s(8, clock);
  s.set("a", "1");
  cut(s, clock.now_ms());
  s.set("a", "2");
  s.abandon_snapshot();
  EXPECT_FALSE(s.snapshot_in_progress());
  cut(s, clock.now_ms());
  EXPECT_EQ(save_all(s), (Image{{"a", {"2", 0}}}));
}

// Counts what the observer hears.
struct CountingObserver : WriteObserver {
  int changes = 0;
  std::vector<std::string> expired;
  const Store* last = nullptr;
  void on_change(const Store& s, std::size_t n) override {
    changes += static_cast<int>(n);
    last = &s;
  }
  void on_expire(const Store&, std::string_view key) override { expired.emplace_back(key); }
};

// The log appends a change's record in on_change; EXEC reads a WATCH mark to decide its reply,
// which waits for the log up to what was appended. So a change is marked only after it is heard.
struct MarkCheckingObserver : WriteObserver {
  const WatchFlag* flag = nullptr;
  int heard = 0;
  int changes_marked = 0;  // Changes heard with the mark already set.
  int expiries_marked = 0;
  void on_change(const Store&, std::size_t) override {
    ++heard;
    if (flag->dirty.load()) ++changes_marked;
  }
  void on_expire(const Store&, std::string_view) override {
    ++heard;
    if (flag->dirty.load()) ++expiries_marked;
  }
};

TEST(StoreSnapshot, WatchersAreMarkedAfterTheObserverHearsTheChange) {
  ManualClock clock;
  Databases dbs(1, 8, clock);
  Store& s = dbs.db(0);
  WatchFlag flag;
  s.watch("k", &flag);
  MarkCheckingObserver o;
  o.flag = &flag;
  {
    ObserverScope scope(&o);
    s.set("k", "1");
    EXPECT_TRUE(flag.dirty.load());
    flag.dirty.store(false);
    s.update("k", [&](KeyRef& r) { r.set("2", clock.now_ms() + 10); });
    EXPECT_TRUE(flag.dirty.load());
    EXPECT_EQ(o.changes_marked, 0);
    flag.dirty.store(false);
    clock.advance(100);
    // Expired first: the DEL is heard unmarked; the set after it finds the DEL's mark.
    s.update("k", [](KeyRef& r) { r.set_keep_ttl("3"); });
    EXPECT_TRUE(flag.dirty.load());
  }
  EXPECT_EQ(o.heard, 4);
  EXPECT_EQ(o.expiries_marked, 0);
  EXPECT_EQ(o.changes_marked, 1);
  s.unwatch("k", &flag);
}

TEST(StoreSnapshot, ObserverHearsChangesAndExpiries) {
  ManualClock clock;
  Databases dbs(2, 8, clock);
  Store& s = dbs.db(1);
  EXPECT_EQ(s.index(), 1);
  CountingObserver o;
  {
    ObserverScope scope(&o);
    s.set("a", "1");
    s.update("b", [&](KeyRef& r) { r.set("2", clock.now_ms() + 10); });
    EXPECT_FALSE(s.update("missing", [](KeyRef& r) { return r.exists(); }));
    clock.advance(100);
    s.update("b", [](KeyRef& r) { r.set_keep_ttl("3"); });  // Expired first: DEL, then a set.
  }
  s.set("outside", "not heard");
  EXPECT_EQ(o.changes, 3);
  EXPECT_EQ(o.expired, std::vector<std::string>{"b"});
  EXPECT_EQ(o.last, &s);
  {
    WorldLock world(dbs);
    dbs.swap(0, 1);
  }
  EXPECT_EQ(s.index(), 0);
  EXPECT_EQ(dbs.db(1).index(), 1);
}

// Four writers keep writing while a snapshot is cut and saved; each writer records the value it
// had written to each of its keys at the moment of the cut (it checks a flag under the cut), and
// the snapshot must hold exactly that.
TEST(StoreSnapshot, ConsistentUnderConcurrentWriters) {
  Store s(64);
  constexpr int kWriters = 4;
  constexpr int kKeys = 500;
  std::atomic<bool> stop{false};
  std::atomic<int> cut_seen{0};
  std::vector<std::map<std::string, std::string>> at_cut(kWriters);
  std::atomic<std::uint64_t> epoch{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::map<std::string, std::string> mine;
      std::uint64_t seen = 0;
      for (std::uint64_t n = 0; !stop.load(); ++n) {
        const std::string key = "w" + std::to_string(w) + ":" + std::to_string(n % kKeys);
        const std::string value = std::to_string(n);
        // The write and the check of the cut happen under the key's lock, so "written before
        // the cut" is exact.
        s.update(key, [&](KeyRef& r) {
          if (seen == 0 && epoch.load() != 0) {
            seen = 1;
            at_cut[w] = mine;
            cut_seen.fetch_add(1);
          }
          if (n % 7 == 3) {
            r.erase();
            mine.erase(key);
          } else {
            r.set(value, 0);
            mine[key] = value;
          }
        });
      }
      if (seen == 0) at_cut[w] = mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    TransactionLocks locks;
    locks.add_store(s);
    locks.acquire();
    s.begin_snapshot(SystemClock::instance().now_ms());
    epoch.store(1);
  }
  Image image;
  for (std::size_t i = 0; i < s.stripe_count(); ++i) {
    s.save_stripe(i, [&](std::string_view k, std::string_view v, std::int64_t) {
      image.emplace(std::string(k), Saved{std::string(v), 0});
    });
    std::this_thread::yield();
  }
  while (cut_seen.load() < kWriters) std::this_thread::yield();
  stop.store(true);
  for (auto& t : writers) t.join();
  Image expected;
  for (const auto& m : at_cut) {
    for (const auto& [k, v] : m) expected[k] = Saved{v, 0};
  }
  EXPECT_EQ(image.size(), expected.size());
  EXPECT_TRUE(image == expected);
}

}  // namespace
}  // namespace kv::store
