// Many clients at once on a multi-threaded kvd: no lost writes, no torn multi-key operations.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "persist_util.hpp"

namespace kv::test {
namespace {

std::vector<std::string> group_keys(int group) {
  std::vector<std::string> keys;
  // Sixteen keys whose names spread over many stripes.
  for (int i = 0; i < 16; ++i)
    keys.push_back("g" + std::to_string(group) + ":" + std::to_string(i * 7919));
  return keys;
}

TEST(Concurrency, ThirtyTwoClientsEachSeeTheirOwnWrites) {
  Kvd kvd({"--threads", "4"});
  constexpr int kClients = 32;
  constexpr int kOps = 500;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RawClient client(kvd.port());
      for (int i = 0; i < kOps; ++i) {
        const std::string key = "c" + std::to_string(t) + ":" + std::to_string(i);
        const std::string value = std::to_string(t * 100000 + i);
        if (client.call_raw({"SET", key, value}) != "+OK\r\n") ++failures;
        if (client.call({"GET", key}).str != value) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  RawClient check(kvd.port());
  EXPECT_EQ(check.call({"DBSIZE"}).integer, kClients * kOps);
}

TEST(Concurrency, MgetNeverSeesHalfAnMset) {
  Kvd kvd({"--threads", "4"});
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kRounds = 400;
  const auto keys = group_keys(0);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      RawClient client(kvd.port());
      for (int r = 0; r < kRounds; ++r) {
        std::vector<std::string> cmd = {"MSET"};
        const std::string value = std::to_string(w) + "-" + std::to_string(r);
        for (const auto& k : keys) {
          cmd.push_back(k);
          cmd.push_back(value);
        }
        client.call_raw(cmd);
      }
    });
  }
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&] {
      RawClient client(kvd.port());
      std::vector<std::string> cmd = {"MGET"};
      cmd.insert(cmd.end(), keys.begin(), keys.end());
      while (!done.load()) {
        const proto::Reply r = client.call(cmd);
        ++reads;
        for (const auto& e : r.elements) {
          if (e.type != r.elements[0].type || e.str != r.elements[0].str) {
            ++torn;
            break;
          }
        }
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[static_cast<std::size_t>(w)].join();
  done = true;
  for (std::size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

TEST(Concurrency, DelOfManyKeysIsOneStep) {
  Kvd kvd({"--threads", "4"});
  const auto keys = group_keys(1);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread writer([&] {
    RawClient client(kvd.port());
    std::vector<std::string> mset = {"MSET"};
    for (const auto& k : keys) {
      mset.push_back(k);
      mset.push_back("v");
    }
    std::vector<std::string> del = {"DEL"};
    del.insert(del.end(), keys.begin(), keys.end());
    for (int r = 0; r < 500; ++r) {
      client.call_raw(mset);
      if (client.call(del).integer != 16) ++torn;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      RawClient client(kvd.port());
      std::vector<std::string> exists = {"EXISTS"};
      exists.insert(exists.end(), keys.begin(), keys.end());
      while (!done.load()) {
        const auto n = client.call(exists).integer;
        if (n != 0 && n != 16) ++torn;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
}

TEST(Concurrency, MsetnxHasOneWinnerPerRound) {
  Kvd kvd({"--threads", "4"});
  constexpr int kClients = 8;
  constexpr int kRounds = 200;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RawClient client(kvd.port());
      for (int r = 0; r < kRounds; ++r) {
        const std::string a = "nx:" + std::to_string(r) + ":a";
        const std::string b = "nx:" + std::to_string(r) + ":b";
        if (client.call({"MSETNX", a, std::to_string(t), b, std::to_string(t)}).integer == 1)
          ++wins;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kRounds);
  // Each round's two keys were written by the same winner.
  RawClient client(kvd.port());
  for (int r = 0; r < kRounds; ++r) {
    const auto reply =
        client.call({"MGET", "nx:" + std::to_string(r) + ":a", "nx:" + std::to_string(r) + ":b"});
    ASSERT_EQ(reply.elements.size(), 2u);
    EXPECT_EQ(reply.elements[0].str, reply.elements[1].str);
  }
}

TEST(Concurrency, ShutdownWhileClientsAreBusyExitsZero) {
  Kvd kvd({"--threads", "4"});
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        RawClient client(kvd.port());
        for (int i = 0; !stop.load() && i < 100000; ++i) {
          if (client.call_raw({"SET", "busy" + std::to_string(t), std::to_string(i)}).empty())
            break;
        }
      } catch (const std::exception&) {
        // The server going away mid-command is expected here.
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    RawClient admin(kvd.port());
    admin.send_command({"SHUTDOWN"});
    EXPECT_EQ(admin.read_until_close(), "");
  }
  EXPECT_EQ(kvd.wait_exit(std::chrono::seconds(10)), 0);
  stop = true;
  for (auto& t : threads) t.join();
}

// With appendfsync always every reply waits for the fsync that covers its write, and the log
// writer's thread sends most of them itself. Pipelines of several writes and reads keep their
// replies in order, clients that hang up while their replies wait do no harm, every
// acknowledged INCR is counted, and a shutdown under this load exits cleanly and keeps them.
TEST(Concurrency, RepliesThatWaitForTheLogKeepTheirOrder) {
  TempDir d;
  const Args args = aof_args(d, {"--threads", "2", "--appendfsync", "always"});
  constexpr int kClients = 4;
  constexpr int kRounds = 120;
  std::atomic<int> failures{0};
  std::atomic<int> busy_acked{0};
  int busy_sent = 0;
  {
    Kvd kvd(args);
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
      threads.emplace_back([&, t] {
        RawClient c(kvd.port());
        const std::string counter = "n" + std::to_string(t);
        const std::string key = "k" + std::to_string(t);
        int n = 0;
        for (int r = 0; r < kRounds; ++r) {
          const int depth = 1 + r % 4;
          for (int i = 0; i < depth; ++i) {
            c.send_command({"INCR", counter});
            c.send_command({"SET", key, std::to_string(r * 10 + i)});
            c.send_command({"GET", key});
          }
          for (int i = 0; i < depth; ++i) {
            if (c.read_raw() != ":" + std::to_string(++n) + "\r\n") ++failures;
            if (c.read_raw() != "+OK\r\n") ++failures;
            if (c.read().str != std::to_string(r * 10 + i)) ++failures;
          }
        }
      });
    }
    threads.emplace_back([&] {
      for (int r = 0; r < 30; ++r) {
        RawClient c(kvd.port());
        for (int i = 0; i < 8; ++i) c.send_command({"INCR", "dropped"});
        // Every other round reads its first reply, then all hang up with replies waiting.
        if (r % 2 == 0 && c.read_raw().rfind(':', 0) != 0) ++failures;
      }
    });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    RawClient check(kvd.port());
    const int per_client = kRounds / 4 * (1 + 2 + 3 + 4);
    for (int t = 0; t < kClients; ++t) {
      EXPECT_EQ(check.call({"GET", "n" + std::to_string(t)}).str, std::to_string(per_client));
    }
    const long dropped = std::stol(check.call({"GET", "dropped"}).str);
    EXPECT_GE(dropped, 15);  // The rounds that read a reply.
    EXPECT_LE(dropped, 30 * 8);

    // Shut down while a client pipelines INCRs: kvd exits 0, and keeps each acknowledged one.
    std::thread busy([&] {
      try {
        RawClient c(kvd.port());
        for (int r = 0; r < 100000; ++r) {
          busy_sent += 4;  // Before sending: a send that fails part-way may have sent some.
          for (int i = 0; i < 4; ++i) c.send_command({"INCR", "busy"});
          for (int i = 0; i < 4; ++i) {
            if (c.read_raw().empty()) return;
            ++busy_acked;
          }
        }
      } catch (const std::exception&) {
        // The server going away mid-pipeline is expected here.
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (busy_acked.load() < 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GE(busy_acked.load(), 200);
    check.send_command({"SHUTDOWN"});
    EXPECT_EQ(check.read_until_close(), "");
    EXPECT_EQ(kvd.wait_exit(std::chrono::seconds(20)), 0);
    busy.join();
  }
  Kvd again(args);
  RawClient c(again.port());
  const long busy = std::stol(c.call({"GET", "busy"}).str);
  EXPECT_GE(busy, busy_acked.load());
  EXPECT_LE(busy, busy_sent);
  EXPECT_EQ(c.call({"GET", "n0"}).str, std::to_string(kRounds / 4 * 10));
}

// Replies that wait for the log while the client does not read: the writer's thread may find the
// socket full and hand the rest back to the event loop, which may park the connection again
// before its read completes. Every reply still arrives, whole and in order.
TEST(Concurrency, SlowReadersOfLoggedRepliesGetEveryReply) {
  TempDir d;
  Kvd kvd(aof_args(d, {"--threads", "2", "--appendfsync", "always"}));
  const std::string big(12000, 'v');  // One reply of it fits what a lent connection sends.
  {
    RawClient c(kvd.port());
    ASSERT_EQ(c.call_raw({"SET", "big", big}), "+OK\r\n");
  }
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {  // Keep the log busy on both event loops.
    writers.emplace_back([&, t] {
      RawClient c(kvd.port());
      for (int i = 0; !done.load() && i < 200000; ++i) {
        if (c.call_raw({"SET", "w" + std::to_string(t), std::to_string(i)}) != "+OK\r\n") {
          ++failures;
        }
      }
    });
  }
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      RawClient c(kvd.port());
      const std::string key = "s" + std::to_string(t);
      for (int round = 0; round < 4; ++round) {
        constexpr int kPairs = 400;  // About 5 MB of replies left unread at first.
        for (int i = 0; i < kPairs; ++i) {
          c.send_command({"SET", key, std::to_string(i)});
          c.send_command({"GET", "big"});
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        for (int i = 0; i < kPairs; ++i) {
          if (c.read_raw() != "+OK\r\n") ++failures;
          if (c.read().str != big) ++failures;
          if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (c.call({"GET", key}).str != std::to_string(kPairs - 1)) ++failures;
      }
    });
  }
  for (auto& th : readers) th.join();
  done = true;
  for (auto& th : writers) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(kvd.stop(), 0);
}

TEST(Concurrency, FlushallLeavesNothingWhileKeysMoveBetweenDatabases) {
  Kvd kvd({"--threads", "4"});
  std::atomic<bool> done{false};
  std::thread mover([&] {
    RawClient client(kvd.port());
    // Moves k back and forth between databases 15 and 0; it never creates a key.
    while (!done.load()) {
      client.call_raw({"SELECT", "15"});
      client.call_raw({"MOVE", "k", "0"});
      client.call_raw({"SELECT", "0"});
      client.call_raw({"MOVE", "k", "15"});
    }
  });
  RawClient client(kvd.port());
  int survivors = 0;
  for (int round = 0; round < 300; ++round) {
    client.call_raw({"SELECT", "15"});
    client.call_raw({"SET", "k", "v"});
    client.call_raw({"FLUSHALL"});
    const auto in15 = client.call({"EXISTS", "k"}).integer;
    client.call_raw({"SELECT", "0"});
    const auto in0 = client.call({"EXISTS", "k"}).integer;
    if (in0 + in15 != 0) ++survivors;
  }
  done = true;
  mover.join();
  EXPECT_EQ(survivors, 0);
}

TEST(Concurrency, CopyAcrossDatabasesDuringSwapdbNeverCopiesWithinOne) {
  Kvd kvd({"--threads", "4"});
  RawClient setup(kvd.port());
  setup.call_raw({"SET", "k", "v"});
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    RawClient client(kvd.port());
    while (!done.load()) client.call_raw({"SWAPDB", "0", "1"});
  });
  RawClient client(kvd.port());
  int bad = 0;
  for (int i = 0; i < 300; ++i) {
    client.call_raw({"COPY", "k", "k2", "DB", "1", "REPLACE"});
    // k exists in exactly one database, and k2, copied to "the other" one, never beside it.
    client.send("*1\r\n$5\r\nMULTI\r\n");
    client.read_raw();
    for (const char* db : {"0", "1"}) {
      client.call_raw({"SELECT", db});
      client.call_raw({"EXISTS", "k", "k2"});
    }
    client.call_raw({"SELECT", "0"});
    const proto::Reply r = client.call({"EXEC"});
    if (r.elements.size() == 5 && (r.elements[1].integer == 2 || r.elements[3].integer == 2)) ++bad;
  }
  done = true;
  swapper.join();
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace kv::test
