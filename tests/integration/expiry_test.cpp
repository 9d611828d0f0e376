// Expiry on the real kvd with the real clock: keys go away, and so does their memory.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "harness.hpp"

namespace kv::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // Sanitizers hold freed memory back and run slower.
#else
constexpr bool kSanitized = false;
#endif

// A field of /proc/PID/status in KiB: VmRSS (now) or VmHWM (the peak so far).
std::int64_t status_kib(pid_t pid, const std::string& field = "VmRSS:") {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string word;
  while (status >> word) {
    if (word == field) {
      std::int64_t kib = 0;
      status >> kib;
      return kib;
    }
  }
  return -1;
}

// Pipelines `count` SETs with a 1-second TTL, 10,000 at a time.
void load_expiring_keys(RawClient& client, int count) {
  constexpr int kBatch = 10000;
  for (int start = 0; start < count; start += kBatch) {
    std::string batch;
    for (int i = start; i < std::min(count, start + kBatch); ++i) {
      const std::string key = "key:" + std::to_string(i);
      batch += "*5\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key +
               "\r\n$16\r\n0123456789abcdef\r\n$2\r\nEX\r\n$1\r\n1\r\n";
    }
    client.send(batch);
    for (int i = start; i < std::min(count, start + kBatch); ++i) {
      ASSERT_EQ(client.read_raw(), "+OK\r\n");
    }
  }
}

TEST(Expiry, MillionKeysWithOneSecondTtlVanishAndGiveBackMemory) {
  Kvd kvd;
  RawClient client(kvd.port());
  const int keys = kSanitized ? 100000 : 1000000;
  const std::int64_t rss_before = status_kib(kvd.pid());
  load_expiring_keys(client, keys);
  // The peak: on a slow machine active expiry is already freeing the first keys while the last
  // are loaded.
  const std::int64_t rss_loaded = status_kib(kvd.pid(), "VmHWM:");
  ASSERT_GT(rss_loaded, rss_before);
  std::int64_t dbsize = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    dbsize = client.call({"DBSIZE"}).integer;
    if (dbsize == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(dbsize, 0);
  // Active expiry, not lookups, removed them: INFO counts them all as expired.
  std::int64_t expired = 0;
  for (int i = 0; i < 100 && expired < keys; ++i) {
    const std::string info = client.call({"INFO", "stats"}).str;
    const auto at = info.find("expired_keys:");
    expired = std::stoll(info.substr(at + 13));
    if (expired < keys) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(expired, keys);
  if (kSanitized) GTEST_SKIP() << "RSS is not meaningful under sanitizers";
  std::int64_t rss_after = rss_loaded;
  for (int i = 0; i < 50; ++i) {
    rss_after = status_kib(kvd.pid());
    if (rss_after - rss_before < (rss_loaded - rss_before) / 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_LT(rss_after - rss_before, (rss_loaded - rss_before) / 2)
      << "before " << rss_before << " KiB, loaded " << rss_loaded << " KiB, after " << rss_after;
}

TEST(Expiry, KeysExpireOnTheRealClock) {
  Kvd kvd;
  RawClient client(kvd.port());
  EXPECT_EQ(client.call_raw({"SET", "short", "v", "PX", "200"}), "+OK\r\n");
  EXPECT_EQ(client.call_raw({"SET", "long", "v", "EX", "100"}), "+OK\r\n");
  EXPECT_EQ(client.call_raw({"GET", "short"}), "$1\r\nv\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(client.call_raw({"GET", "short"}), "$-1\r\n");
  EXPECT_EQ(client.call_raw({"EXISTS", "short", "long"}), ":1\r\n");
  EXPECT_EQ(client.call_raw({"DBSIZE"}), ":1\r\n");
}

}  // namespace
}  // namespace kv::test
