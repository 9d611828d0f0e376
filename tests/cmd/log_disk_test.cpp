// The log on a disk that misbehaves. An fsync that fails: writes get MISCONF while reads go on,
// and the writes the failed fsync covered are acknowledged only once a rewrite has put them in a
// new base (never by a later fsync of the same file), after which writes resume; a restart finds
// every acknowledged write. An fsync that stalls: no reply that could show a write, on any
// thread, is sent before that write is fsynced.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "cmd_harness.hpp"
#include "persist/log_file.hpp"
#include "persist/persistence.hpp"

namespace kv::cmd::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A real log file whose fsync fails with EIO while `fail` is set, and waits while `stall` is;
// whose writes fail with ENOSPC while `full` is.
struct FailingDisk {
  std::atomic<bool> fail{false};
  std::atomic<bool> full{false};
  std::atomic<bool> refuse_open{false};  // Opening a log file fails with EIO.
  std::atomic<int> failed_syncs{0};
  std::mutex mu;
  std::condition_variable cv;
  bool stall = false;      // Under mu.
  int stalled = 0;         // fsyncs waiting, under mu.
  bool hold_open = false;  // Opening a log file waits while set; under mu.
  int held_opens = 0;      // Opens waiting, under mu.

  void set_stall(bool on) { set(stall, on); }
  void set_hold_open(bool on) { set(hold_open, on); }
  void set(bool& flag, bool on) {
    {
      std::lock_guard lock(mu);
      flag = on;
    }
    cv.notify_all();
  }
  int stalled_syncs() {
    std::lock_guard lock(mu);
    return stalled;
  }
  int held() {
    std::lock_guard lock(mu);
    return held_opens;
  }
  void wait_to_open() {
    std::unique_lock lock(mu);
    ++held_opens;
    cv.wait(lock, [&] { return !hold_open; });
    --held_opens;
  }
};

class FailingFile final : public persist::LogFile {
 public:
  FailingFile(std::unique_ptr<persist::LogFile> file, FailingDisk& disk)
      : file_(std::move(file)), disk_(disk) {}
  std::int64_t write(std::span<const std::string_view> parts, int& err) override {
    if (disk_.full.load()) {
      err = ENOSPC;
      return -1;
    }
    return file_->write(parts, err);
  }
  bool sync(int& err) override {
    {
      std::unique_lock lock(disk_.mu);
      ++disk_.stalled;
      disk_.cv.wait(lock, [&] { return !disk_.stall; });
      --disk_.stalled;
    }
    if (disk_.fail.load()) {
      disk_.failed_syncs.fetch_add(1);
      err = EIO;
      return false;
    }
    return file_->sync(err);
  }
  bool truncate(std::uint64_t size, int& err) override { return file_->truncate(size, err); }

 private:
  std::unique_ptr<persist::LogFile> file_;
  FailingDisk& disk_;
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class LogDiskTest : public CmdTest {
 protected:
  LogDiskTest() {
    std::string tmpl = (fs::temp_directory_path() / "kvd-logfail-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    config_.dir = dir_.string();
    config_.save.clear();
    config_.appendfsync = persist::FsyncPolicy::always;
    persistence_ = std::make_unique<persist::Persistence>(
        dbs_, config_, [](int, const std::string&) {},
        [this](const std::string& path, int& err) -> std::unique_ptr<persist::LogFile> {
          disk_.wait_to_open();
          if (disk_.refuse_open.load()) {
            err = EIO;
            return nullptr;
          }
          auto file = persist::open_log_file(path, err);
          if (file == nullptr) return nullptr;
          return std::make_unique<FailingFile>(std::move(file), disk_);
        });
    persistence_->load([](std::span<const persist::AofCommand>) { return true; });
    persistence_->start();
    server_.persistence = persistence_.get();
  }
  ~LogDiskTest() override {
    persistence_->shutdown(false);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Whether every write logged so far may be acknowledged.
  bool last_write_durable() {
    return persistence_->writer().durable(persistence_->writer().appended());
  }
  std::string info_persistence() { return payload(run({"info", "persistence"})); }

  FailingDisk disk_;
  fs::path dir_;
  persist::PersistConfig config_;
  std::unique_ptr<persist::Persistence> persistence_;
};

TEST_F(LogDiskTest, AlwaysAcknowledgesWritesAFailedFsyncCoveredOnlyThroughARewrite) {
  const std::string misconf = err("MISCONF Errors writing to the AOF file: Input/output error");
  EXPECT_EQ(run({"set", "a", "1"}), simple("OK"));
  ASSERT_TRUE(eventually([&] { return last_write_durable(); }));

  disk_.fail = true;                                // From here on every fsync of the log fails.
  EXPECT_EQ(run({"set", "b", "2"}), simple("OK"));  // A connection would park this reply.
  const std::uint64_t b_lsn = persistence_->writer().appended();
  ASSERT_TRUE(eventually([&] { return disk_.failed_syncs.load() > 0; }));
  // Reads go on; writes are refused until the log is safe again.
  EXPECT_EQ(run({"get", "a"}), bulk("1"));
  const std::string refused = run({"set", "c", "3"});
  // The rewrite may already have cleared the error; if not, the write was refused.
  if (refused != simple("OK")) {
    EXPECT_EQ(refused, misconf);
  }

  // Every fsync still fails, yet `b` becomes durable: a rewrite wrote a new base holding it.
  ASSERT_TRUE(eventually([&] { return persistence_->writer().durable(b_lsn); }));
  EXPECT_TRUE(disk_.fail.load());
  // Counted once the job ends, just after it acknowledged `b`.
  EXPECT_TRUE(eventually([&] { return info_field(info_persistence(), "aof_rewrites") != "0"; }));

  disk_.fail = false;
  ASSERT_TRUE(eventually([&] { return run({"set", "d", "4"}) == simple("OK"); }));
  EXPECT_EQ(info_field(info_persistence(), "aof_last_write_status"), "ok");
  ASSERT_TRUE(eventually([&] { return last_write_durable(); }));
  ASSERT_TRUE(persistence_->shutdown(false));

  // A restart loads the base and replays the incremental file: a, b, d and maybe c.
  store::Databases loaded(16, 4, clock_);
  persist::Persistence again(loaded, config_, [](int, const std::string&) {});
  std::map<std::string, std::string> replayed;
  again.load([&](std::span<const persist::AofCommand> unit) {
    for (const persist::AofCommand& c : unit) {
      // As the client spelled it: the harness sends lower case.
      if (c.size() == 3 && c[0] == "set") replayed[std::string(c[1])] = std::string(c[2]);
    }
    return true;
  });
  const auto value = [&](const std::string& key) {
    std::string v;
    if (loaded.db(0).get(key, [&](std::string_view s) { v = s; })) return v;
    const auto it = replayed.find(key);
    return it == replayed.end() ? std::string("<missing>") : it->second;
  };
  EXPECT_EQ(value("a"), "1");
  EXPECT_EQ(value("b"), "2");
  EXPECT_EQ(value("d"), "4");
}

// Redis sends no reply before the fsync of every write made in the same event-loop iteration,
// so no client can read a write that a crash would lose. kvd's replies wait for every write
// appended to the log before them, on whichever thread it was made.
TEST_F(LogDiskTest, AlwaysHoldsBackReadsOfAWriteNotYetFsyncedOnAnyThread) {
  EXPECT_EQ(run({"set", "k", "old"}), simple("OK"));
  ASSERT_TRUE(eventually([&] { return dispatcher_.replies_logged(session()); }));
  disk_.set_stall(true);
  EXPECT_EQ(run({"set", "k", "new"}), simple("OK"));
  ASSERT_TRUE(eventually([&] { return disk_.stalled_syncs() > 0; }));
  TestClient& reader = connect("127.0.0.1:50000");
  std::string seen;
  bool sendable = true;
  std::thread other([&] {  // Another event loop's thread, which made no write itself.
    seen = run_as(reader, {"get", "k"});
    sendable =
        dispatcher_.replies_logged(reader.session) || dispatcher_.replies_ready(reader.session);
  });
  other.join();
  EXPECT_EQ(seen, bulk("new"));
  EXPECT_FALSE(sendable) << "a reply showing an unsynced write could be sent";
  disk_.set_stall(false);
  bool later = false;
  std::thread again(
      [&] { later = eventually([&] { return dispatcher_.replies_logged(reader.session); }); });
  again.join();
  EXPECT_TRUE(later);
}

// While the log cannot be written, replies wait only for their own client's writes: another
// client's reads go on, on the same thread too.
TEST_F(LogDiskTest, AFullDiskHoldsBackOnlyTheRepliesOfTheWritesItStopped) {
  TestClient& reader = connect("127.0.0.1:50001");
  EXPECT_EQ(run_as(reader, {"set", "r", "1"}), simple("OK"));
  ASSERT_TRUE(eventually([&] { return dispatcher_.replies_logged(reader.session); }));
  disk_.full = true;
  EXPECT_EQ(run({"set", "k", "v"}), simple("OK"));  // In memory, not in the log.
  ASSERT_TRUE(eventually([&] { return !persistence_->writer().healthy(); }));
  EXPECT_FALSE(dispatcher_.replies_logged(session()));
  EXPECT_FALSE(dispatcher_.replies_ready(session()));
  EXPECT_EQ(run_as(reader, {"get", "r"}), bulk("1"));
  EXPECT_TRUE(dispatcher_.replies_logged(reader.session));
  EXPECT_EQ(run_as(reader, {"set", "r", "2"}),
            err("MISCONF Errors writing to the AOF file: No space left on device"));
  EXPECT_TRUE(dispatcher_.replies_logged(reader.session));
  disk_.full = false;
  ASSERT_TRUE(eventually([&] { return dispatcher_.replies_logged(session()); }));
  EXPECT_TRUE(persistence_->writer().healthy());
}

// A reply waits for the writes appended by the end of its own command, not for those other
// clients append while it waits (else steady writers elsewhere could hold it back forever).
TEST_F(LogDiskTest, AReplyWaitsOnlyForWritesAppendedBeforeItsCommandEnded) {
  TestClient& reader = connect("127.0.0.1:50002");
  EXPECT_EQ(run({"set", "k", "1"}), simple("OK"));
  disk_.set_stall(true);
  EXPECT_EQ(run({"set", "k", "2"}), simple("OK"));
  EXPECT_EQ(run_as(reader, {"get", "k"}), bulk("2"));  // Shows the unsynced write: waits.
  EXPECT_FALSE(dispatcher_.replies_logged(reader.session));
  disk_.set_stall(false);
  ASSERT_TRUE(eventually([&] { return dispatcher_.replies_logged(reader.session); }));
  disk_.set_stall(true);
  EXPECT_EQ(run({"set", "k", "3"}), simple("OK"));  // After the reader's command.
  EXPECT_FALSE(dispatcher_.replies_logged(session()));
  EXPECT_TRUE(dispatcher_.replies_logged(reader.session));
  disk_.set_stall(false);
}

// Turning the log off closes it with a last fsync. If that fsync fails, the writes it covered
// are acknowledged only once a rewrite has put them in a base, as while the log is on.
TEST_F(LogDiskTest, AFailedFsyncAsTheLogIsTurnedOffEndsInABase) {
  EXPECT_EQ(run({"set", "a", "1"}), simple("OK"));
  ASSERT_TRUE(eventually([&] { return last_write_durable(); }));
  disk_.set_stall(true);
  EXPECT_EQ(run({"set", "k", "v"}), simple("OK"));  // A connection would park this reply.
  const std::uint64_t k_lsn = persistence_->writer().appended();
  ASSERT_TRUE(eventually([&] { return disk_.stalled_syncs() > 0; }));
  disk_.fail = true;         // The stalled fsync and the close's fail ...
  disk_.refuse_open = true;  // ... and rewrites too, for now.
  TestClient& admin = connect("127.0.0.1:50003");
  std::string reply;
  std::thread off([&] { reply = run_as(admin, {"config", "set", "appendonly", "no"}); });
  // The close waits behind the stalled fsync (if the thread is slower, the fsync fails first and
  // the log is turned off after: the same end).
  EXPECT_TRUE(eventually([&] { return !persistence_->aof_on(); }));
  std::this_thread::sleep_for(50ms);
  disk_.set_stall(false);
  off.join();
  EXPECT_EQ(reply, simple("OK"));
  EXPECT_TRUE(persistence_->writer().stats().fsync_failed);
  EXPECT_FALSE(persistence_->writer().durable(k_lsn));
  EXPECT_EQ(run({"set", "x", "1"}), simple("OK"));  // The log is off: no MISCONF.
  // As a parked reply to `set k v` would be.
  const auto released = std::make_shared<std::atomic<bool>>(false);
  persistence_->writer().when_durable(k_lsn, [released] { *released = true; });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(released->load());

  disk_.refuse_open = false;  // fsyncs of the log still fail; the new base does not need one.
  ASSERT_TRUE(eventually([&] { return released->load(); }));
  EXPECT_TRUE(persistence_->writer().durable(k_lsn));
  EXPECT_FALSE(persistence_->writer().stats().fsync_failed);
  EXPECT_FALSE(persistence_->aof_on());
  disk_.fail = false;
  ASSERT_TRUE(persistence_->shutdown(false));

  store::Databases loaded(16, 4, clock_);
  persist::Persistence again(loaded, config_, [](int, const std::string&) {});
  again.load([](std::span<const persist::AofCommand>) { return true; });
  EXPECT_TRUE(loaded.db(0).get("k", [](std::string_view v) { EXPECT_EQ(v, "v"); }));
  EXPECT_TRUE(loaded.db(0).get("a", [](std::string_view v) { EXPECT_EQ(v, "1"); }));
}

// `appendonly yes` opens the new log from a job; a `no` while that job runs must still win.
TEST_F(LogDiskTest, AppendonlyNoWhileTheLogIsBeingTurnedOnTurnsItOff) {
  EXPECT_EQ(run({"config", "set", "appendonly", "no"}), simple("OK"));
  ASSERT_FALSE(persistence_->aof_on());
  disk_.set_hold_open(true);
  EXPECT_EQ(run({"config", "set", "appendonly", "yes"}), simple("OK"));
  EXPECT_TRUE(eventually([&] { return disk_.held() > 0; }));  // The job is opening the log.
  EXPECT_EQ(run({"config", "set", "appendonly", "no"}), simple("OK"));
  EXPECT_EQ(info_field(info_persistence(), "aof_enabled"), "0");
  disk_.set_hold_open(false);
  EXPECT_TRUE(eventually([&] {
    const std::string i = info_persistence();
    return info_field(i, "aof_rewrite_in_progress") == "0" &&
           info_field(i, "aof_rewrite_scheduled") == "0";
  }));
  EXPECT_FALSE(persistence_->aof_on());
  EXPECT_FALSE(persistence_->writer().is_open());
  EXPECT_EQ(run({"config", "get", "appendonly"}), array({bulk("appendonly"), bulk("no")}));
}

TEST_F(LogDiskTest, AFailedFsyncJustBeforeShutdownStillEndsInABase) {
  EXPECT_EQ(run({"set", "a", "1"}), simple("OK"));
  disk_.fail = true;
  EXPECT_EQ(run({"set", "b", "2"}), simple("OK"));
  const std::uint64_t b_lsn = persistence_->writer().appended();
  ASSERT_TRUE(eventually([&] { return disk_.failed_syncs.load() > 0; }));
  disk_.fail = false;
  // Whether the cron's rewrite or shutdown's own got there first, `b` is in a base by then:
  // loaded from it, with no replay of the incremental file.
  EXPECT_TRUE(persistence_->shutdown(false));
  EXPECT_TRUE(persistence_->writer().durable(b_lsn));
  store::Databases loaded(16, 4, clock_);
  persist::Persistence again(loaded, config_, [](int, const std::string&) {});
  again.load([](std::span<const persist::AofCommand>) { return true; });
  EXPECT_TRUE(loaded.db(0).get("b", [](std::string_view v) { EXPECT_EQ(v, "2"); }));
  EXPECT_TRUE(loaded.db(0).get("a", [](std::string_view v) { EXPECT_EQ(v, "1"); }));
}

}  // namespace
}  // namespace kv::cmd::test
