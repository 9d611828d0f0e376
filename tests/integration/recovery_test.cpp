// Recovery on the real kvd: a log whose last record was cut is repaired at start (or refused
// when asked), damaged logs, manifests and dumps are refused with the file and offset named, a
// full disk gives MISCONF and recovers without losing an acknowledged write, and loading is
// visible (INFO loading, -LOADING).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "persist_util.hpp"

namespace kv::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- 1. A cut last record ----

const std::string kLastRecord = "*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nhello\r\n";

std::string small_value(int i) {
  std::string v = "value-" + std::to_string(i) + "-";
  v.resize(20, 'x');
  return v;
}

// Starts kvd on a log of keys k1..k<count> and stops it; returns the incremental file's bytes.
std::string make_small_log(const TempDir& d, int count = 5) {
  Kvd kvd(aof_args(d));
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

// Starts kvd on the small log `orig` followed by `tail`, checks that it loads the small log and
// cuts the file back to `orig`, and stops it; returns kvd's exit status.
int load_with_cut_tail(const TempDir& d, const std::string& orig, const std::string& tail) {
  const std::string incr = log_file(d, incr_name(1));
  write_file(incr, orig + tail);
  Kvd kvd(aof_args(d));
  RawClient c(kvd.port());
  expect_small_log_loaded(c);
  EXPECT_EQ(c.call_raw({"EXISTS", "z"}), ":0\r\n");
  EXPECT_EQ(fs::file_size(incr), orig.size());
  return kvd.stop();
}

TEST(Truncated, EveryCutOfTheLastRecordIsRepairedAtStart) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d);
  ASSERT_FALSE(orig.empty());
  for (std::size_t cut = 1; cut < kLastRecord.size(); ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes of the last record");
    EXPECT_EQ(load_with_cut_tail(d, orig, kLastRecord.substr(0, cut)), 0);
  }
  // The whole record is a valid command: the cases above failed only because they were cut.
  write_file(incr, orig + kLastRecord);
  {
    Kvd kvd(aof_args(d));
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"GET", "z"}).str, "hello");
    // That record has no checksum line after it (kvd's writes end with one): the next write's
    // line covers it too, so the file still loads.
    EXPECT_EQ(c.call_raw({"SET", "after", "1"}), "+OK\r\n");
    EXPECT_EQ(kvd.stop(), 0);
  }
  Kvd kvd(aof_args(d));
  RawClient c(kvd.port());
  EXPECT_EQ(c.call_raw({"MGET", "z", "after"}), "*2\r\n$5\r\nhello\r\n$1\r\n1\r\n");
}

TEST(Truncated, ATransactionWithoutExecIsCut) {
  TempDir d;
  const std::string orig = make_small_log(d);
  load_with_cut_tail(d, orig, "*1\r\n$5\r\nMULTI\r\n" + kLastRecord);
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

// ---- 2. Corruption is refused ----

// Starts kvd on a log of ten SETs key:0..key:9, a rewrite after the fifth (so the base holds
// keys), and stops it.
void make_rewritten_log(const TempDir& d) {
  Kvd kvd(aof_args(d));
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
  RawClient c(kvd.port());
  expect_small_log_loaded(c, 10);
}

// Every write of kvd's log ends with a checksum line over the bytes since the one before, so a
// changed byte anywhere (not only in the framing: a key, a value) stops the start, naming the
// file and an offset at or before the byte.
TEST(Corrupt, RandomByteFlipsInTheMiddleAreRefused) {
  TempDir d;
  const std::string incr = log_file(d, incr_name(1));
  const std::string orig = make_small_log(d, 40);
  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  std::printf("[random flips] seed %u\n", seed);
  std::mt19937 rng(seed);
  for (int run = 0; run < 20; ++run) {
    std::string damaged = orig;
    const std::size_t at = orig.size() / 10 + rng() % (orig.size() * 8 / 10);
    damaged[at] = static_cast<char>(damaged[at] ^ (1 << (rng() % 8)));
    SCOPED_TRACE("bit flipped at offset " + std::to_string(at) + ", seed " + std::to_string(seed));
    write_file(incr, damaged);
    const CommandResult r = run_kvd_failing(aof_args(d));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(incr_name(1)), std::string::npos) << r.err;
    EXPECT_GE(offset_in(r.err, incr_name(1)), 0) << r.err;
    EXPECT_EQ(read_file(incr), damaged);  // Never "repaired" by cutting.
  }
  write_file(incr, orig);
  Kvd kvd(aof_args(d));
  RawClient c(kvd.port());
  expect_small_log_loaded(c, 40);
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
    RawClient c(kvd.port());
    EXPECT_EQ(c.call({"DBSIZE"}).integer, 10);
    EXPECT_EQ(c.call({"GET", "key:9"}).str, "value-9-" + std::string(19, 'x'));
    EXPECT_EQ(kvd.stop(), 0);
  }
  {
    SCOPED_TRACE("empty incremental file");
    write_file(incr, "");
    Kvd kvd(aof_args(d));
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
    RawClient c(kvd.port());
    check_mixed(c);
    EXPECT_TRUE(fs::exists(log_file(d, kManifest)));
    EXPECT_EQ(c.call_raw({"SET", "logged", "1"}), "+OK\r\n");
    EXPECT_EQ(kvd.stop(), 0);
  }
  fs::remove(d / "dump.rdb");
  Kvd kvd(aof_args(d));
  RawClient c(kvd.port());
  check_mixed(c);
  EXPECT_EQ(c.call({"GET", "logged"}).str, "1");
}

// ---- 3. A full disk ----

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
  RawClient c(kvd.port());
  for (const std::string& key : acked) EXPECT_EQ(c.call_raw({"EXISTS", key}), ":1\r\n") << key;
  for (const std::string& key : refused) EXPECT_EQ(c.call_raw({"EXISTS", key}), ":0\r\n") << key;
  EXPECT_EQ(c.call({"DBSIZE"}).integer, static_cast<std::int64_t>(acked.size()));
}

// ---- 4. Loading ----

// Restarts kvd on a large data set, from the log or (`snapshot`) from dump.rdb alone, and checks
// that INFO shows loading:1 with the progress moving, and that writes get -LOADING meanwhile.
void expect_loading_visible(bool snapshot) {
  constexpr std::size_t kValue = 100;
  bool seen = false, partial = false, refused = false;
  int keys = 400000;
  for (int attempt = 0; attempt < 3 && !(seen && partial && refused); ++attempt, keys *= 2) {
    TempDir d;
    const Args args = snapshot ? Args{"--dir", d.str(), "--appendonly", "no"} : aof_args(d);
    {
      Kvd kvd(args);
      RawClient c(kvd.port());
      fill(c, "big:", keys, kValue);
      if (snapshot) {
        ASSERT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
      }
      EXPECT_EQ(kvd.stop(), 0);
    }
    const auto start = Clock::now();
    Kvd kvd(args, /*wait_ready=*/false);
    RawClient c(kvd.port());
    while (true) {
      const std::string i = info(c);
      if (info_field(i, "loading") != "1") break;
      const std::string perc = info_field(i, "loading_loaded_perc");
      EXPECT_FALSE(perc.empty()) << i;
      if (!perc.empty()) {
        EXPECT_GE(std::stod(perc), 0.0);
        EXPECT_LE(std::stod(perc), 100.0);
        partial = partial || (std::stod(perc) > 0.0 && std::stod(perc) < 100.0);
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
    std::printf("[loading %s] %d keys loaded in %lld ms, loading:1 %s, progress %s, -LOADING %s\n",
                snapshot ? "dump.rdb" : "log", keys, static_cast<long long>(took),
                seen ? "seen" : "not seen", partial ? "seen" : "not seen",
                refused ? "seen" : "not seen");
    wait_loaded(kvd.port());
    EXPECT_EQ(c.call({"DBSIZE"}).integer, keys);
    EXPECT_EQ(c.call({"GET", "big:" + std::to_string(keys - 1)}).str,
              filled_value(keys - 1, kValue));
  }
  EXPECT_TRUE(seen) << "INFO never showed loading:1";
  EXPECT_TRUE(partial) << "INFO never showed loading_loaded_perc between 0 and 100";
  EXPECT_TRUE(refused) << "no write got -LOADING during loading";
}

TEST(Loading, LogShowsProgressAndWritesGetLoading) { expect_loading_visible(false); }

TEST(Loading, SnapshotShowsProgressAndWritesGetLoading) { expect_loading_visible(true); }

}  // namespace
}  // namespace kv::test
