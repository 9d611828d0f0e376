// Deadlines in the store, driven by a manual clock: nothing here sleeps.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"

namespace kv::store {
namespace {

class StoreExpiry : public ::testing::Test {
 protected:
  ManualClock clock_;
  Store store_{4, clock_};

  std::int64_t now() const { return clock_.now_ms(); }
  void set_with_deadline(const std::string& key, const std::string& value, std::int64_t at) {
    store_.update(key, [&](KeyRef& k) { k.set(value, at); });
  }
  std::optional<std::string> get(const std::string& key) {
    std::optional<std::string> out;
    store_.get(key, [&](std::string_view v) { out = std::string(v); });
    return out;
  }
  std::int64_t deadline(const std::string& key) {
    return store_.read(key, [](const KeyView* v) { return v == nullptr ? -1 : v->expire_at; });
  }
};

TEST_F(StoreExpiry, KeyLivesUntilItsDeadlineAndNotAMillisecondMore) {
  set_with_deadline("k", "v", now() + 100);
  clock_.advance(100);  // now == deadline: still alive, as in Redis (expired when now > deadline).
  EXPECT_EQ(get("k"), "v");
  EXPECT_EQ(store_.size(), 1u);
  clock_.advance(1);
  EXPECT_EQ(get("k"), std::nullopt);
  EXPECT_EQ(deadline("k"), -1);
}

TEST_F(StoreExpiry, ExpiredKeyIsNeverCountedOrMatched) {
  set_with_deadline("a", "1", now() + 10);
  store_.set("b", "2");
  clock_.advance(11);
  const std::vector<std::string_view> keys = {"a", "b", "a"};
  EXPECT_EQ(store_.exists(keys), 1u);
  EXPECT_EQ(store_.size(), 1u);
  std::vector<std::optional<std::string>> got;
  store_.mget(keys, [&](std::optional<std::string_view> v) {
    got.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
  });
  EXPECT_EQ(got, (std::vector<std::optional<std::string>>{std::nullopt, "2", std::nullopt}));
  const StoreMetrics m = store_.metrics();
  EXPECT_EQ(m.keys, 1u);
  EXPECT_EQ(m.expires, 0u);
}

TEST_F(StoreExpiry, DelOfExpiredKeyReportsZeroAndCountsItExpired) {
  set_with_deadline("a", "1", now() + 10);
  clock_.advance(11);
  const std::vector<std::string_view> keys = {"a"};
  EXPECT_EQ(store_.del(keys), 0u);
  EXPECT_EQ(store_.metrics().expired, 1u);
}

TEST_F(StoreExpiry, MsetnxTreatsExpiredKeysAsAbsent) {
  set_with_deadline("a", "old", now() + 10);
  clock_.advance(11);
  const std::vector<std::string_view> pairs = {"a", "new", "b", "2"};
  EXPECT_TRUE(store_.msetnx(pairs));
  EXPECT_EQ(get("a"), "new");
  EXPECT_EQ(deadline("a"), 0);
}

TEST_F(StoreExpiry, SetAndMsetDropTheDeadline) {
  set_with_deadline("a", "1", now() + 1000);
  set_with_deadline("b", "22", now() + 1000);
  store_.set("a", "9");  // Same size: overwritten in place.
  const std::vector<std::string_view> pairs = {"b", "333"};
  store_.mset(pairs);
  EXPECT_EQ(deadline("a"), 0);
  EXPECT_EQ(deadline("b"), 0);
  clock_.advance(2000);
  EXPECT_EQ(get("a"), "9");
  EXPECT_EQ(get("b"), "333");
  EXPECT_EQ(store_.metrics().expires, 0u);
}

TEST_F(StoreExpiry, ExpireAddsChangesAndRemovesDeadlines) {
  store_.set("k", "v");  // An entry without room for a deadline: expire() moves it.
  store_.update("k", [&](KeyRef& k) { k.expire(now() + 50); });
  EXPECT_EQ(deadline("k"), now() + 50);
  store_.update("k", [&](KeyRef& k) { k.expire(now() + 70); });
  EXPECT_EQ(deadline("k"), now() + 70);
  store_.update("k", [&](KeyRef& k) { k.expire(0); });  // PERSIST
  EXPECT_EQ(deadline("k"), 0);
  store_.update("k", [&](KeyRef& k) { k.expire(now() + 5); });  // The slot is reused.
  EXPECT_EQ(store_.metrics().expires, 1u);
  clock_.advance(6);
  EXPECT_EQ(get("k"), std::nullopt);
}

TEST_F(StoreExpiry, UpdateSeesExpiredKeyAsMissingAndDeletesIt) {
  set_with_deadline("k", "v", now() + 1);
  clock_.advance(2);
  const bool existed = store_.update("k", [](KeyRef& k) { return k.exists(); });
  EXPECT_FALSE(existed);
  EXPECT_EQ(store_.metrics().expired, 1u);
  EXPECT_EQ(store_.metrics().value_bytes, 0u);
}

TEST_F(StoreExpiry, KeepTtlAndValueBytes) {
  set_with_deadline("k", "abc", now() + 100);
  store_.update("k", [](KeyRef& k) { k.set_keep_ttl("abcdef"); });
  EXPECT_EQ(deadline("k"), now() + 100);
  EXPECT_EQ(get("k"), "abcdef");
  EXPECT_EQ(store_.metrics().value_bytes, 6u);
  store_.update("k", [](KeyRef& k) { k.erase(); });
  EXPECT_EQ(store_.metrics().value_bytes, 0u);
  EXPECT_EQ(store_.metrics().expires, 0u);
}

TEST_F(StoreExpiry, ExpireCycleRemovesOnlyExpiredKeys) {
  for (int i = 0; i < 1000; ++i) set_with_deadline("gone" + std::to_string(i), "x", now() + 10);
  for (int i = 0; i < 100; ++i) set_with_deadline("kept" + std::to_string(i), "x", now() + 1000000);
  for (int i = 0; i < 100; ++i) store_.set("plain" + std::to_string(i), "x");
  clock_.advance(11);
  std::size_t removed = 0;
  for (int pass = 0; pass < 200 && removed < 1000; ++pass) removed += store_.expire_cycle();
  EXPECT_EQ(removed, 1000u);
  const StoreMetrics m = store_.metrics();
  EXPECT_EQ(m.keys, 200u);
  EXPECT_EQ(m.expires, 100u);
  EXPECT_EQ(m.expired, 1000u);
  EXPECT_EQ(m.value_bytes, 200u);
  EXPECT_EQ(store_.expire_cycle(), 0u);
}

TEST_F(StoreExpiry, ExpireCycleWorkPerPassIsBounded) {
  for (int i = 0; i < 5000; ++i) set_with_deadline("k" + std::to_string(i), "x", now() + 1);
  clock_.advance(2);
  // 4 stripes, at most 16 samples of 20 each: at most 1280 keys per pass.
  const std::size_t first = store_.expire_cycle(20, 16);
  EXPECT_GT(first, 0u);
  EXPECT_LE(first, 4u * 16 * 20);
  EXPECT_EQ(store_.size(), 0u);  // Counted as gone even before the cycle reaches them.
}

TEST_F(StoreExpiry, ConcurrentUpdatesAndExpiryCycles) {
  std::atomic<bool> stop{false};
  std::thread cycler([&] {
    while (!stop.load()) store_.expire_cycle();
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = "w" + std::to_string(t) + ":" + std::to_string(i % 50);
        store_.update(key, [&](KeyRef& k) {
          const int n = k.exists() ? std::stoi(std::string(k.value())) : 0;
          k.set(std::to_string(n + 1), i % 3 == 0 ? 0 : k.now() + (i % 7));
        });
        if (t == 0 && i % 100 == 0) clock_.advance(3);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  cycler.join();
  clock_.advance(100);
  while (store_.expire_cycle() > 0) {
  }
  const StoreMetrics m = store_.metrics();
  EXPECT_EQ(m.keys, store_.size());
  EXPECT_EQ(m.expires, 0u);
}

TEST_F(StoreExpiry, WriteAtAppendsPatchesAndKeepsTheDeadline) {
  store_.update("k",
                [](KeyRef& k) { EXPECT_EQ(k.write_at(3, "ab"), 5u); });  // Creates, zero-fills.
  EXPECT_EQ(get("k"), std::string("\0\0\0ab", 5));
  set_with_deadline("k", "hello", now() + 500);
  std::string expected = "hello";
  for (int i = 0; i < 2000; ++i) {  // Many appends: in place or moved, always exact.
    const std::string tail = std::to_string(i);
    store_.update("k", [&](KeyRef& k) { k.write_at(k.value().size(), tail); });
    expected += tail;
  }
  EXPECT_EQ(get("k"), expected);
  EXPECT_EQ(deadline("k"), now() + 500);
  store_.update("k", [](KeyRef& k) { EXPECT_EQ(k.write_at(1, "EL"), k.value().size()); });
  expected.replace(1, 2, "EL");
  EXPECT_EQ(get("k"), expected);
  EXPECT_EQ(store_.metrics().value_bytes, expected.size());
  store_.set("k", "x");  // A shorter SET after growth: exact bytes, no deadline.
  EXPECT_EQ(get("k"), "x");
  EXPECT_EQ(store_.metrics().value_bytes, 1u);
  EXPECT_EQ(deadline("k"), 0);
}

}  // namespace
}  // namespace kv::store
