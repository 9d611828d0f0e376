// Unit tests for the AOF writer: exact file contents, group commit, the fsync policies, write and
// fsync failures with recovery, rotation and close, against an in-memory file that fails on
// demand and against real files.
#include "persist/aof_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "log_text.hpp"
#include "persist/crc64.hpp"

namespace kv::persist {
namespace {

using test::log_records;

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace fs = std::filesystem;

// The state of an in-memory file, shared between the test and the FakeFile the writer owns.
struct FakeDisk {
  std::mutex mu;
  std::condition_variable cv;
  std::string data;
  std::size_t space = std::numeric_limits<std::size_t>::max();  // Past it: short write, ENOSPC.
  int write_error = 0;                                          // Fail every write with this errno.
  int sync_error = 0;                                           // Fail every sync with this errno.
  bool truncate_fails = false;                                  // truncate() fails with EIO.
  bool block_sync = false;  // sync() waits until this is false again.
  int block_after = -1;     // Once this many syncs succeeded, sync() waits until it is -1.
  std::chrono::milliseconds sync_delay{0};
  int syncs = 0;                // Successful syncs.
  int truncates = 0;            // truncate() calls.
  std::size_t synced_size = 0;  // Bytes covered by the last successful sync.
  bool closed = false;
  std::size_t kept = 0;  // Bytes at the start that are not the writer's (see log_records).

  // The records written, without the checksum lines (each checked).
  std::string contents() {
    std::lock_guard lock(mu);
    return log_records(data, kept);
  }
  template <typename F>
  void set(F f) {
    {
      std::lock_guard lock(mu);
      f(*this);
    }
    cv.notify_all();
  }
};

class FakeFile final : public LogFile {
 public:
  explicit FakeFile(std::shared_ptr<FakeDisk> disk) : disk_(std::move(disk)) {}
  ~FakeFile() override {
    disk_->set([](FakeDisk& d) { d.closed = true; });
  }
  FakeFile(const FakeFile&) = delete;
  FakeFile& operator=(const FakeFile&) = delete;

  std::int64_t write(std::span<const std::string_view> parts, int& err) override {
    std::string joined;
    for (const std::string_view part : parts) joined += part;
    const char* data = joined.data();
    const std::size_t n = joined.size();
    std::lock_guard lock(disk_->mu);
    if (disk_->write_error != 0) {
      err = disk_->write_error;
      return -1;
    }
    const std::size_t room =
        disk_->space > disk_->data.size() ? disk_->space - disk_->data.size() : 0;
    disk_->data.append(data, std::min(n, room));
    if (n <= room) return static_cast<std::int64_t>(n);
    err = ENOSPC;
    return room > 0 ? static_cast<std::int64_t>(room) : -1;
  }

  bool sync(int& err) override {
    std::unique_lock lock(disk_->mu);
    disk_->cv.wait(lock, [&] {
      return !disk_->block_sync && (disk_->block_after < 0 || disk_->syncs < disk_->block_after);
    });
    // A real fsync covers at least what was written before it started.
    const std::size_t covered = disk_->data.size();
    const auto delay = disk_->sync_delay;
    lock.unlock();
    std::this_thread::sleep_for(delay);
    lock.lock();
    if (disk_->sync_error != 0) {
      err = disk_->sync_error;
      return false;
    }
    ++disk_->syncs;
    disk_->synced_size = std::max(disk_->synced_size, covered);
    return true;
  }

  bool truncate(std::uint64_t size, int& err) override {
    std::lock_guard lock(disk_->mu);
    ++disk_->truncates;
    if (disk_->truncate_fails) {
      err = EIO;
      return false;
    }
    disk_->data.resize(size);
    return true;
  }

 private:
  std::shared_ptr<FakeDisk> disk_;
};

std::unique_ptr<LogFile> fake(const std::shared_ptr<FakeDisk>& disk) {
  return std::make_unique<FakeFile>(disk);
}

// Polls `pred` until it holds or `limit` passes; returns its last value.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 2500ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A flag set by a when_durable callback.
struct Flag {
  std::atomic<bool> set{false};
  std::function<void()> setter() {
    return [this] { set.store(true); };
  }
};

std::string select(int db) {
  const std::string n = std::to_string(db);
  return "*2\r\n$6\r\nSELECT\r\n$" + std::to_string(n.size()) + "\r\n" + n + "\r\n";
}

std::string set_cmd(const std::string& key, const std::string& value) {
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
         std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

// Records the status callback's calls.
struct StatusLog {
  std::mutex mu;
  std::vector<std::pair<bool, int>> events;
  std::function<void(bool, int)> callback() {
    return [this](bool ok, int err) {
      std::lock_guard lock(mu);
      events.emplace_back(ok, err);
    };
  }
  std::vector<std::pair<bool, int>> get() {
    std::lock_guard lock(mu);
    return events;
  }
};

constexpr AofWriterTiming kFast{50ms, 100ms};
constexpr AofWriterTiming kNoTicks{std::chrono::hours(1), std::chrono::hours(1)};

TEST(AofWriter, ParsesPolicyNamesInAnyCase) {
  EXPECT_EQ(parse_fsync_policy("always"), FsyncPolicy::always);
  EXPECT_EQ(parse_fsync_policy("EverySec"), FsyncPolicy::everysec);
  EXPECT_EQ(parse_fsync_policy("NO"), FsyncPolicy::no);
  EXPECT_EQ(parse_fsync_policy("sometimes"), std::nullopt);
  EXPECT_EQ(parse_fsync_policy(""), std::nullopt);
  EXPECT_EQ(parse_fsync_policy("alwaysx"), std::nullopt);
  for (FsyncPolicy p : {FsyncPolicy::always, FsyncPolicy::everysec, FsyncPolicy::no}) {
    EXPECT_EQ(parse_fsync_policy(fsync_policy_name(p)), p);
  }
}

TEST(AofWriter, WritesAppendsInOrderWithSelectOnlyWhenTheDbChanges) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::everysec, kNoTicks);
  EXPECT_EQ(w.append(0, set_cmd("k", "v")), 0u);  // Closed: ignored.
  w.open(fake(disk), 0);
  EXPECT_TRUE(w.is_open());
  std::string expected;
  struct Step {
    int db;
    std::string cmd;
    std::string bytes;  // What the file gets.
  };
  const std::vector<Step> steps = {
      {0, set_cmd("a", "1"), select(0) + set_cmd("a", "1")},
      {0, set_cmd("b", "2"), set_cmd("b", "2")},
      {-1, "*1\r\n$8\r\nFLUSHALL\r\n", "*1\r\n$8\r\nFLUSHALL\r\n"},
      {0, set_cmd("c", "3"), set_cmd("c", "3")},
      {12, set_cmd("d", "4"), select(12) + set_cmd("d", "4")},
      {12, set_cmd("e", "5") + set_cmd("f", "6"), set_cmd("e", "5") + set_cmd("f", "6")},
      {3, set_cmd("g", "7"), select(3) + set_cmd("g", "7")},
  };
  for (const Step& s : steps) {
    expected += s.bytes;
    EXPECT_EQ(w.append(s.db, s.cmd), expected.size());
    EXPECT_EQ(AofWriter::thread_lsn(), expected.size());
    EXPECT_EQ(w.appended(), expected.size());
  }
  EXPECT_EQ(select(12), "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n");
  EXPECT_TRUE(w.try_write(expected.size()));
  EXPECT_EQ(disk->contents(), expected);
  EXPECT_EQ(w.stats().file_size, disk->data.size());
  EXPECT_EQ(w.stats().buffer_length, 0u);
  EXPECT_TRUE(w.close());
  EXPECT_FALSE(w.is_open());
  EXPECT_EQ(w.append(0, set_cmd("z", "z")), 0u);
  EXPECT_EQ(disk->contents(), expected);
  std::lock_guard lock(disk->mu);
  EXPECT_GE(disk->syncs, 1);
  EXPECT_EQ(disk->synced_size, disk->data.size());
  EXPECT_TRUE(disk->closed);
}

TEST(AofWriter, ReopenedFileGetsASelectAgainAndKeepsItsSize) {
  auto first = std::make_shared<FakeDisk>();
  auto second = std::make_shared<FakeDisk>();
  second->data = "old bytes";
  second->kept = second->data.size();
  AofWriter w(FsyncPolicy::no, kNoTicks);
  w.open(fake(first), 0);
  w.append(5, set_cmd("a", "1"));
  ASSERT_TRUE(w.close());
  w.open(fake(second), second->data.size());
  EXPECT_EQ(w.stats().file_size, 9u);
  const std::uint64_t lsn = w.append(5, set_cmd("b", "2"));
  EXPECT_TRUE(w.try_write(lsn));
  EXPECT_EQ(first->contents(), select(5) + set_cmd("a", "1"));
  EXPECT_EQ(second->contents(), "old bytes" + select(5) + set_cmd("b", "2"));
  EXPECT_EQ(w.stats().file_size, second->data.size());
}

TEST(AofWriter, ThreadLsnIsPerThread) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::no, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t mine = w.append(-1, "*1\r\n$4\r\nPING\r\n");
  std::uint64_t theirs = 0, theirs_seen = 0, before = 1;
  std::thread t([&] {
    before = AofWriter::thread_lsn();
    theirs = w.append(-1, "*1\r\n$4\r\nPING\r\n");
    theirs_seen = AofWriter::thread_lsn();
  });
  t.join();
  EXPECT_EQ(before, 0u);
  EXPECT_EQ(theirs_seen, theirs);
  EXPECT_EQ(theirs, 2 * mine);
  EXPECT_EQ(AofWriter::thread_lsn(), mine);
}

TEST(AofWriter, AppendedCountsEveryThreadsBytes) {
  auto disk = std::make_shared<FakeDisk>();
  disk->block_sync = true;  // Nothing is durable until it is lifted (the writer thread may write).
  AofWriter w(FsyncPolicy::always, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t mine = w.append(-1, "*1\r\n$4\r\nPING\r\n");
  std::uint64_t theirs = 0;
  std::thread t([&] { theirs = w.append(-1, "*1\r\n$4\r\nPING\r\n"); });
  t.join();
  EXPECT_EQ(theirs, 2 * mine);
  EXPECT_EQ(w.appended(), theirs);
  EXPECT_FALSE(w.durable(w.appended()));
  disk->set([](FakeDisk& d) { d.block_sync = false; });
  EXPECT_TRUE(w.flush_and_sync());
  EXPECT_TRUE(w.durable(theirs));
  EXPECT_EQ(disk->contents().size(), theirs);
}

TEST(AofWriter, TryWriteWritesWithoutSyncingInNoMode) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::no, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t lsn = w.append(-1, set_cmd("k", "v"));
  EXPECT_TRUE(w.try_write(lsn));
  EXPECT_TRUE(w.durable(lsn));
  EXPECT_TRUE(w.durable(0));
  EXPECT_EQ(disk->contents(), set_cmd("k", "v"));
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(disk->syncs, 0);
}

TEST(AofWriter, AlwaysLeavesWritingAndSyncingToTheWriterThread) {
  auto disk = std::make_shared<FakeDisk>();
  disk->block_sync = true;
  AofWriter w(FsyncPolicy::always, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t first = w.append(-1, set_cmd("a", "1"));
  Flag first_done;
  w.when_durable(first, first_done.setter());
  // The writer thread wrote `first` and is now stuck in its fsync, so nothing else writes.
  ASSERT_TRUE(eventually([&] { return w.stats().fsync_in_progress; }));
  EXPECT_FALSE(w.durable(first));
  const std::uint64_t second = w.append(-1, set_cmd("b", "2"));
  EXPECT_FALSE(w.try_write(second));
  EXPECT_EQ(disk->contents(), set_cmd("a", "1"));
  std::promise<std::thread::id> ran_on;
  w.when_durable(second, [&] { ran_on.set_value(std::this_thread::get_id()); });
  disk->set([](FakeDisk& d) { d.block_sync = false; });
  auto fut = ran_on.get_future();
  ASSERT_EQ(fut.wait_for(2s), std::future_status::ready);
  EXPECT_NE(fut.get(), std::this_thread::get_id());
  EXPECT_TRUE(first_done.set.load());
  EXPECT_TRUE(w.durable(second));
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(log_records(disk->data), set_cmd("a", "1") + set_cmd("b", "2"));
  EXPECT_EQ(disk->synced_size, disk->data.size());
}

TEST(AofWriter, WhenDurableRunsAtOnceIfAlreadyDurable) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::everysec, kNoTicks);
  w.open(fake(disk), 0);
  bool called = false;
  w.when_durable(0, [&] { called = true; });
  EXPECT_TRUE(called);
  const std::uint64_t lsn = w.append(1, set_cmd("k", "v"));
  ASSERT_TRUE(w.try_write(lsn));
  called = false;
  w.when_durable(lsn, [&] { called = true; });
  EXPECT_TRUE(called);
}

TEST(AofWriter, AlwaysGroupCommitSharesFsyncsAndAcksOnlyCoveredWrites) {
  auto disk = std::make_shared<FakeDisk>();
  disk->sync_delay = 1ms;  // Like a real fsync, long enough for others to queue behind it.
  AofWriter w(FsyncPolicy::always);
  w.open(fake(disk), 0);
  constexpr int kThreads = 8, kWrites = 40;
  std::atomic<int> uncovered{0}, acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::uint64_t lsn =
            w.append(t % 3, set_cmd("t" + std::to_string(t), std::to_string(i)));
        ASSERT_EQ(lsn, AofWriter::thread_lsn());
        std::promise<void> done;
        w.when_durable(lsn, [&] {
          std::lock_guard lock(disk->mu);
          if (disk->synced_size < lsn) uncovered.fetch_add(1);
          acked.fetch_add(1);
          done.set_value();
        });
        ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(acked.load(), kThreads * kWrites);
  EXPECT_EQ(uncovered.load(), 0);
  std::lock_guard lock(disk->mu);
  EXPECT_LT(disk->syncs, kThreads * kWrites / 2) << "fsyncs should be shared";
  std::cout << kThreads * kWrites << " waiters, " << disk->syncs << " fsyncs\n";
  EXPECT_EQ(disk->data.size(), w.stats().file_size);
}

TEST(AofWriter, EverysecSyncsWithinAboutASecond) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::everysec);  // Real timing.
  w.open(fake(disk), 0);
  const auto synced = [&](std::uint64_t lsn) {
    std::lock_guard lock(disk->mu);
    return disk->synced_size >= lsn;
  };
  const std::uint64_t first = w.append(0, set_cmd("a", "1"));
  ASSERT_TRUE(w.try_write(first));
  ASSERT_TRUE(eventually([&] { return synced(first); }));
  // Just after an fsync: the next one comes about a period later, not at once.
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t second = w.append(0, set_cmd("b", "2"));
  ASSERT_TRUE(w.try_write(second));
  EXPECT_TRUE(eventually([&] { return synced(second); }, 2500ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(AofWriter, FailedShortWriteIsCutBackKeptAndWrittenOnceAfterRecovery) {
  auto disk = std::make_shared<FakeDisk>();
  StatusLog status;
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.set_status_callback(status.callback());
  w.open(fake(disk), 0);
  const std::string a = select(0) + set_cmd("a", "1");
  ASSERT_TRUE(w.try_write(w.append(0, set_cmd("a", "1"))));
  disk->set([](FakeDisk& d) { d.space = d.data.size() + 5; });  // 5 more bytes fit.
  const std::uint64_t lsn_b = w.append(0, set_cmd("b", "2"));
  EXPECT_FALSE(w.try_write(lsn_b));
  EXPECT_FALSE(w.durable(lsn_b));
  EXPECT_FALSE(w.stats().write_ok);
  EXPECT_EQ(w.stats().last_errno, ENOSPC);
  // No partial record stays in the file (eventually: a retry may be cutting back right now).
  EXPECT_TRUE(eventually([&] { return disk->contents() == a; }));
  {
    std::lock_guard lock(disk->mu);
    EXPECT_GE(disk->truncates, 1);
  }
  // Appends go on (the server refuses writes with MISCONF, but what was appended stays).
  const std::uint64_t lsn_c = w.append(1, set_cmd("c", "3"));
  EXPECT_FALSE(w.try_write(lsn_c));
  EXPECT_EQ(w.stats().buffer_length, lsn_c - a.size());
  Flag flag;
  w.when_durable(lsn_c, flag.setter());
  std::this_thread::sleep_for(150ms);  // A few retries, all failing.
  EXPECT_FALSE(flag.set.load());
  EXPECT_TRUE(eventually([&] { return disk->contents() == a; }));
  disk->set([](FakeDisk& d) { d.space = std::numeric_limits<std::size_t>::max(); });
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(disk->contents(), a + set_cmd("b", "2") + select(1) + set_cmd("c", "3"));
  EXPECT_TRUE(w.stats().write_ok);
  EXPECT_EQ(w.stats().buffer_length, 0u);
  EXPECT_EQ(status.get(), (std::vector<std::pair<bool, int>>{{false, ENOSPC}, {true, 0}}));
}

TEST(AofWriter, FailedWriteWithErrnoRecoversInOrder) {
  auto disk = std::make_shared<FakeDisk>();
  disk->write_error = EIO;
  StatusLog status;
  AofWriter w(FsyncPolicy::no, kFast);
  w.set_status_callback(status.callback());
  w.open(fake(disk), 0);
  std::string expected;
  std::uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    last = w.append(-1, set_cmd("k", std::to_string(i)));
    expected += set_cmd("k", std::to_string(i));
    EXPECT_FALSE(w.try_write(last));
  }
  EXPECT_EQ(w.stats().last_errno, EIO);
  EXPECT_EQ(w.stats().buffer_length, expected.size());
  EXPECT_FALSE(w.flush_and_sync());
  disk->set([](FakeDisk& d) { d.write_error = 0; });
  Flag flag;
  w.when_durable(last, flag.setter());
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(disk->contents(), expected);
  EXPECT_EQ(status.get(), (std::vector<std::pair<bool, int>>{{false, EIO}, {true, 0}}));
}

TEST(AofWriter, PartialBytesThatCannotBeCutAreNotWrittenTwice) {
  auto disk = std::make_shared<FakeDisk>();
  disk->space = 7;
  disk->truncate_fails = true;
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.open(fake(disk), 0);
  const std::string cmd = set_cmd("key", "value");
  const std::uint64_t lsn = w.append(-1, cmd);
  EXPECT_FALSE(w.try_write(lsn));
  EXPECT_EQ(disk->contents(), cmd.substr(0, 7));
  EXPECT_EQ(w.stats().buffer_length, cmd.size() - 7);
  disk->set([](FakeDisk& d) { d.space = std::numeric_limits<std::size_t>::max(); });
  Flag flag;
  w.when_durable(lsn, flag.setter());
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(disk->contents(), cmd);
}

// The same with the disk full in the middle of the checksum line that ends the write: the
// writer finishes that line once the disk has room, and every line still matches its bytes.
TEST(AofWriter, AChecksumLineCutShortIsFinishedByTheNextWrite) {
  auto disk = std::make_shared<FakeDisk>();
  const std::string cmd = set_cmd("key", "value");
  disk->space = cmd.size() + 5;  // "#C:" and two digits.
  disk->truncate_fails = true;
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.open(fake(disk), 0);
  // The records are written whole (so the write counts as done), their line is not.
  EXPECT_TRUE(w.try_write(w.append(-1, cmd)));
  EXPECT_EQ(disk->data, cmd + "#C:" + disk->data.substr(cmd.size() + 3, 2));
  EXPECT_EQ(w.stats().buffer_length, 0u);
  disk->set([](FakeDisk& d) { d.space = std::numeric_limits<std::size_t>::max(); });
  // The writer thread's retry finishes the line even with nothing else to write.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(disk->mu);
    return disk->data.size() == cmd.size() + kAofChecksumLine;
  }));
  EXPECT_EQ(disk->contents(), cmd);
  const std::string next = set_cmd("next", "1");
  Flag flag;
  w.when_durable(w.append(-1, next), flag.setter());  // Written by the writer thread's retry.
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(disk->contents(), cmd + next);
  EXPECT_EQ(disk->data.size(), cmd.size() + next.size() + 2 * kAofChecksumLine);
}

TEST(AofWriter, AFailedFsyncIsClearedOnlyByCoveringItsFile) {
  auto disk = std::make_shared<FakeDisk>();
  disk->sync_error = EIO;
  StatusLog status;
  AofWriter w(FsyncPolicy::always, kFast);
  w.set_status_callback(status.callback());
  w.open(fake(disk), 0);
  const std::uint64_t lsn = w.append(0, set_cmd("k", "v"));
  Flag flag;
  w.when_durable(lsn, flag.setter());
  ASSERT_TRUE(eventually([&] { return w.stats().fsync_failed; }));
  EXPECT_FALSE(w.stats().write_ok);
  EXPECT_EQ(w.stats().last_errno, EIO);
  EXPECT_EQ(disk->contents(), select(0) + set_cmd("k", "v"));  // Written, not durable.
  // The disk works again, but the failed fsync may have dropped those pages: a later fsync of
  // the same file must not acknowledge them, so none is even tried.
  disk->set([](FakeDisk& d) { d.sync_error = 0; });
  std::this_thread::sleep_for(4 * kFast.period);
  EXPECT_FALSE(flag.set.load());
  EXPECT_FALSE(w.durable(lsn));
  EXPECT_FALSE(w.flush_and_sync());
  EXPECT_EQ(disk->syncs, 0);

  // A rewrite: a new file from the switch on, then a base that holds everything before it.
  auto next = std::make_shared<FakeDisk>();
  next->sync_error = EIO;  // The new file's disk fails too.
  const std::uint64_t cut = w.rotate(fake(next));
  EXPECT_EQ(cut, lsn);
  const std::uint64_t after = w.append(0, set_cmd("k2", "v2"));
  Flag after_flag;
  w.when_durable(after, after_flag.setter());
  w.covered(cut);
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_TRUE(w.durable(lsn));
  {
    std::lock_guard lock(disk->mu);
    EXPECT_TRUE(disk->closed);  // Closed without another fsync.
    EXPECT_EQ(disk->syncs, 0);
  }
  // The new file's fsync fails in turn: covering the old switch does not clear that.
  ASSERT_TRUE(eventually([&] { return next->contents() == select(0) + set_cmd("k2", "v2"); }));
  ASSERT_TRUE(eventually([&] { return w.stats().fsync_failed; }));
  w.covered(cut);
  std::this_thread::sleep_for(2 * kFast.period);
  EXPECT_TRUE(w.stats().fsync_failed);
  EXPECT_FALSE(after_flag.set.load());

  next->set([](FakeDisk& d) { d.sync_error = 0; });
  auto third = std::make_shared<FakeDisk>();
  const std::uint64_t cut2 = w.rotate(fake(third));
  EXPECT_EQ(cut2, after);
  w.covered(cut2);
  ASSERT_TRUE(eventually([&] { return after_flag.set.load(); }));
  EXPECT_TRUE(w.stats().write_ok);
  EXPECT_EQ(next->syncs, 0);
  EXPECT_EQ(status.get(),
            (std::vector<std::pair<bool, int>>{{false, EIO}, {true, 0}, {false, EIO}, {true, 0}}));
  // Fsyncs resume on the newest file.
  const std::uint64_t last = w.append(0, set_cmd("k3", "v3"));
  Flag last_flag;
  w.when_durable(last, last_flag.setter());
  ASSERT_TRUE(eventually([&] { return last_flag.set.load(); }));
  EXPECT_GE(third->syncs, 1);
}

TEST(AofWriter, CoveredBytesThatCouldNotBeWrittenAreNotWrittenLater) {
  auto disk = std::make_shared<FakeDisk>();
  disk->write_error = ENOSPC;
  AofWriter w(FsyncPolicy::everysec, kNoTicks);  // Recovers without waiting for a retry period.
  w.open(fake(disk), 0);
  const std::uint64_t lsn = w.append(0, set_cmd("k", "v"));
  EXPECT_FALSE(w.try_write(lsn));
  EXPECT_FALSE(w.stats().write_ok);
  auto next = std::make_shared<FakeDisk>();
  const std::uint64_t cut = w.rotate(fake(next));
  const std::uint64_t after = w.append(0, set_cmd("k2", "v2"));
  w.covered(cut);
  EXPECT_TRUE(w.durable(lsn));
  EXPECT_LE(w.stats().buffer_length, after - cut);  // The writer thread may be writing them.
  ASSERT_TRUE(eventually([&] { return w.durable(after); }));
  EXPECT_TRUE(w.stats().write_ok);
  EXPECT_EQ(next->contents(), select(0) + set_cmd("k2", "v2"));
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(disk->data, "");  // Still full, and never written to again.
  EXPECT_TRUE(disk->closed);
}

TEST(AofWriter, AFailingLogReleasesWaitersThatNeedOnlyTheirOwnWrites) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::always, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t own = w.append(0, set_cmd("mine", "1"));
  Flag own_synced;
  w.when_durable(own, own_synced.setter());
  ASSERT_TRUE(eventually([&] { return own_synced.set.load(); }));
  disk->set([](FakeDisk& d) { d.sync_error = EIO; });
  const std::uint64_t other = w.append(0, set_cmd("theirs", "2"));
  Flag reader, writer;
  w.when_ready(other, own, reader.setter());  // Could show `theirs`; wrote only `mine`.
  w.when_ready(other, other, writer.setter());
  ASSERT_TRUE(eventually([&] { return reader.set.load(); }));  // Released by the failure.
  EXPECT_FALSE(w.stats().write_ok);
  EXPECT_TRUE(w.ready(other, own));
  EXPECT_FALSE(w.ready(other, other));
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(writer.set.load());
}

TEST(AofWriter, EverysecWritesWaitBehindAnFsyncSlowerThanTheLimit) {
  auto disk = std::make_shared<FakeDisk>();
  disk->block_sync = true;
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.open(fake(disk), 0);
  const std::uint64_t first = w.append(-1, set_cmd("a", "1"));
  ASSERT_TRUE(w.try_write(first));
  ASSERT_TRUE(eventually([&] { return w.stats().fsync_in_progress; }));
  std::this_thread::sleep_for(kFast.slow_fsync + 50ms);
  const std::uint64_t second = w.append(-1, set_cmd("b", "2"));
  EXPECT_FALSE(w.try_write(second));
  EXPECT_GE(w.stats().delayed_fsync, 1u);
  Flag flag;
  w.when_durable(second, flag.setter());
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(flag.set.load());
  EXPECT_EQ(disk->contents(), set_cmd("a", "1"));
  // The stuck fsync ends, and the next one sticks: the write alone lets the waiter go.
  disk->set([](FakeDisk& d) {
    d.block_sync = false;
    d.block_after = 1;
  });
  EXPECT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(disk->contents(), set_cmd("a", "1") + set_cmd("b", "2"));
  disk->set([](FakeDisk& d) { d.block_after = -1; });  // Before close(), which fsyncs.
}

TEST(AofWriter, RotateSplitsExactlyAtTheCall) {
  auto old_disk = std::make_shared<FakeDisk>();
  auto new_disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::no, kNoTicks);
  w.open(fake(old_disk), 0);
  ASSERT_TRUE(w.try_write(w.append(0, set_cmd("a", "1"))));
  w.append(1, set_cmd("b", "2"));  // Still buffered at the switch.
  w.rotate(fake(new_disk));
  w.append(1, set_cmd("c", "3"));
  w.append(-1, "*1\r\n$8\r\nFLUSHALL\r\n");
  const std::uint64_t lsn = w.append(1, set_cmd("d", "4"));
  ASSERT_TRUE(w.try_write(lsn));
  EXPECT_EQ(old_disk->contents(), select(0) + set_cmd("a", "1") + select(1) + set_cmd("b", "2"));
  EXPECT_EQ(new_disk->contents(),
            select(1) + set_cmd("c", "3") + "*1\r\n$8\r\nFLUSHALL\r\n" + set_cmd("d", "4"));
  EXPECT_EQ(w.stats().file_size, new_disk->data.size());
  // The writer thread fsyncs and closes the old file.
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(old_disk->mu);
    return old_disk->closed && old_disk->synced_size == old_disk->data.size();
  }));
  ASSERT_TRUE(w.close());
  std::lock_guard lock(new_disk->mu);
  EXPECT_TRUE(new_disk->closed);
  EXPECT_EQ(new_disk->synced_size, new_disk->data.size());
}

TEST(AofWriter, RotateWhileWritesFailFinishesTheOldFileFirst) {
  auto old_disk = std::make_shared<FakeDisk>();
  auto new_disk = std::make_shared<FakeDisk>();
  old_disk->write_error = ENOSPC;
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.open(fake(old_disk), 0);
  EXPECT_FALSE(w.try_write(w.append(0, set_cmd("a", "1"))));
  w.rotate(fake(new_disk));
  const std::uint64_t lsn = w.append(0, set_cmd("b", "2"));
  EXPECT_FALSE(w.try_write(lsn));
  Flag flag;
  w.when_durable(lsn, flag.setter());
  std::this_thread::sleep_for(120ms);
  EXPECT_FALSE(flag.set.load());
  EXPECT_EQ(new_disk->contents(), "");
  old_disk->set([](FakeDisk& d) { d.write_error = 0; });
  ASSERT_TRUE(eventually([&] { return flag.set.load(); }));
  EXPECT_EQ(old_disk->contents(), select(0) + set_cmd("a", "1"));
  EXPECT_EQ(new_disk->contents(), select(0) + set_cmd("b", "2"));
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(old_disk->mu);
    return old_disk->closed && old_disk->synced_size == old_disk->data.size();
  }));
}

TEST(AofWriter, CloseAndFlushWriteAndSyncEverything) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::no, kNoTicks);
  w.open(fake(disk), 0);
  std::string expected;
  for (int i = 0; i < 10; ++i) {
    w.append(2, set_cmd("k", std::to_string(i)));
    expected += (i == 0 ? select(2) : "") + set_cmd("k", std::to_string(i));
  }
  ASSERT_TRUE(w.flush_and_sync());
  {
    std::lock_guard lock(disk->mu);
    EXPECT_EQ(log_records(disk->data), expected);
    EXPECT_EQ(disk->synced_size, disk->data.size());
    EXPECT_FALSE(disk->closed);
  }
  const std::uint64_t lsn = w.append(2, set_cmd("last", "x"));
  expected += set_cmd("last", "x");
  ASSERT_TRUE(w.close());
  EXPECT_TRUE(w.durable(lsn));
  EXPECT_TRUE(w.try_write(lsn));
  EXPECT_TRUE(w.flush_and_sync());
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(log_records(disk->data), expected);
  EXPECT_EQ(disk->synced_size, disk->data.size());
  EXPECT_TRUE(disk->closed);
}

TEST(AofWriter, CloseCallsTheWaitersItMadeDurableBeforeItReturns) {
  auto disk = std::make_shared<FakeDisk>();
  disk->write_error = EIO;
  AofWriter w(FsyncPolicy::everysec, kNoTicks);  // The writer thread retries only in an hour.
  w.open(fake(disk), 0);
  const std::uint64_t first = w.append(0, set_cmd("a", "1"));
  const std::uint64_t second = w.append(0, set_cmd("b", "2"));
  EXPECT_FALSE(w.try_write(second));
  // The first waiter is slow: whichever thread calls the waiters, close() must wait for both.
  w.when_durable(first, [] { std::this_thread::sleep_for(100ms); });
  Flag flag;
  w.when_durable(second, flag.setter());
  disk->set([](FakeDisk& d) { d.write_error = 0; });
  ASSERT_TRUE(w.close());
  EXPECT_TRUE(flag.set.load());
  EXPECT_EQ(disk->contents(), select(0) + set_cmd("a", "1") + set_cmd("b", "2"));
}

TEST(AofWriter, DroppedWaitersAreNeverCalled) {
  auto disk = std::make_shared<FakeDisk>();
  disk->write_error = EIO;
  AofWriter w(FsyncPolicy::everysec, kNoTicks);
  w.open(fake(disk), 0);
  const std::uint64_t lsn = w.append(0, set_cmd("a", "1"));
  EXPECT_FALSE(w.try_write(lsn));
  Flag flag;
  w.when_durable(lsn, flag.setter());
  w.drop_waiters();
  disk->set([](FakeDisk& d) { d.write_error = 0; });
  ASSERT_TRUE(w.close());
  EXPECT_TRUE(w.durable(lsn));
  EXPECT_FALSE(flag.set.load());
}

TEST(AofWriter, FailedCloseKeepsTheBytesAndFinishesLater) {
  auto disk = std::make_shared<FakeDisk>();
  AofWriter w(FsyncPolicy::everysec, kFast);
  w.open(fake(disk), 0);
  const std::uint64_t lsn = w.append(-1, set_cmd("k", "v"));
  disk->set([](FakeDisk& d) { d.write_error = ENOSPC; });
  EXPECT_FALSE(w.close());
  EXPECT_FALSE(w.is_open());
  EXPECT_EQ(w.append(-1, set_cmd("ignored", "x")), 0u);
  EXPECT_FALSE(w.durable(lsn));
  EXPECT_EQ(w.stats().buffer_length, set_cmd("k", "v").size());
  disk->set([](FakeDisk& d) { d.write_error = 0; });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(disk->mu);
    return disk->closed;
  }));
  EXPECT_TRUE(w.durable(lsn));
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(log_records(disk->data), set_cmd("k", "v"));
  EXPECT_EQ(disk->synced_size, disk->data.size());
}

TEST(AofWriter, DestructorClosesTheFile) {
  auto disk = std::make_shared<FakeDisk>();
  {
    AofWriter w(FsyncPolicy::everysec, kNoTicks);
    w.open(fake(disk), 0);
    w.append(4, set_cmd("k", "v"));
  }
  std::lock_guard lock(disk->mu);
  EXPECT_EQ(log_records(disk->data), select(4) + set_cmd("k", "v"));
  EXPECT_EQ(disk->synced_size, disk->data.size());
  EXPECT_TRUE(disk->closed);
}

// ---- Real files.

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kvd-aof-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A log file's records (log_records), without the zero-filled space kept past its end while it
// is open; the first `kept` bytes are not the writer's.
std::string live_log(const fs::path& p, std::size_t kept = 0) {
  std::string bytes = read_file(p);
  bytes.erase(bytes.find_last_not_of('\0') + 1);
  return log_records(bytes, kept);
}

TEST(AofWriter, OpenLogFileReportsErrors) {
  TempDir dir;
  int err = 0;
  EXPECT_EQ(open_log_file((dir.path() / "missing" / "f.aof").string(), err), nullptr);
  EXPECT_EQ(err, ENOENT);
}

TEST(AofWriter, RealFileAppendsAfterExistingContent) {
  TempDir dir;
  const fs::path path = dir.path() / "appendonly.aof.1.incr.aof";
  const std::string existing = "*1\r\n$4\r\nPING\r\n";
  std::ofstream(path, std::ios::binary) << existing;
  int err = 0;
  auto file = open_log_file(path.string(), err);
  ASSERT_NE(file, nullptr) << err;
  AofWriter w(FsyncPolicy::always);
  // The existing bytes have no checksum line: the writer's first one covers them too.
  w.open(std::move(file), existing.size(), crc64(0, existing));
  w.append(0, set_cmd("a", "1"));
  w.append(1, set_cmd("b", "2"));
  ASSERT_TRUE(w.flush_and_sync());
  const std::string expected =
      existing + select(0) + set_cmd("a", "1") + select(1) + set_cmd("b", "2");
  EXPECT_EQ(live_log(path), expected);
  // One checksum line per write: one or two writes, as the writer thread took the appends.
  std::string live = read_file(path);
  live.erase(live.find_last_not_of('\0') + 1);
  EXPECT_TRUE(live.size() == expected.size() + kAofChecksumLine ||
              live.size() == expected.size() + 2 * kAofChecksumLine)
      << live.size();
  EXPECT_EQ(w.stats().file_size, live.size());
  // Rotation to a second real file.
  const fs::path next = dir.path() / "appendonly.aof.2.incr.aof";
  auto next_file = open_log_file(next.string(), err);
  ASSERT_NE(next_file, nullptr) << err;
  w.rotate(std::move(next_file));
  w.append(1, set_cmd("c", "3"));
  ASSERT_TRUE(w.close());
  // Closed files end with their last record: the zero-filled space is cut off.
  const std::string closed = read_file(path);
  EXPECT_EQ(closed, live);
  EXPECT_EQ(log_records(closed), expected);
  EXPECT_EQ(log_records(read_file(next)), select(1) + set_cmd("c", "3"));
}

// The real file keeps zero-filled space ahead of its writes, filled by a thread of its own while
// the writes go on, and cuts it off when closed or when zero-filling is turned off; a cut-back
// (truncate) and the writes after it land where they should.
TEST(AofWriter, RealFileZeroFillsAheadOfItsWritesAndCutsTheFillOnClose) {
  TempDir dir;
  const fs::path path = dir.path() / "log.aof";
  constexpr std::uint64_t kPrealloc = 512 * 1024;
  int err = 0;
  auto file = open_log_file(path.string(), err, kPrealloc);
  ASSERT_NE(file, nullptr) << err;
  const std::string first = set_cmd("off", "no fill yet");
  ASSERT_EQ(file->write(first.data(), first.size(), err), static_cast<std::int64_t>(first.size()));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fs::file_size(path), first.size()) << "zero-filled space while zero-filling is off";
  file->set_zero_fill(true);
  const auto write = [&](const std::string& rec) {
    EXPECT_EQ(file->write(rec.data(), rec.size(), err), static_cast<std::int64_t>(rec.size()))
        << err;
  };
  std::string expected = first;
  const std::string value(1000, 'v');
  std::uint64_t most_ahead = 0;  // The most zero-filled bytes seen past the last write.
  for (int i = 0; i < 3000; ++i) {
    const std::string rec = set_cmd("k" + std::to_string(i), value);
    write(rec);
    expected += rec;
    if (i == 0) {  // The first fill runs meanwhile; wait for it once.
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (fs::file_size(path) <= expected.size() + kPrealloc &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
    }
    most_ahead = std::max<std::uint64_t>(most_ahead, fs::file_size(path) - expected.size());
  }
  EXPECT_GT(most_ahead, kPrealloc) << "no zero-filled space was ever ahead of the writes";
  ASSERT_TRUE(file->sync(err)) << err;
  const std::string open_bytes = read_file(path);
  ASSERT_GE(open_bytes.size(), expected.size());
  EXPECT_EQ(open_bytes.compare(0, expected.size(), expected), 0);
  EXPECT_EQ(open_bytes.find_first_not_of('\0', expected.size()), std::string::npos);

  // Cut back the last record, as AofWriter does after a write that failed part-way.
  const std::string last = set_cmd("k2999", value);
  expected.resize(expected.size() - last.size());
  ASSERT_TRUE(file->truncate(expected.size(), err)) << err;
  const std::string after = set_cmd("after", "cut");
  write(after);
  expected += after;

  // Turned off (the policy left `always`), the file gives the space back while it stays open.
  const auto deadline = std::chrono::steady_clock::now() + 10s;  // The write above starts a fill.
  while (fs::file_size(path) <= expected.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_GT(fs::file_size(path), expected.size());
  file->set_zero_fill(false);
  EXPECT_EQ(read_file(path), expected);
  const std::string plain = set_cmd("plain", "append");
  write(plain);
  expected += plain;
  EXPECT_EQ(read_file(path), expected);
  file.reset();
  EXPECT_EQ(read_file(path), expected);
}

TEST(AofWriter, RealFileKeepsEveryThreadsWritesInOrder) {
  TempDir dir;
  const fs::path path = dir.path() / "log.aof";
  int err = 0;
  auto file = open_log_file(path.string(), err);
  ASSERT_NE(file, nullptr) << err;
  AofWriter w(FsyncPolicy::everysec);
  w.open(std::move(file), 0);
  constexpr int kThreads = 4, kWrites = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::uint64_t lsn = w.append(-1, set_cmd(std::to_string(t), std::to_string(i)));
        if (!w.try_write(lsn)) {
          std::promise<void> done;
          w.when_durable(lsn, [&] { done.set_value(); });
          ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(w.close());
  const std::string contents = log_records(read_file(path));
  // Every record is a SET of key <thread> to value <i>; each thread's values appear in order.
  std::vector<int> next(kThreads, 0);
  std::size_t pos = 0;
  while (pos < contents.size()) {
    bool matched = false;
    for (int t = 0; t < kThreads && !matched; ++t) {
      const std::string rec = set_cmd(std::to_string(t), std::to_string(next[t]));
      if (contents.compare(pos, rec.size(), rec) == 0) {
        pos += rec.size();
        ++next[t];
        matched = true;
      }
    }
    ASSERT_TRUE(matched) << "unexpected bytes at " << pos;
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kWrites));
}

}  // namespace
}  // namespace kv::persist
