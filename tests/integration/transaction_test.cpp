// Transactions on the real multi-threaded kvd: atomic EXEC, WATCH across threads, no lost INCR.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace kv::test {
namespace {

std::vector<std::string> spread_keys(const std::string& prefix, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(prefix + std::to_string(i * 7919));
  return keys;
}

TEST(Transactions, NoReaderSeesHalfAnExec) {
  Kvd kvd({"--threads", "4"});
  const auto keys = spread_keys("t:", 16);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      RawClient client(kvd.port());
      for (int r = 0; r < 150; ++r) {
        std::string batch = proto::encode_command(std::vector<std::string>{"MULTI"});
        for (const auto& k : keys) {
          batch += proto::encode_command(
              std::vector<std::string>{"SET", k, std::to_string(w * 1000 + r)});
        }
        batch += proto::encode_command(std::vector<std::string>{"EXEC"});
        client.send(batch);
        for (std::size_t i = 0; i < keys.size() + 2; ++i) client.read_raw();
      }
    });
  }
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&, i] {
      RawClient client(kvd.port());
      while (!done.load()) {
        std::vector<std::string> values;
        if (i % 2 == 0) {
          std::vector<std::string> mget = {"MGET"};
          mget.insert(mget.end(), keys.begin(), keys.end());
          for (const auto& e : client.call(mget).elements) values.push_back(e.str);
        } else {
          // A transaction of GETs must see one cut as well.
          std::string batch = proto::encode_command(std::vector<std::string>{"MULTI"});
          for (const auto& k : keys)
            batch += proto::encode_command(std::vector<std::string>{"GET", k});
          batch += proto::encode_command(std::vector<std::string>{"EXEC"});
          client.send(batch);
          for (std::size_t j = 0; j < keys.size() + 1; ++j) client.read_raw();
          for (const auto& e : client.read().elements) values.push_back(e.str);
        }
        ++reads;
        for (const auto& v : values) {
          if (v != values[0]) {
            ++torn;
            break;
          }
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

TEST(Transactions, WatchRetriesLoseNoIncrementAcrossThreads) {
  Kvd kvd({"--threads", "4"});
  constexpr int kClients = 8;
  constexpr int kIncrements = 100;
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      RawClient client(kvd.port());
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {  // Optimistic increment: WATCH, read, MULTI, write, EXEC; retry on null.
          client.call_raw({"WATCH", "counter"});
          const proto::Reply current = client.call({"GET", "counter"});
          const long long n =
              current.type == proto::Reply::Type::null ? 0 : std::stoll(current.str);
          client.call_raw({"MULTI"});
          client.call_raw({"SET", "counter", std::to_string(n + 1)});
          if (client.call({"EXEC"}).type != proto::Reply::Type::null) break;
          ++aborted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  RawClient check(kvd.port());
  EXPECT_EQ(check.call({"GET", "counter"}).str, std::to_string(kClients * kIncrements));
  EXPECT_GT(aborted.load(), 0) << "the clients never conflicted, so WATCH was not exercised";
}

TEST(Transactions, IncrFromManyClientsLosesNoUpdate) {
  Kvd kvd({"--threads", "4"});
  constexpr int kClients = 16;
  constexpr int kIncrements = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      RawClient client(kvd.port());
      std::string batch;
      for (int i = 0; i < kIncrements; ++i) batch += "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
      client.send(batch);
      for (int i = 0; i < kIncrements; ++i) client.read_raw();
    });
  }
  for (auto& t : threads) t.join();
  RawClient check(kvd.port());
  EXPECT_EQ(check.call({"GET", "n"}).str, std::to_string(kClients * kIncrements));
}

TEST(Transactions, KeylessCommandInsideExecLocksEverything) {
  Kvd kvd({"--threads", "2"});
  RawClient client(kvd.port());
  RawClient other(kvd.port());
  client.call_raw({"MSET", "a", "1", "b", "2"});
  client.call_raw({"MULTI"});
  client.call_raw({"DBSIZE"});
  client.call_raw({"KEYS", "a*"});
  client.call_raw({"FLUSHDB"});
  client.call_raw({"SET", "c", "3"});
  client.call_raw({"DBSIZE"});
  EXPECT_EQ(client.call_raw({"EXEC"}), "*5\r\n:2\r\n*1\r\n$1\r\na\r\n+OK\r\n+OK\r\n:1\r\n");
  EXPECT_EQ(other.call_raw({"GET", "c"}), "$1\r\n3\r\n");  // The locks were all released.
}

}  // namespace
}  // namespace kv::test
