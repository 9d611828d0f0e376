// Durability on the real kvd: restarts keep every write, snapshot and log files are Redis's and
// their tools accept them, CONFIG reads and changes the persistence parameters live, and a
// background snapshot is one cut of every writer's sequence. Damaged files, a full disk and
// loading are in recovery_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "persist_util.hpp"

namespace kv::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- Background jobs (BGSAVE and BGREWRITEAOF) ----

// Right after the job's command answered: as in Redis, INFO shows it running (`running`, e.g.
// rdb_bgsave_in_progress, is 1) or already counted (`count`, e.g. rdb_saves, past `before`).
void expect_job_started(RawClient& c, const std::string& running, const std::string& count,
                        std::int64_t before) {
  const std::string now = info(c);
  EXPECT_TRUE(info_field(now, running) == "1" || std::stoll(info_field(now, count)) > before)
      << now;
}

// Waits (at most 20 s) until that job has ended and is counted; whether it did.
bool wait_job_done(RawClient& c, const std::string& running, const std::string& count,
                   std::int64_t before) {
  return wait_info(
      c,
      [&](const std::string& i) {
        return info_field(i, running) == "0" && std::stoll(info_field(i, count)) > before;
      },
      std::chrono::seconds(20));
}

// ---- 1. Restart keeps data ----

void restart_keeps_data(bool sigkill) {
  TempDir d;
  Dump before;
  Clock::time_point short_set;
  {
    Kvd kvd(aof_args(d));
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
    RawClient c(kvd.port());
    fill(c, "base:", 50000, 20);  // Loading then takes a moment.
    EXPECT_EQ(kvd.stop(), 0);
  }
  constexpr int kClients = 2;  // One per I/O thread, so writes arrive on both when loading ends.
  std::vector<std::string> acked;
  for (int round = 0; round < 4; ++round) {
    Kvd kvd(aof_args(d), /*wait_ready=*/false);
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
  expect_job_started(c, "rdb_bgsave_in_progress", "rdb_saves", saves);
  EXPECT_TRUE(wait_job_done(c, "rdb_bgsave_in_progress", "rdb_saves", saves));
  const std::string done = info(c);
  EXPECT_EQ(info_field(done, "rdb_last_bgsave_status"), "ok");
  EXPECT_EQ(info_field(done, "rdb_changes_since_last_save"), "0");
  EXPECT_TRUE(fs::exists(d / "dump.rdb"));
  const CommandResult check = run_command({"redis-check-rdb", d / "dump.rdb"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(kvd.stop(), 0);
  Kvd again(rdb_args(d));
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
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"GET", "a"}).str, "1");
    c.call({"SET", "b", "2"});
    EXPECT_EQ(shutdown_with(kvd, {"SHUTDOWN", "SAVE"}), 0);
  }
  const CommandResult check = run_command({"redis-check-rdb", dump});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  Kvd kvd(rdb_args(d));
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"MGET", "a", "b"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

// ---- 3. Rewriting the log ----

TEST(Rewrite, BgrewriteaofReplacesTheFilesAndKeepsEveryWrite) {
  TempDir d;
  Dump before;
  {
    Kvd kvd(aof_args(d));
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
    expect_job_started(c, "aof_rewrite_in_progress", "aof_rewrites", rewrites);
    EXPECT_TRUE(wait_job_done(c, "aof_rewrite_in_progress", "aof_rewrites", rewrites));
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
  RawClient c(kvd.port());
  EXPECT_EQ(dump_all(c), before);
}

// ---- 4. CONFIG ----

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
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"MGET", "a", "b", "c", "n"}),
            "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n");
}

// redis.conf spells save rules as "save 900 1", a line per rule; every occurrence adds rules,
// the config file's before the command line's, and "" drops the rules before it.
TEST(Config, SaveRulesAddUpAsInRedis) {
  TempDir d;
  const std::string conf = d / "kvd.conf";
  {
    std::ofstream out(conf);
    out << "# as in redis.conf\nsave 900 1\nsave 300 10\nappendonly no\n";
  }
  const auto rules = [&](const Args& extra) {  // The harness adds --save "" unless given one.
    Args args = {conf, "--dir", d.str()};
    args.insert(args.end(), extra.begin(), extra.end());
    Kvd kvd(args);
    RawClient c(kvd.port());
    return config_get(c, "save");
  };
  EXPECT_EQ(rules({"--save", "60 5"}), "900 1 300 10 60 5");
  EXPECT_EQ(rules({"--save", ""}), "");
  EXPECT_EQ(rules({"--save", "", "--save", "20 2"}), "20 2");
  const CommandResult zero =
      run_command({binary_dir() + "/kvd", "--save", "0 0", "--dir", d.str()});
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_NE(zero.err.find("Invalid save parameters"), std::string::npos) << zero.err;
}

// CONFIG SET's value errors for the persistence parameters, byte for byte as Redis 7.0's.
TEST(Config, PersistenceValueErrorsAreRedisOnes) {
  TempDir d;
  Kvd kvd({"--dir", d.str(), "--appendonly", "no"});
  RawClient c(kvd.port());
  const auto failed = [](const std::string& name, const std::string& why) {
    return "-ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why + "\r\n";
  };
  EXPECT_EQ(
      c.call_raw({"CONFIG", "SET", "appendfsync", "bogus"}),
      failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"));
  EXPECT_EQ(
      c.call_raw({"CONFIG", "SET", "auto-aof-rewrite-percentage", "-1"}),
      failed("auto-aof-rewrite-percentage", "argument must be between 0 and 2147483647 inclusive"));
  EXPECT_EQ(c.call_raw({"CONFIG", "SET", "auto-aof-rewrite-percentage", "x"}),
            failed("auto-aof-rewrite-percentage", "argument couldn't be parsed into an integer"));
  for (const char* bad : {"0 0", "5 -1", "5"}) {
    EXPECT_EQ(c.call_raw({"CONFIG", "SET", "save", bad}), failed("save", "Invalid save parameters"))
        << bad;
  }
}

// ---- 5. A background snapshot is one cut of every writer's sequence ----

TEST(Snapshot, BgsaveUnderWritersIsOneCutOfEveryWriter) {
  constexpr int kWriters = 4;
  constexpr int kKeys = 50;  // Writer i writes n = 1, 2, ... to w<i>:<(n - 1) % kKeys>.
  constexpr int kFiller = 300000;
  constexpr int kBatch = 16;
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
        // A transaction of kBatch SETs and one INCR of a counter all writers share.
        std::string batch = proto::encode_command(Args{"MULTI"});
        for (int k = 0; k < kBatch; ++k) {
          const std::int64_t n = ++sent[w];
          batch += proto::encode_command(
              Args{"SET", "w" + std::to_string(w) + ":" + std::to_string((n - 1) % kKeys),
                   std::to_string(n)});
        }
        batch += proto::encode_command(Args{"INCR", "batches"});
        batch += proto::encode_command(Args{"EXEC"});
        client.send(batch);
        if (client.read_raw() != "+OK\r\n") return;
        for (int k = 0; k <= kBatch; ++k) {
          if (client.read_raw() != "+QUEUED\r\n") return;
        }
        if (!client.read_raw().starts_with("*" + std::to_string(kBatch + 1) + "\r\n")) return;
        acked[w] += kBatch;
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
  EXPECT_TRUE(wait_job_done(c, "rdb_bgsave_in_progress", "rdb_saves", saves));
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
  RawClient l(loaded.port());
  EXPECT_EQ(l.call({"DBSIZE"}).integer, kFiller + kWriters * kKeys + 1);
  EXPECT_EQ(l.call({"GET", "filler:123456"}).str, filled_value(123456, 16));
  std::string summary;
  std::int64_t batches = 0;  // Transactions of every writer in the snapshot.
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
    // The cut came after BGSAVE was sent and before the writer stopped, between two of its
    // transactions.
    EXPECT_GE(m, acked_at_bgsave[w]);
    EXPECT_LE(m, sent[w]);
    EXPECT_EQ(m % kBatch, 0) << "a transaction cut in two";
    batches += m / kBatch;
    // One point in the writer's sequence: every key holds its latest write up to m.
    for (int k = 0; k < kKeys; ++k) {
      const std::int64_t want = m - ((m - 1 - k) % kKeys + kKeys) % kKeys;
      EXPECT_EQ(r.elements[k].str, std::to_string(want)) << "w" << w << ":" << k << ", cut " << m;
    }
    summary += " w" + std::to_string(w) + "=" + std::to_string(m) + " [" +
               std::to_string(acked_at_bgsave[w]) + ".." + std::to_string(sent[w]) + "]";
  }
  // One point in time across the writers too: the shared counter counts exactly the
  // transactions whose writes are there.
  EXPECT_EQ(l.call({"GET", "batches"}).str, std::to_string(batches));
  std::printf("[bgsave cut] %lld writes acknowledged during the save;%s\n",
              static_cast<long long>(during), summary.c_str());
}

}  // namespace
}  // namespace kv::test