// Durability on the real kvd: restarts keep every write, snapshot and log files are Redis's and
// their tools accept them, damaged files are refused with the file and offset named, a full disk
// gives MISCONF and recovers, and loading is visible (INFO loading, -LOADING).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace kv::test {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

// ---- Files and folders ----

// A fresh folder under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kvd-dur-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& str() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The files of a folder, by name.
std::set<std::string> list_dir(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::string log_dir(const TempDir& d) { return d / "appendonlydir"; }
std::string log_file(const TempDir& d, const std::string& name) { return log_dir(d) + "/" + name; }
std::string incr_name(int seq) { return "appendonly.aof." + std::to_string(seq) + ".incr.aof"; }
std::string base_name(int seq) { return "appendonly.aof." + std::to_string(seq) + ".base.rdb"; }
const std::string kManifest = "appendonly.aof.manifest";

// ---- kvd ----

// Options for kvd with the log on, in `d`, with no save rules.
Args aof_args(const TempDir& d, Args extra = {}) {
  Args args = {"--dir", d.str(), "--appendonly", "yes", "--save", ""};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Options for kvd with snapshots only, in `d`.
Args rdb_args(const TempDir& d, const std::string& save = "") {
  return {"--dir", d.str(), "--appendonly", "no", "--save", save};
}

// Polls PING until kvd has loaded its data and opened its log (no more -LOADING), for at most
// 30 s.
void wait_loaded(int port) {
  RawClient client(port);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    const std::string reply = client.call_raw({"PING"});
    if (reply == "+PONG\r\n") return;
    ASSERT_TRUE(reply.starts_with("-LOADING")) << reply;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "kvd still loading after 30 s";
}

// Runs kvd on `args` expecting it to refuse its data: exit status 1 within 20 s.
CommandResult run_kvd_failing(const Args& args) {
  Args argv = {binary_dir() + "/kvd", "--port", std::to_string(free_port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", std::chrono::seconds(20));
}

// The number after the first "offset " in `text` following `after`, or -1.
std::int64_t offset_in(const std::string& text, const std::string& after) {
  const std::size_t from = text.find(after);
  if (from == std::string::npos) return -1;
  const std::size_t at = text.find("offset ", from);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + 7));
}

// ---- Replies and INFO ----

std::string info(RawClient& c, const std::string& section = "persistence") {
  return c.call({"INFO", section}).str;
}

// The value of `field` in INFO text ("" if absent).
std::string info_field(const std::string& text, const std::string& field) {
  std::size_t at = text.starts_with(field + ":") ? 0 : text.find("\r\n" + field + ":");
  if (at == std::string::npos) return "";
  at = text.find(':', at + (at == 0 ? 0 : 2)) + 1;
  return text.substr(at, text.find("\r\n", at) - at);
}

std::int64_t info_int(RawClient& c, const std::string& field) {
  const std::string v = info_field(info(c), field);
  return v.empty() ? -1 : std::stoll(v);
}

// Polls INFO persistence until `done(info)` holds, for at most `limit`.
template <typename Pred>
bool wait_info(RawClient& c, Pred done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done(info(c))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Every key of every database with its value: (db, key) -> value.
using Dump = std::map<std::pair<int, std::string>, std::string>;

Dump dump_all(RawClient& c, int databases = 16) {
  Dump dump;
  for (int db = 0; db < databases; ++db) {
    EXPECT_EQ(c.call_raw({"SELECT", std::to_string(db)}), "+OK\r\n");
    const proto::Reply keys = c.call({"KEYS", "*"});
    if (keys.elements.empty()) continue;
    std::vector<std::string> mget = {"MGET"};
    for (const auto& k : keys.elements) mget.push_back(k.str);
    const proto::Reply values = c.call(mget);
    EXPECT_EQ(values.elements.size(), keys.elements.size());
    for (std::size_t i = 0; i < keys.elements.size() && i < values.elements.size(); ++i) {
      dump[{db, keys.elements[i].str}] = values.elements[i].str;
    }
  }
  EXPECT_EQ(c.call_raw({"SELECT", "0"}), "+OK\r\n");
  return dump;
}

// Pipelines MSETs of keys <prefix><i> (i < count) with `value_len`-byte values.
void fill(RawClient& c, const std::string& prefix, int count, std::size_t value_len) {
  constexpr int kPerMset = 100;
  constexpr int kPerBatch = 50;  // MSETs per round trip.
  int i = 0;
  while (i < count) {
    std::string batch;
    int commands = 0;
    for (; commands < kPerBatch && i < count; ++commands) {
      std::vector<std::string> mset = {"MSET"};
      for (int k = 0; k < kPerMset && i < count; ++k, ++i) {
        mset.push_back(prefix + std::to_string(i));
        std::string v = std::to_string(i);
        v.resize(value_len, 'v');
        mset.push_back(std::move(v));
      }
      batch += proto::encode_command(mset);
    }
    c.send(batch);
    for (int k = 0; k < commands; ++k) ASSERT_EQ(c.read_raw(), "+OK\r\n");
  }
}

std::string filled_value(int i, std::size_t value_len) {
  std::string v = std::to_string(i);
  v.resize(value_len, 'v');
  return v;
}

// ---- 1. Restart keeps data ----

const std::string kBinKey = std::string("bin\0key\r\n", 9);
const std::string kBinValue = std::string("\0\r\n*3\r\n$3\r\nSET\r\n\0", 18);

// A mix of commands over several databases; leaves the connection in database 0.
void write_mixed(RawClient& c) {
  const auto ok = [&](const Args& a) { EXPECT_EQ(c.call_raw(a), "+OK\r\n") << a[0]; };
  ok({"SET", "plain", "1"});
  ok({"SET", "withttl", "v", "EX", "100"});
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(c.call_raw({"INCR", "counter"}), ":" + std::to_string(i) + "\r\n");
  ok({"SET", "s", "hello"});
  EXPECT_EQ(c.call_raw({"APPEND", "s", " world"}), ":11\r\n");
  ok({"MSET", "m1", "a", "m2", "b", "m3", "c"});
  EXPECT_EQ(c.call_raw({"DEL", "m2", "nosuchkey"}), ":1\r\n");
  ok({"SET", "later", "v"});
  EXPECT_EQ(c.call_raw({"EXPIRE", "later", "200"}), ":1\r\n");
  ok({"SET", "persisted", "v", "EX", "100"});
  EXPECT_EQ(c.call_raw({"PERSIST", "persisted"}), ":1\r\n");
  ok({"SET", kBinKey, kBinValue});
  c.send(proto::encode_command(Args{"MULTI"}) + proto::encode_command(Args{"SET", "tx0", "a"}) +
         proto::encode_command(Args{"SELECT", "3"}) +
         proto::encode_command(Args{"SET", "tx3", "b"}) +
         proto::encode_command(Args{"INCR", "txc"}) + proto::encode_command(Args{"SELECT", "0"}) +
         proto::encode_command(Args{"EXEC"}));
  EXPECT_EQ(c.read_raw(), "+OK\r\n");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.read_raw(), "+QUEUED\r\n");
  EXPECT_EQ(c.read_raw(), "*5\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n");
  ok({"SELECT", "3"});
  ok({"SET", "d3", "x"});
  ok({"SWAPDB", "3", "5"});
  ok({"SELECT", "7"});
  ok({"MSET", "f1", "x", "f2", "y"});
  ok({"FLUSHDB"});
  ok({"SET", "after_flush", "z"});
  ok({"SELECT", "1"});
  ok({"SET", "one", "1"});
  ok({"SELECT", "0"});
}

void check_mixed(RawClient& c) {
  EXPECT_EQ(c.call({"GET", "plain"}).str, "1");
  EXPECT_EQ(c.call({"GET", "counter"}).str, "3");
  EXPECT_EQ(c.call({"GET", "s"}).str, "hello world");
  EXPECT_EQ(c.call_raw({"MGET", "m1", "m2", "m3"}), "*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n");
  EXPECT_EQ(c.call({"GET", kBinKey}).str, kBinValue);
  EXPECT_EQ(c.call({"GET", "tx0"}).str, "a");
  const std::int64_t pttl = c.call({"PTTL", "withttl"}).integer;
  EXPECT_GT(pttl, 85000);
  EXPECT_LE(pttl, 100000);
  const std::int64_t ttl = c.call({"TTL", "later"}).integer;
  EXPECT_GT(ttl, 185);
  EXPECT_LE(ttl, 200);
  EXPECT_EQ(c.call({"TTL", "persisted"}).integer, -1);
  EXPECT_EQ(c.call({"TTL", "plain"}).integer, -1);
  EXPECT_EQ(c.call_raw({"SELECT", "5"}), "+OK\r\n");
  EXPECT_EQ(c.call_raw({"MGET", "tx3", "txc", "d3"}), "*3\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nx\r\n");
  EXPECT_EQ(c.call_raw({"SELECT", "3"}), "+OK\r\n");
  EXPECT_EQ(c.call({"DBSIZE"}).integer, 0);
  EXPECT_EQ(c.call_raw({"SELECT", "7"}), "+OK\r\n");
  EXPECT_EQ(c.call_raw({"KEYS", "*"}), "*1\r\n$11\r\nafter_flush\r\n");
  EXPECT_EQ(c.call_raw({"SELECT", "1"}), "+OK\r\n");
  EXPECT_EQ(c.call({"GET", "one"}).str, "1");
  EXPECT_EQ(c.call_raw({"SELECT", "0"}), "+OK\r\n");
}

void restart_keeps_data(bool sigkill) {
  TempDir d;
  Dump before;
  Clock::time_point short_set;
  {
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    write_mixed(c);
    check_mixed(c);
    before = dump_all(c);
    // Expires while kvd is down: its deadline, not a fresh TTL, must come back.
    EXPECT_EQ(c.call_raw({"SET", "short", "v", "PX", "400"}), "+OK\r\n");
    short_set = Clock::now();
    if (sigkill) {
      ASSERT_EQ(kill(kvd.pid(), SIGKILL), 0);
      kvd.wait_exit(std::chrono::seconds(10));
    } else {
      EXPECT_EQ(kvd.stop(), 0);
    }
  }
  std::this_thread::sleep_until(short_set + std::chrono::milliseconds(700));
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"EXISTS", "short"}), ":0\r\n");
  EXPECT_EQ(c.call_raw({"GET", "short"}), "$-1\r\n");
  check_mixed(c);
  EXPECT_EQ(dump_all(c), before);
}

TEST(Restart, AfterSigtermKeepsEveryWrite) { restart_keeps_data(false); }

TEST(Restart, AfterSigkillKeepsEveryAcknowledgedWrite) { restart_keeps_data(true); }

// Pipelines SETs of <prefix><n> for `length` from the moment kvd listens; adds the keys answered
// +OK to `acked`. Every other reply must be -LOADING.
void write_from_start(int port, const std::string& prefix, std::chrono::milliseconds length,
                      std::vector<std::string>& acked) {
  RawClient c(port);
  const auto start = Clock::now();
  for (int n = 0; Clock::now() - start < length;) {
    std::string batch;
    std::vector<std::string> keys;
    for (int k = 0; k < 50; ++k, ++n) {
      keys.push_back(prefix + std::to_string(n));
      batch += proto::encode_command(Args{"SET", keys.back(), "v"});
    }
    c.send(batch);
    for (const std::string& key : keys) {
      const std::string reply = c.read_raw();
      if (reply == "+OK\r\n") {
        acked.push_back(key);
      } else {
        ASSERT_EQ(reply, "-LOADING Redis is loading the dataset in memory\r\n");
      }
    }
  }
}

// Writes acknowledged as soon as loading ends (the first replies that are not -LOADING) are in
// the log like any other, even on a restart that reopens an existing log.
TEST(Restart, WritesRightAfterLoadingAreLogged) {
  TempDir d;
  {
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    fill(c, "base:", 50000, 20);  // Loading then takes a moment.
    EXPECT_EQ(kvd.stop(), 0);
  }
  constexpr int kClients = 2;  // One per I/O thread, so writes arrive on both when loading ends.
  std::vector<std::string> acked;
  for (int round = 0; round < 4; ++round) {
    Kvd kvd(aof_args(d));
    std::vector<std::string> got[kClients];
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        write_from_start(kvd.port(), "r" + std::to_string(round) + "c" + std::to_string(i) + ":",
                         std::chrono::milliseconds(250), got[i]);
      });
    }
    for (auto& t : clients) t.join();
    for (const auto& g : got) acked.insert(acked.end(), g.begin(), g.end());
    EXPECT_EQ(kvd.stop(), 0);
  }
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  std::size_t lost = 0;
  std::string first_lost;
  for (std::size_t i = 0; i < acked.size(); i += 500) {
    Args exists = {"EXISTS"};
    exists.insert(exists.end(), acked.begin() + static_cast<std::ptrdiff_t>(i),
                  acked.begin() + static_cast<std::ptrdiff_t>(std::min(acked.size(), i + 500)));
    const auto found = static_cast<std::size_t>(c.call(exists).integer);
    if (found == exists.size() - 1) continue;
    lost += exists.size() - 1 - found;
    for (std::size_t k = 1; k < exists.size() && first_lost.empty(); ++k) {
      if (c.call_raw({"EXISTS", exists[k]}) == ":0\r\n") first_lost = exists[k];
    }
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged writes, first " << first_lost;
  EXPECT_EQ(c.call({"DBSIZE"}).integer, static_cast<std::int64_t>(50000 + acked.size()));
}

// ---- 2. Snapshot files ----

TEST(Snapshot, SaveWritesADumpThatRestartLoads) {
  TempDir d;
  Dump before;
  {
    Kvd kvd(rdb_args(d));
    RawClient c(kvd.port());
    write_mixed(c);
    const proto::Reply last0 = c.call({"LASTSAVE"});
    ASSERT_EQ(last0.type, proto::Reply::Type::integer);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // LASTSAVE counts seconds.
    EXPECT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
    EXPECT_TRUE(fs::exists(d / "dump.rdb"));
    const proto::Reply last1 = c.call({"LASTSAVE"});
    ASSERT_EQ(last1.type, proto::Reply::Type::integer);
    EXPECT_GT(last1.integer, last0.integer);
    before = dump_all(c);
    // Not saved: --save "" takes no snapshot at shutdown.
    EXPECT_EQ(c.call_raw({"SET", "unsaved", "x"}), "+OK\r\n");
    EXPECT_EQ(kvd.stop(), 0);
  }
  EXPECT_FALSE(fs::exists(log_dir(d)));
  const CommandResult check = run_command({"redis-check-rdb", d / "dump.rdb"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd kvd(rdb_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  check_mixed(c);
  EXPECT_EQ(dump_all(c), before);
}

TEST(Snapshot, BgsaveRunsInTheBackgroundAndReportsInInfo) {
  TempDir d;
  Kvd kvd(rdb_args(d));
  RawClient c(kvd.port());
  fill(c, "k:", 20000, 32);
  const std::int64_t saves = info_int(c, "rdb_saves");
  ASSERT_GE(saves, 0);
  EXPECT_EQ(c.call_raw({"BGSAVE"}), "+Background saving started\r\n");
  // As in Redis, once BGSAVE answered, INFO shows the save running (or already done).
  const std::string now = info(c);
  EXPECT_TRUE(info_field(now, "rdb_bgsave_in_progress") == "1" ||
              std::stoll(info_field(now, "rdb_saves")) > saves)
      << now;
  EXPECT_TRUE(wait_info(
      c,
      [&](const std::string& i) {
        return info_field(i, "rdb_bgsave_in_progress") == "0" &&
               std::stoll(info_field(i, "rdb_saves")) > saves;
      },
      std::chrono::seconds(20)));
  const std::string done = info(c);
  EXPECT_EQ(info_field(done, "rdb_last_bgsave_status"), "ok");
  EXPECT_EQ(info_field(done, "rdb_changes_since_last_save"), "0");
  EXPECT_TRUE(fs::exists(d / "dump.rdb"));
  const CommandResult check = run_command({"redis-check-rdb", d / "dump.rdb"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(kvd.stop(), 0);
  Kvd again(rdb_args(d));
  wait_loaded(again.port());
  RawClient c2(again.port());
  EXPECT_EQ(c2.call({"DBSIZE"}).integer, 20000);
  EXPECT_EQ(c2.call({"GET", "k:12345"}).str, filled_value(12345, 32));
}

// Sends SHUTDOWN with `args` and waits for kvd to exit; returns its status.
int shutdown_with(Kvd& kvd, const Args& args) {
  RawClient c(kvd.port());
  c.send_command(args);
  EXPECT_EQ(c.read_raw(), "");  // No reply: the connection closes.
  return kvd.wait_exit(std::chrono::seconds(10));
}

TEST(Snapshot, ShutdownSavesAsAskedOrAsTheSaveRulesSay) {
  TempDir d;
  const std::string dump = d / "dump.rdb";
  {
    Kvd kvd(rdb_args(d, "3600 1"));
    RawClient(kvd.port()).call({"SET", "a", "1"});
    EXPECT_EQ(shutdown_with(kvd, {"SHUTDOWN", "NOSAVE"}), 0);
    EXPECT_FALSE(fs::exists(dump)) << "SHUTDOWN NOSAVE wrote a snapshot";
  }
  {
    Kvd kvd(rdb_args(d, "3600 1"));
    RawClient(kvd.port()).call({"SET", "a", "1"});
    EXPECT_EQ(shutdown_with(kvd, {"SHUTDOWN"}), 0);
    EXPECT_TRUE(fs::exists(dump)) << "SHUTDOWN with save rules wrote no snapshot";
  }
  {
    Kvd kvd(rdb_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"GET", "a"}).str, "1");
    c.call({"SET", "b", "2"});
    EXPECT_EQ(shutdown_with(kvd, {"SHUTDOWN", "SAVE"}), 0);
  }
  const CommandResult check = run_command({"redis-check-rdb", dump});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd kvd(rdb_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"MGET", "a", "b"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

// ---- 3. Rewriting the log ----

TEST(Rewrite, BgrewriteaofReplacesTheFilesAndKeepsEveryWrite) {
  TempDir d;
  Dump before;
  {
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    // Loading ends once the first log is complete.
    EXPECT_EQ(read_file(log_file(d, kManifest)),
              "file appendonly.aof.1.base.rdb seq 1 type b\n"
              "file appendonly.aof.1.incr.aof seq 1 type i\n");
    write_mixed(c);
    fill(c, "k:", 2000, 20);
    for (int i = 0; i < 500; ++i) c.call({"INCR", "n:" + std::to_string(i % 50)});
    const std::int64_t rewrites = info_int(c, "aof_rewrites");
    EXPECT_EQ(c.call_raw({"BGREWRITEAOF"}), "+Background append only file rewriting started\r\n");
    // As in Redis, once BGREWRITEAOF answered, INFO shows the rewrite running (or done).
    const std::string now = info(c);
    EXPECT_TRUE(info_field(now, "aof_rewrite_in_progress") == "1" ||
                std::stoll(info_field(now, "aof_rewrites")) > rewrites)
        << now;
    EXPECT_TRUE(wait_info(
        c,
        [&](const std::string& i) {
          return info_field(i, "aof_rewrite_in_progress") == "0" &&
                 std::stoll(info_field(i, "aof_rewrites")) > rewrites;
        },
        std::chrono::seconds(20)));
    EXPECT_EQ(info_field(info(c), "aof_last_bgrewrite_status"), "ok");
    EXPECT_EQ(read_file(log_file(d, kManifest)),
              "file appendonly.aof.2.base.rdb seq 2 type b\n"
              "file appendonly.aof.2.incr.aof seq 2 type i\n");
    EXPECT_EQ(list_dir(log_dir(d)), (std::set<std::string>{kManifest, base_name(2), incr_name(2)}));
    // Writes now go to the new incremental file.
    const std::string incr_before = read_file(log_file(d, incr_name(2)));
    EXPECT_EQ(c.call_raw({"SET", "after_rewrite", "fresh"}), "+OK\r\n");
    const std::string incr_after = read_file(log_file(d, incr_name(2)));
    EXPECT_GT(incr_after.size(), incr_before.size());
    EXPECT_NE(incr_after.find("after_rewrite"), std::string::npos);
    before = dump_all(c);
    EXPECT_EQ(kvd.stop(), 0);
  }
  const CommandResult check = run_command({"redis-check-aof", log_file(d, kManifest)});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  check_mixed(c);
  EXPECT_EQ(c.call({"GET", "n:7"}).str, "10");
  EXPECT_EQ(c.call({"GET", "k:1999"}).str, filled_value(1999, 20));
  EXPECT_EQ(dump_all(c), before);
}

TEST(Rewrite, GrowthTriggersAnAutomaticRewrite) {
  TempDir d;
  const Args args =
      aof_args(d, {"--auto-aof-rewrite-min-size", "1kb", "--auto-aof-rewrite-percentage", "100"});
  Dump before;
  {
    Kvd kvd(args);
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    EXPECT_EQ(info_int(c, "aof_rewrites"), 0);
    fill(c, "auto:", 300, 100);
    EXPECT_TRUE(wait_info(
        c,
        [](const std::string& i) {
          return std::stoll(info_field(i, "aof_rewrites")) >= 1 &&
                 info_field(i, "aof_rewrite_in_progress") == "0";
        },
        std::chrono::seconds(5)))
        << info(c);
    const std::string manifest = read_file(log_file(d, kManifest));
    EXPECT_EQ(manifest.find("seq 1 type"), std::string::npos) << manifest;
    before = dump_all(c);
    EXPECT_EQ(before.size(), 300u);
    EXPECT_EQ(kvd.stop(), 0);
  }
  Kvd kvd(args);
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  EXPECT_EQ(dump_all(c), before);
}

// ---- 4. A cut last record ----

const std::string kLastRecord = "*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nhello\r\n";

std::string small_value(int i) {
  std::string v = "value-" + std::to_string(i) + "-";
  v.resize(20, 'x');
  return v;
}

// Starts kvd on a log of keys k1..k<count> and stops it; returns the incremental file's bytes.
std::string make_small_log(const TempDir& d, int count = 5) {
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  for (int i = 1; i <= count; ++i) {
    EXPECT_EQ(c.call_raw({"SET", "k" + std::to_string(i), small_value(i)}), "+OK\r\n");
  }
  EXPECT_EQ(kvd.stop(), 0);
  return read_file(log_file(d, incr_name(1)));
}

void expect_small_log_loaded(RawClient& c, int count = 5) {
  const proto::Reply r = c.call({"MGET", "k1", "k" + std::to_string(count)});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].str, small_value(1));
  EXPECT_EQ(r.elements[1].str, small_value(count));
  EXPECT_EQ(c.call({"DBSIZE"}).integer, count);
}

TEST(Truncated, EveryCutOfTheLastRecordIsRepairedAtStart) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d);
  ASSERT_FALSE(orig.empty());
  for (std::size_t cut = 1; cut < kLastRecord.size(); ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes of the last record");
    write_file(incr, orig + kLastRecord.substr(0, cut));
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    expect_small_log_loaded(c);
    EXPECT_EQ(c.call_raw({"EXISTS", "z"}), ":0\r\n");
    EXPECT_EQ(fs::file_size(incr), orig.size());
    EXPECT_EQ(kvd.stop(), 0);
  }
  // The whole record is a valid command: the cases above failed only because they were cut.
  write_file(incr, orig + kLastRecord);
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  EXPECT_EQ(c.call({"GET", "z"}).str, "hello");
}

TEST(Truncated, ATransactionWithoutExecIsCut) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d);
  write_file(incr, orig + "*1\r\n$5\r\nMULTI\r\n" + kLastRecord);
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  expect_small_log_loaded(c);
  EXPECT_EQ(c.call_raw({"EXISTS", "z"}), ":0\r\n");
  EXPECT_EQ(fs::file_size(incr), orig.size());
}

TEST(Truncated, RefusedWhenAofLoadTruncatedIsOff) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d);
  const std::string damaged = orig + kLastRecord.substr(0, 20);
  write_file(incr, damaged);
  const CommandResult r = run_kvd_failing(aof_args(d, {"--aof-load-truncated", "no"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(incr_name(1)), std::string::npos) << r.err;
  EXPECT_EQ(offset_in(r.err, incr_name(1)), static_cast<std::int64_t>(orig.size())) << r.err;
  EXPECT_EQ(read_file(incr), damaged);  // Left as it was.
}

// ---- 5. Corruption is refused ----

// Starts kvd on a log of ten SETs key:0..key:9, a rewrite after the fifth (so the base holds
// keys), and stops it.
void make_rewritten_log(const TempDir& d) {
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  for (int i = 0; i < 10; ++i) {
    if (i == 5) {
      EXPECT_EQ(c.call_raw({"BGREWRITEAOF"}), "+Background append only file rewriting started\r\n");
      EXPECT_TRUE(wait_info(
          c, [](const std::string& s) { return info_field(s, "aof_rewrites") == "1"; },
          std::chrono::seconds(20)));
    }
    EXPECT_EQ(c.call_raw({"SET", "key:" + std::to_string(i),
                          "value-" + std::to_string(i) + "-" + std::string(10 + i, 'x')}),
              "+OK\r\n");
  }
  EXPECT_EQ(kvd.stop(), 0);
}

// Offsets of the SET commands in a log file.
std::vector<std::size_t> set_offsets(const std::string& log) {
  std::vector<std::size_t> at;
  const std::string head = "*3\r\n$3\r\nSET\r\n";
  for (std::size_t p = log.find(head); p != std::string::npos; p = log.find(head, p + 1)) {
    at.push_back(p);
  }
  return at;
}

TEST(Corrupt, DamagedFramingInTheMiddleIsRefusedWithFileAndOffset) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d, 10);
  const std::vector<std::size_t> sets = set_offsets(orig);
  ASSERT_EQ(sets.size(), 10u);
  const std::size_t mid = sets[4];
  const std::size_t late = sets[8];  // Its value's length, made 90, runs past the end.
  // Where the value's length (20) is: after "*3\r\n$3\r\nSET\r\n$2\r\nk5\r\n".
  const auto value_len_at = [&](std::size_t cmd) { return orig.find("\r\n$", cmd + 15) + 3; };
  struct Case {
    const char* what;
    std::size_t at;
    char to;
    std::size_t command;
  };
  const Case cases[] = {
      {"the '*' of a command", mid, '+', mid},
      {"the '$' of its first argument", mid + 4, '%', mid},
      {"the '\\r' after its count", mid + 2, 'x', mid},
      {"the '\\n' after SET", mid + 12, 'x', mid},
      {"the name's length 3 -> 5", mid + 5, '5', mid},
      {"the value's length, first digit -> 9", value_len_at(mid), '9', mid},
      {"a late value's length -> 9 (runs past the end)", value_len_at(late), '9', late},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.what);
    std::string damaged = orig;
    ASSERT_LT(k.at, damaged.size());
    ASSERT_NE(damaged[k.at], k.to);
    damaged[k.at] = k.to;
    write_file(incr, damaged);
    const CommandResult r = run_kvd_failing(aof_args(d));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(incr_name(1)), std::string::npos) << r.err;
    const std::int64_t offset = offset_in(r.err, incr_name(1));
    // In the damaged command, or where a damaged length says its bulk ends.
    EXPECT_GE(offset, static_cast<std::int64_t>(k.command)) << r.err;
    EXPECT_LE(offset, static_cast<std::int64_t>(k.at + 100)) << r.err;
    EXPECT_EQ(read_file(incr), damaged);  // Never "repaired" by cutting.
  }
  write_file(incr, orig);
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  expect_small_log_loaded(c, 10);
}

TEST(Corrupt, BadManifestMissingFileAndDamagedBaseAreRefused) {
  TempDir d;
  make_rewritten_log(d);
  const std::string manifest = log_file(d, kManifest);
  const std::string base = log_file(d, base_name(2));
  const std::string incr = log_file(d, incr_name(2));
  const std::string manifest_text = read_file(manifest);
  ASSERT_EQ(manifest_text,
            "file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
  {
    SCOPED_TRACE("bad manifest line");
    write_file(manifest, "file x seq 1 type z\n");
    const CommandResult r = run_kvd_failing(aof_args(d));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(kManifest), std::string::npos) << r.err;
    write_file(manifest, manifest_text);
  }
  {
    SCOPED_TRACE("RDB base with its checksum changed");
    const std::string good = read_file(base);
    std::string bad = good;
    for (std::size_t i = bad.size() - 8; i < bad.size(); ++i) bad[i] = static_cast<char>(~bad[i]);
    write_file(base, bad);
    const CommandResult r = run_kvd_failing(aof_args(d));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(base_name(2)), std::string::npos) << r.err;
    write_file(base, good);
  }
  {
    SCOPED_TRACE("incremental file listed but missing");
    fs::rename(incr, incr + ".away");
    const CommandResult r = run_kvd_failing(aof_args(d));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(incr_name(2)), std::string::npos) << r.err;
    fs::rename(incr + ".away", incr);
  }
  {
    // Everything put back: the log loads whole.
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"DBSIZE"}).integer, 10);
    EXPECT_EQ(c.call({"GET", "key:9"}).str, "value-9-" + std::string(19, 'x'));
    EXPECT_EQ(kvd.stop(), 0);
  }
  {
    SCOPED_TRACE("empty incremental file");
    write_file(incr, "");
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"DBSIZE"}).integer, 5);  // The base's keys only.
    EXPECT_EQ(c.call({"GET", "key:4"}).str, "value-4-" + std::string(14, 'x'));
  }
}

TEST(Corrupt, DamagedDumpIsRefused) {
  TempDir d;
  {
    Kvd kvd(rdb_args(d));
    RawClient c(kvd.port());
    fill(c, "k:", 100, 10);
    EXPECT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
  }
  const std::string dump = d / "dump.rdb";
  std::string bad = read_file(dump);
  ASSERT_GT(bad.size(), 8u);
  for (std::size_t i = bad.size() - 8; i < bad.size(); ++i) bad[i] = static_cast<char>(~bad[i]);
  write_file(dump, bad);
  const CommandResult r = run_kvd_failing(rdb_args(d));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("dump.rdb"), std::string::npos) << r.err;
}

TEST(Corrupt, MissingLogFolderLoadsTheDumpAndStartsALog) {
  TempDir d;
  {
    Kvd kvd(rdb_args(d));
    RawClient c(kvd.port());
    write_mixed(c);
    EXPECT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
  }
  ASSERT_FALSE(fs::exists(log_dir(d)));
  {
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    check_mixed(c);
    EXPECT_TRUE(fs::exists(log_file(d, kManifest)));
    EXPECT_EQ(c.call_raw({"SET", "logged", "1"}), "+OK\r\n");
    EXPECT_EQ(kvd.stop(), 0);
  }
  fs::remove(d / "dump.rdb");
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  check_mixed(c);
  EXPECT_EQ(c.call({"GET", "logged"}).str, "1");
}

// ---- 6. A full disk ----

// Sets the soft RLIMIT_FSIZE of process `pid` (which this test started).
void set_fsize_limit(pid_t pid, rlim_t soft) {
  rlimit now{};
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, nullptr, &now), 0);
  const rlimit next{soft, now.rlim_max};
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &next, nullptr), 0);
}

TEST(DiskFull, WritesGetMisconfThenRecoverWithoutLosingAnAcknowledgedWrite) {
  TempDir d;
  const std::string misconf = "-MISCONF Errors writing to the AOF file: File too large\r\n";
  const std::string value(100, 'd');
  std::mutex mu;  // Guards acked, refused and bad (the writer thread and this one add).
  std::vector<std::string> acked, refused;
  std::string bad;
  const auto record = [&](std::vector<std::string>& list, const std::string& key) {
    std::lock_guard lock(mu);
    list.push_back(key);
  };
  {
    Kvd kvd(aof_args(d));
    wait_loaded(kvd.port());
    RawClient b(kvd.port());
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(b.call_raw({"SET", "pre:" + std::to_string(i), value}), "+OK\r\n");
      acked.push_back("pre:" + std::to_string(i));
    }
    const auto size = fs::file_size(log_file(d, incr_name(1)));
    set_fsize_limit(kvd.pid(), size + 3000);
    // One connection writes until told to stop; the write in flight when the disk fills waits
    // until it works again.
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      RawClient a(kvd.port());
      for (int n = 0; !stop.load(); ++n) {
        const std::string key = "d:" + std::to_string(n);
        const std::string reply = a.call_raw({"SET", key, value});
        if (reply == "+OK\r\n") {
          record(acked, key);
        } else if (reply == misconf) {
          record(refused, key);
        } else {
          std::lock_guard lock(mu);
          bad = key + ": " + reply;
          return;
        }
      }
    });
    const bool failed = wait_info(
        b, [](const std::string& i) { return info_field(i, "aof_last_write_status") == "err"; },
        std::chrono::seconds(10));
    EXPECT_TRUE(failed) << "the log never hit the size limit";
    if (failed) {
      EXPECT_EQ(b.call_raw({"SET", "probe:0", "x"}), misconf);
      record(refused, "probe:0");
      EXPECT_EQ(b.call({"GET", "pre:3"}).str, value);
      EXPECT_EQ(info_field(info(b), "aof_last_write_status"), "err");
      // Whole records only on disk while the writes fail.
      const CommandResult check = run_command({"redis-check-aof", log_file(d, kManifest)});
      EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    }
    set_fsize_limit(kvd.pid(), RLIM_INFINITY);
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    bool recovered = false;
    for (int n = 1; !recovered && Clock::now() < deadline; ++n) {
      const std::string key = "probe:" + std::to_string(n);
      const std::string reply = b.call_raw({"SET", key, "x"});
      if (reply == "+OK\r\n") {
        recovered = true;
        record(acked, key);
      } else {
        EXPECT_EQ(reply, misconf);
        record(refused, key);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    EXPECT_TRUE(recovered) << "writes still refused 3 s after the disk works again";
    EXPECT_EQ(info_field(info(b), "aof_last_write_status"), "ok");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
    writer.join();
    EXPECT_EQ(bad, "");
    EXPECT_EQ(kvd.stop(), 0);
  }
  std::printf("[disk full] %zu writes acknowledged, %zu refused with MISCONF\n", acked.size(),
              refused.size());
  const CommandResult check = run_command({"redis-check-aof", log_file(d, kManifest)});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd kvd(aof_args(d));
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  for (const std::string& key : acked) EXPECT_EQ(c.call_raw({"EXISTS", key}), ":1\r\n") << key;
  for (const std::string& key : refused) EXPECT_EQ(c.call_raw({"EXISTS", key}), ":0\r\n") << key;
  EXPECT_EQ(c.call({"DBSIZE"}).integer, static_cast<std::int64_t>(acked.size()));
}

// ---- 7. Loading ----

TEST(Loading, InfoShowsProgressAndWritesGetLoading) {
  constexpr std::size_t kValue = 100;
  bool seen = false, refused = false;
  int keys = 400000;
  for (int attempt = 0; attempt < 3 && !(seen && refused); ++attempt, keys *= 2) {
    TempDir d;
    {
      Kvd kvd(aof_args(d));
      wait_loaded(kvd.port());
      RawClient c(kvd.port());
      fill(c, "big:", keys, kValue);
      EXPECT_EQ(kvd.stop(), 0);
    }
    const auto start = Clock::now();
    Kvd kvd(aof_args(d));
    RawClient c(kvd.port());
    while (true) {
      const std::string i = info(c);
      if (info_field(i, "loading") != "1") break;
      const std::string perc = info_field(i, "loading_loaded_perc");
      EXPECT_FALSE(perc.empty()) << i;
      if (!perc.empty()) {
        EXPECT_GE(std::stod(perc), 0.0);
        EXPECT_LE(std::stod(perc), 100.0);
      }
      seen = true;
      if (!refused) {
        const std::string reply = c.call_raw({"SET", "during", "x"});
        if (reply.starts_with("-LOADING")) {
          EXPECT_EQ(reply, "-LOADING Redis is loading the dataset in memory\r\n");
          refused = true;
        } else {
          EXPECT_EQ(reply, "+OK\r\n");  // Loading ended in between.
          EXPECT_EQ(c.call_raw({"DEL", "during"}), ":1\r\n");
        }
      }
    }
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::printf("[loading] %d keys loaded in %lld ms, loading:1 %s, -LOADING %s\n", keys,
                static_cast<long long>(took), seen ? "seen" : "not seen",
                refused ? "seen" : "not seen");
    wait_loaded(kvd.port());
    EXPECT_EQ(c.call({"DBSIZE"}).integer, keys);
    EXPECT_EQ(c.call({"GET", "big:" + std::to_string(keys - 1)}).str,
              filled_value(keys - 1, kValue));
  }
  EXPECT_TRUE(seen) << "INFO never showed loading:1";
  EXPECT_TRUE(refused) << "no write got -LOADING during loading";
}

// ---- 8. CONFIG ----

std::string config_get(RawClient& c, const std::string& name) {
  const proto::Reply r = c.call({"CONFIG", "GET", name});
  EXPECT_EQ(r.elements.size(), 2u) << name;
  return r.elements.size() == 2 ? r.elements[1].str : "";
}

TEST(Config, PersistenceParametersReadAndChangeLive) {
  TempDir d;
  const Args args = {"--dir",  d.str(),  "--appendonly", "yes",    "--appendfsync",   "everysec",
                     "--save", "100 10", "--dbfilename", "my.rdb", "--appenddirname", "mylog"};
  const std::string manifest = d / "mylog/appendonly.aof.manifest";
  {
    Kvd kvd(args);
    wait_loaded(kvd.port());
    RawClient c(kvd.port());
    EXPECT_EQ(config_get(c, "appendonly"), "yes");
    EXPECT_EQ(config_get(c, "appendfsync"), "everysec");
    EXPECT_EQ(config_get(c, "save"), "100 10");
    EXPECT_EQ(config_get(c, "dir"), fs::canonical(d.str()).string());
    EXPECT_EQ(config_get(c, "dbfilename"), "my.rdb");
    EXPECT_EQ(config_get(c, "appenddirname"), "mylog");

    EXPECT_EQ(c.call_raw({"CONFIG", "SET", "appendfsync", "always"}), "+OK\r\n");
    EXPECT_EQ(config_get(c, "appendfsync"), "always");
    EXPECT_EQ(c.call_raw({"SET", "a", "1"}), "+OK\r\n");
    EXPECT_EQ(c.call_raw({"INCR", "n"}), ":1\r\n");

    const std::string first = read_file(manifest);
    EXPECT_EQ(c.call_raw({"CONFIG", "SET", "appendonly", "no"}), "+OK\r\n");
    EXPECT_EQ(info_field(info(c), "aof_enabled"), "0");
    EXPECT_EQ(c.call_raw({"SET", "b", "2"}), "+OK\r\n");
    EXPECT_EQ(c.call_raw({"CONFIG", "SET", "appendonly", "yes"}), "+OK\r\n");
    // As in Redis, the switch shows at once (aof_enabled:1 from the CONFIG SET on, with the
    // rewrite that writes the new log in progress or scheduled) ...
    const std::string at_once = info(c);
    EXPECT_TRUE(info_field(at_once, "aof_enabled") == "1" ||
                info_field(at_once, "aof_rewrite_in_progress") == "1" ||
                info_field(at_once, "aof_rewrite_scheduled") == "1")
        << at_once;
    // ... and ends with the new log written.
    EXPECT_TRUE(wait_info(
        c,
        [](const std::string& i) {
          return info_field(i, "aof_enabled") == "1" &&
                 info_field(i, "aof_rewrite_in_progress") == "0" &&
                 info_field(i, "aof_rewrite_scheduled") == "0";
        },
        std::chrono::seconds(10)))
        << info(c);
    const std::string second = read_file(manifest);
    EXPECT_NE(second, first);
    EXPECT_NE(second.find("seq 2 type b"), std::string::npos) << second;
    EXPECT_EQ(c.call_raw({"SET", "c", "3"}), "+OK\r\n");

    EXPECT_EQ(c.call_raw({"CONFIG", "SET", "save", ""}), "+OK\r\n");
    EXPECT_EQ(config_get(c, "save"), "");
    const std::string immutable = c.call_raw({"CONFIG", "SET", "appenddirname", "x"});
    EXPECT_TRUE(immutable.starts_with("-")) << immutable;
    EXPECT_NE(immutable.find("can't set immutable config"), std::string::npos) << immutable;
    EXPECT_EQ(config_get(c, "appenddirname"), "mylog");
    EXPECT_EQ(kvd.stop(), 0);
  }
  // No save rules any more, so no snapshot: the restart reads the new log.
  EXPECT_FALSE(fs::exists(d / "my.rdb"));
  Kvd kvd(args);
  wait_loaded(kvd.port());
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"MGET", "a", "b", "c", "n"}),
            "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n");
}

// ---- 9. A background snapshot is one cut of every writer's sequence ----

TEST(Snapshot, BgsaveUnderWritersIsOneCutOfEachWriter) {
  constexpr int kWriters = 4;
  constexpr int kKeys = 50;  // Writer i writes n = 1, 2, ... to w<i>:<(n - 1) % kKeys>.
  constexpr int kFiller = 300000;
  TempDir d;
  Kvd kvd(rdb_args(d));
  RawClient c(kvd.port());
  fill(c, "filler:", kFiller, 16);  // Makes the save long enough to overlap many writes.

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> acked[kWriters] = {};
  std::int64_t sent[kWriters] = {};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      RawClient client(kvd.port());
      while (!stop.load()) {
        std::string batch;
        for (int k = 0; k < 16; ++k) {
          const std::int64_t n = ++sent[w];
          batch += proto::encode_command(
              Args{"SET", "w" + std::to_string(w) + ":" + std::to_string((n - 1) % kKeys),
                   std::to_string(n)});
        }
        client.send(batch);
        for (int k = 0; k < 16; ++k) {
          if (client.read_raw() != "+OK\r\n") return;
          ++acked[w];
        }
      }
    });
  }
  const auto all_acked = [&](std::int64_t n) {
    for (const auto& a : acked) {
      if (a.load() < n) return false;
    }
    return true;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!all_acked(kKeys * 4) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::int64_t acked_at_bgsave[kWriters];
  for (int w = 0; w < kWriters; ++w) acked_at_bgsave[w] = acked[w].load();
  const std::int64_t saves = info_int(c, "rdb_saves");
  EXPECT_EQ(c.call_raw({"BGSAVE"}), "+Background saving started\r\n");
  EXPECT_TRUE(wait_info(
      c,
      [&](const std::string& i) {
        return info_field(i, "rdb_bgsave_in_progress") == "0" &&
               std::stoll(info_field(i, "rdb_saves")) > saves;
      },
      std::chrono::seconds(20)));
  std::int64_t during = 0;
  for (int w = 0; w < kWriters; ++w) during += acked[w].load() - acked_at_bgsave[w];
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(info_field(info(c), "rdb_last_bgsave_status"), "ok");
  EXPECT_GT(during, 0) << "no write overlapped the snapshot";

  TempDir copy;
  fs::copy_file(d / "dump.rdb", copy / "dump.rdb");
  const CommandResult check = run_command({"redis-check-rdb", copy / "dump.rdb"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd loaded(rdb_args(copy));
  wait_loaded(loaded.port());
  RawClient l(loaded.port());
  EXPECT_EQ(l.call({"DBSIZE"}).integer, kFiller + kWriters * kKeys);
  EXPECT_EQ(l.call({"GET", "filler:123456"}).str, filled_value(123456, 16));
  std::string summary;
  for (int w = 0; w < kWriters; ++w) {
    SCOPED_TRACE("writer " + std::to_string(w));
    Args mget = {"MGET"};
    for (int k = 0; k < kKeys; ++k)
      mget.push_back("w" + std::to_string(w) + ":" + std::to_string(k));
    const proto::Reply r = l.call(mget);
    ASSERT_EQ(r.elements.size(), static_cast<std::size_t>(kKeys));
    std::int64_t m = 0;
    for (int k = 0; k < kKeys; ++k) {
      ASSERT_EQ(r.elements[k].type, proto::Reply::Type::bulk) << "w" << w << ":" << k;
      const std::int64_t n = std::stoll(r.elements[k].str);
      EXPECT_EQ((n - 1) % kKeys, k) << "a value never written to this key: " << n;
      m = std::max(m, n);
    }
    // The cut came after BGSAVE was sent and before the writer stopped.
    EXPECT_GE(m, acked_at_bgsave[w]);
    EXPECT_LE(m, sent[w]);
    // One point in the writer's sequence: every key holds its latest write up to m.
    for (int k = 0; k < kKeys; ++k) {
      const std::int64_t want = m - ((m - 1 - k) % kKeys + kKeys) % kKeys;
      EXPECT_EQ(r.elements[k].str, std::to_string(want)) << "w" << w << ":" << k << ", cut " << m;
    }
    summary += " w" + std::to_string(w) + "=" + std::to_string(m) + " [" +
               std::to_string(acked_at_bgsave[w]) + ".." + std::to_string(sent[w]) + "]";
  }
  std::printf("[bgsave cut] %lld writes acknowledged during the save;%s\n",
              static_cast<long long>(during), summary.c_str());
}

}  // namespace
}  // namespace kv::test
