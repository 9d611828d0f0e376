// Multi-threaded tests of Store's atomicity contract: multi-key operations are never seen half
// done, counters are exact, and MSETNX has exactly one winner. Iteration counts are bounded so
// the suite takes seconds, also under ThreadSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/store.hpp"

// Store::clear() holds every stripe lock at once (1024 with the default stripe count), and
// ThreadSanitizer's deadlock detector aborts once a thread holds more than 64 locks, so this
// binary turns it off; data-race detection stays on. Unused outside TSan builds.
extern "C" const char* __tsan_default_options() { return "detect_deadlocks=0"; }

namespace kv::store {
namespace {

using Views = std::vector<std::string_view>;

// 16 keys that cover every stripe of `s` (up to 16 stripes) and share stripes.
std::vector<std::string> keys_over_stripes(const Store& s, const std::string& prefix) {
  std::vector<std::string> keys;
  std::set<std::size_t> stripes;
  const std::size_t want = std::min<std::size_t>(s.stripe_count(), 16);
  for (int i = 0; keys.size() < 16; ++i) {
    std::string k = prefix + std::to_string(i);
    const std::size_t stripe = s.stripe_of(k);
    // Take the first key of each stripe until all are covered, then any key.
    if (stripes.size() < want && stripes.count(stripe) != 0) continue;
    stripes.insert(stripe);
    keys.push_back(std::move(k));
  }
  EXPECT_EQ(stripes.size(), want);
  return keys;
}

// Runs body(0) ... body(n - 1) on n threads that start together, and joins them.
void run_threads(int n, const std::function<void(int)>& body) {
  std::atomic<int> waiting{n};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      body(t);
    });
  }
  for (auto& th : threads) th.join();
}

class StoreConcurrency : public ::testing::TestWithParam<std::size_t> {};

INSTANTIATE_TEST_SUITE_P(Stripes, StoreConcurrency, ::testing::Values(2, 4, kDefaultStripes));

// 4 writers MSET one round number into all 16 keys; 4 readers MGET all 16 and must always see
// 16 equal values. Values change length with the round so entries are reallocated.
TEST_P(StoreConcurrency, MgetNeverSeesAHalfDoneMset) {
  Store store(GetParam());
  const auto keys = keys_over_stripes(store, "cut:");
  const Views key_views(keys.begin(), keys.end());
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kRounds = 600;
  constexpr int kReads = 1500;
  {
    Views pairs;
    for (const auto& k : keys) {
      pairs.push_back(k);
      pairs.push_back("start");
    }
    store.mset(pairs);
  }
  std::atomic<long> torn{0};
  std::atomic<long> reads{0};
  run_threads(kWriters + kReaders, [&](int t) {
    if (t < kWriters) {
      for (int r = 1; r <= kRounds; ++r) {
        const std::string value =
            std::to_string(t) + ":" + std::string(r % 5, '#') + std::to_string(r);
        Views pairs;
        for (const auto& k : keys) {
          pairs.push_back(k);
          pairs.push_back(value);
        }
        store.mset(pairs);
      }
      return;
    }
    // A bounded number of reads: glibc's rwlock prefers readers, so readers that spin until the
    // writers finish can starve them for seconds.
    for (int i = 0; i < kReads; ++i) {
      std::vector<std::string> seen;
      store.mget(key_views, [&](std::optional<std::string_view> v) {
        seen.push_back(v ? std::string(*v) : std::string("<nil>"));
      });
      for (const auto& v : seen) {
        if (v != seen[0]) {
          torn.fetch_add(1);
          break;
        }
      }
      reads.fetch_add(1);
    }
  });
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(store.size(), 16u);
  EXPECT_EQ(store.metrics().sets, 16u * (kWriters * kRounds + 1));
  EXPECT_EQ(reads.load(), kReaders * kReads);
  EXPECT_EQ(store.metrics().gets, 16u * kReaders * kReads);
}

// SET overwrites of equal size are done in place; a reader must still never see a mix of two
// values.
TEST_P(StoreConcurrency, InPlaceOverwriteIsNeverTorn) {
  Store store(GetParam());
  // Large values make a copy slow enough that an unlocked one would be caught mid-way.
  const std::string a(16384, 'a');
  const std::string b(16384, 'b');
  store.set("k", a);
  std::atomic<long> bad{0};
  run_threads(4, [&](int t) {
    for (int i = 0; i < 3000; ++i) {
      if (t < 2) {
        store.set("k", (i + t) % 2 == 0 ? a : b);
      } else {
        store.get("k", [&](std::string_view v) {
          if (v != a && v != b) bad.fetch_add(1);
        });
      }
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store.metrics().value_bytes, 16384u);
}

// Threads SET, GET and DEL their own keys while another thread keeps clearing the store. The op
// counters must be exact, and keys/value_bytes must agree with the contents at the end.
TEST_P(StoreConcurrency, SetDelClearKeepCountersExact) {
  Store store(GetParam());
  constexpr int kThreads = 6;
  constexpr int kIters = 3000;
  std::atomic<bool> workers_done{false};
  std::atomic<int> finished{0};
  std::atomic<long> deleted{0};
  std::atomic<long> clears{0};
  run_threads(kThreads + 1, [&](int t) {
    if (t == kThreads) {
      // Workers start only once the clearer runs, so clears overlap their work.
      while (!workers_done.load() || clears.load() < 10) {
        store.clear();
        clears.fetch_add(1);
        std::this_thread::yield();
      }
      return;
    }
    while (clears.load() == 0) std::this_thread::yield();
    for (int i = 0; i < kIters; ++i) {
      const std::string k1 = "t" + std::to_string(t) + ":" + std::to_string(i % 50);
      const std::string k2 = "t" + std::to_string(t) + ":" + std::to_string((i + 25) % 50);
      store.set(k1, std::string(static_cast<std::size_t>(i % 13), 'v'));  // 1 set
      store.get(k2, [](std::string_view) {});                             // 1 get
      if (i % 3 == 0) {
        const Views del_keys = {k1, k2, k1};  // 3 deletes
        deleted.fetch_add(static_cast<long>(store.del(del_keys)));
      }
    }
    // The last worker to finish stops the clearer.
    if (finished.fetch_add(1) + 1 == kThreads) workers_done.store(true);
  });
  const StoreMetrics m = store.metrics();
  EXPECT_EQ(m.sets, static_cast<std::uint64_t>(kThreads) * kIters);
  EXPECT_EQ(m.gets, static_cast<std::uint64_t>(kThreads) * kIters);
  EXPECT_EQ(m.deletes, static_cast<std::uint64_t>(kThreads) * 3 * ((kIters + 2) / 3));
  EXPECT_GT(clears.load(), 0);
  EXPECT_LE(deleted.load(), static_cast<long>(kThreads) * kIters);

  // Whatever survived, the metrics describe it exactly.
  std::uint64_t keys = 0;
  std::uint64_t bytes = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < 50; ++i) {
      store.get("t" + std::to_string(t) + ":" + std::to_string(i), [&](std::string_view v) {
        ++keys;
        bytes += v.size();
      });
    }
  }
  EXPECT_EQ(m.keys, keys);
  EXPECT_EQ(m.value_bytes, bytes);
  EXPECT_EQ(store.size(), keys);
  store.clear();
  EXPECT_EQ(store.metrics().value_bytes, 0u);
  EXPECT_EQ(store.metrics().keys, 0u);
}

// Deleting the same keys from several threads: every key is deleted exactly once in total.
TEST_P(StoreConcurrency, ConcurrentDelsDeleteEachKeyOnce) {
  Store store(GetParam());
  constexpr int kKeys = 4000;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("d" + std::to_string(i));
  for (const auto& k : keys) store.set(k, "x");
  std::atomic<long> total{0};
  run_threads(6, [&](int t) {
    // Each thread walks the keys in chunks of 8, starting at a different offset.
    for (int c = 0; c < kKeys / 8; ++c) {
      const int chunk = (c + t * 97) % (kKeys / 8);
      Views batch;
      for (int j = 0; j < 8; ++j) batch.push_back(keys[static_cast<std::size_t>(chunk * 8 + j)]);
      total.fetch_add(static_cast<long>(store.del(batch)));
    }
  });
  EXPECT_EQ(total.load(), kKeys);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.metrics().value_bytes, 0u);
  EXPECT_EQ(store.metrics().deletes, 6u * kKeys);
}

// For each round, every thread tries MSETNX on {round:x, round:y, round:<own>}: the sets overlap
// on x and y, so exactly one thread wins, and only the winner's own key exists.
TEST_P(StoreConcurrency, MsetnxHasExactlyOneWinnerPerRound) {
  Store store(GetParam());
  constexpr int kThreads = 8;
  constexpr int kRounds = 1000;
  std::vector<std::atomic<int>> wins(kRounds);
  std::vector<std::atomic<int>> winner(kRounds);
  for (auto& w : winner) w.store(-1);
  run_threads(kThreads, [&](int t) {
    for (int r = 0; r < kRounds; ++r) {
      const std::string round = std::to_string(r);
      const std::string x = round + ":x";
      const std::string y = round + ":y";
      const std::string own = round + ":own" + std::to_string(t);
      const std::string v = std::to_string(t);
      // Alternate the key order so threads lock in different argument orders.
      const Views pairs = t % 2 == 0 ? Views{x, v, own, v, y, v} : Views{y, v, own, v, x, v};
      if (store.msetnx(pairs)) {
        wins[static_cast<std::size_t>(r)].fetch_add(1);
        winner[static_cast<std::size_t>(r)].store(t);
      }
    }
  });
  for (int r = 0; r < kRounds; ++r) {
    const std::string round = std::to_string(r);
    ASSERT_EQ(wins[static_cast<std::size_t>(r)].load(), 1) << "round " << r;
    const int w = winner[static_cast<std::size_t>(r)].load();
    std::optional<std::string> x;
    std::optional<std::string> y;
    store.get(round + ":x", [&](std::string_view v) { x = std::string(v); });
    store.get(round + ":y", [&](std::string_view v) { y = std::string(v); });
    EXPECT_EQ(x, std::to_string(w));
    EXPECT_EQ(y, std::to_string(w));
    for (int t = 0; t < kThreads; ++t) {
      const std::string own_key = round + ":own" + std::to_string(t);
      const Views own = {own_key};
      EXPECT_EQ(store.exists(own), t == w ? 1u : 0u) << "round " << r << " thread " << t;
    }
  }
  EXPECT_EQ(store.size(), 3u * kRounds);
  EXPECT_EQ(store.metrics().sets, 3u * kRounds);
}

}  // namespace
}  // namespace kv::store
