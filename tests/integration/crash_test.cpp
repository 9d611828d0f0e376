// The crash audit: kvd killed with SIGKILL in the middle of pipelined writes from many clients
// loses no acknowledged write, invents nothing, and leaves a log redis-check-aof accepts once the
// restart has cut off a record the kill interrupted.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "persist_util.hpp"

namespace kv::test {
namespace {

constexpr int kClients = 8;
constexpr int kBatch = 16;  // Commands per pipelined batch.

// Client i's command stream: command j is INCR ctr:<i> when j % 4 == 3, else the next SET.
bool is_incr(std::uint64_t j) { return j % 4 == 3; }
std::uint64_t incrs_in(std::uint64_t commands) { return commands / 4; }
std::uint64_t sets_in(std::uint64_t commands) { return commands - commands / 4; }

std::string set_key(int client, std::uint64_t n) {
  return "c" + std::to_string(client) + ":" + std::to_string(n);
}

// A value that encodes the client and the number, of a length that varies with both.
std::string set_value(int client, std::uint64_t n) {
  std::string v = "v" + std::to_string(client) + "/" + std::to_string(n) + "/";
  const std::size_t pad = (n * 7 + static_cast<std::uint64_t>(client) * 13) % 57;
  for (std::size_t k = 0; k < pad; ++k) v += static_cast<char>('a' + (n + k) % 26);
  return v;
}

// What one client did before the crash. Replies are read in order, so the acknowledged commands
// are a prefix of the sent ones.
struct ClientRecord {
  std::uint64_t sent = 0;   // Commands handed to send().
  std::uint64_t acked = 0;  // Commands whose reply was read.
  std::string bad_reply;    // A reply that was neither the expected one nor a closed connection.
};

// Pipelines batches until the connection fails (the server was killed).
void run_client(int port, int id, ClientRecord& rec) {
  try {
    RawClient client(port);
    const std::string counter = "ctr:" + std::to_string(id);
    while (true) {
      std::string batch;
      for (int k = 0; k < kBatch; ++k) {
        const std::uint64_t j = rec.sent + static_cast<std::uint64_t>(k);
        if (is_incr(j)) {
          batch += proto::encode_command(std::vector<std::string>{"INCR", counter});
        } else {
          batch += proto::encode_command(
              std::vector<std::string>{"SET", set_key(id, sets_in(j)), set_value(id, sets_in(j))});
        }
      }
      const std::uint64_t first = rec.sent;
      rec.sent += kBatch;
      client.send(batch);
      for (int k = 0; k < kBatch; ++k) {
        const std::uint64_t j = first + static_cast<std::uint64_t>(k);
        const std::string reply = client.read_raw();
        if (reply.empty()) return;
        const std::string want =
            is_incr(j) ? ":" + std::to_string(incrs_in(j) + 1) + "\r\n" : "+OK\r\n";
        if (reply != want) {
          rec.bad_reply = "command " + std::to_string(j) + ": " + reply;
          return;
        }
        rec.acked = j + 1;
      }
    }
  } catch (const std::exception&) {
    // Connection reset or send failure: the server is gone.
  }
}

// Reads the recovered state of client `id`: the number of its SETs present as a prefix
// (c<id>:0 .. c<id>:P-1) and checks every present value and that nothing follows the prefix.
std::uint64_t recovered_sets(RawClient& client, int id, std::uint64_t sent_sets) {
  constexpr std::uint64_t kChunk = 500;
  std::uint64_t prefix = 0;
  bool gap = false;
  for (std::uint64_t start = 0; start < sent_sets; start += kChunk) {
    std::vector<std::string> mget = {"MGET"};
    const std::uint64_t end = std::min(sent_sets, start + kChunk);
    for (std::uint64_t n = start; n < end; ++n) mget.push_back(set_key(id, n));
    const proto::Reply reply = client.call(mget);
    EXPECT_EQ(reply.elements.size(), end - start);
    if (reply.elements.size() != end - start) return prefix;
    for (std::uint64_t n = start; n < end; ++n) {
      const proto::Reply& e = reply.elements[n - start];
      if (e.type == proto::Reply::Type::null) {
        gap = true;
        continue;
      }
      EXPECT_FALSE(gap) << set_key(id, n) << " present after a missing key of the same client";
      EXPECT_EQ(e.str, set_value(id, n)) << set_key(id, n);
      if (!gap) prefix = n + 1;
    }
  }
  return prefix;
}

// The last incremental file the manifest lists: the one being written when kvd was killed.
std::string last_incr(const TempDir& dir) {
  std::istringstream manifest(read_file(log_file(dir, kManifest)));
  std::string line, last;
  while (std::getline(manifest, line)) {
    std::istringstream words(line);
    std::string file_key, name, seq_key, seq, type_key, type;
    if (words >> file_key >> name >> seq_key >> seq >> type_key >> type && type == "i") last = name;
  }
  return last;
}

struct CrashCase {
  std::string fsync;  // appendfsync policy.
  int run;            // Run number (with its own seed).
};

class CrashAudit : public ::testing::TestWithParam<CrashCase> {};

TEST_P(CrashAudit, SigkillLosesNoAcknowledgedWrite) {
  const CrashCase& c = GetParam();
  const std::uint32_t seed = std::random_device{}() ^ static_cast<std::uint32_t>(c.run * 7919);
  std::mt19937 rng(seed);
  const int kill_after_ms = std::uniform_int_distribution<int>(150, 700)(rng);
  SCOPED_TRACE("appendfsync " + c.fsync + " seed " + std::to_string(seed) + " kill after " +
               std::to_string(kill_after_ms) + " ms");

  TempDir dir;
  const Args args = aof_args(dir, {"--appendfsync", c.fsync});
  std::vector<ClientRecord> records(kClients);
  {
    Kvd kvd(args);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] { run_client(kvd.port(), i, records[i]); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    EXPECT_EQ(kill(kvd.pid(), SIGKILL), 0);
    kvd.wait_exit(std::chrono::seconds(10));
    for (auto& t : clients) t.join();
  }

  std::uint64_t acked_total = 0;
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(records[i].bad_reply, "") << "client " << i;
    acked_total += records[i].acked;
  }
  ASSERT_GT(acked_total, 0u) << "no write was acknowledged before the kill";

  // The log as the crash left it is whole records, then the zero-filled space kvd keeps past the
  // end of the file it writes (cut off only when the file is closed), except that a write() the
  // kill interrupted may have stopped at a page boundary (Linux checks for a fatal signal between
  // pages), leaving part of the last record, which no reply acknowledged. Only that is allowed:
  // redis-check-aof, run on a copy of the log without the zeros, accepts it or finds the last
  // file ending at a page boundary; the restart cuts both the zeros and the partial record off
  // (aof-load-truncated), after which redis-check-aof accepts the log itself.
  const std::string incr = last_incr(dir);
  ASSERT_FALSE(incr.empty()) << read_file(log_file(dir, kManifest));
  TempDir copy;
  const std::filesystem::path copied = copy / "appendonlydir";
  std::filesystem::copy(log_dir(dir), copied);
  const std::string bytes = read_log(copied / incr);
  const bool zero_filled = bytes.size() < std::filesystem::file_size(copied / incr);
  // Only `always` keeps zero-filled space ahead (it fsyncs often enough to gain from it); its
  // first fill starts with the first write and allocates at once.
  EXPECT_EQ(zero_filled, c.fsync == "always");
  write_file(copied / incr, bytes);
  const CommandResult check =
      run_command({"redis-check-aof", (copied / kManifest).string()}, "", std::chrono::seconds(60));
  const bool cut_by_kill = check.exit_code != 0;
  if (cut_by_kill) {
    EXPECT_EQ(bytes.size() % static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), 0u)
        << incr << " (" << bytes.size() << " bytes before its zero-filled space) is damaged, "
        << "not cut at a page boundary:\n"
        << check.out << check.err;
  }
  std::printf(
      "[crash audit] zero-filled space after the log: %s; last record cut by the kill: %s\n",
      zero_filled ? "yes" : "no", cut_by_kill ? "yes" : "no");

  Kvd kvd(args);
  const CommandResult recheck =
      run_command({"redis-check-aof", log_file(dir, kManifest)}, "", std::chrono::seconds(60));
  EXPECT_EQ(recheck.exit_code, 0) << recheck.out << recheck.err;
  RawClient client(kvd.port());
  std::uint64_t acked_sets = 0, present_sets = 0, present_keys = 0;
  std::string counters;
  for (int i = 0; i < kClients; ++i) {
    const ClientRecord& r = records[i];
    SCOPED_TRACE("client " + std::to_string(i));
    const std::uint64_t sets = recovered_sets(client, i, sets_in(r.sent));
    const proto::Reply ctr = client.call({"GET", "ctr:" + std::to_string(i)});
    std::uint64_t value = 0;
    if (ctr.type != proto::Reply::Type::null) {
      const auto [end, ec] =
          std::from_chars(ctr.str.data(), ctr.str.data() + ctr.str.size(), value);
      EXPECT_TRUE(ec == std::errc() && end == ctr.str.data() + ctr.str.size()) << ctr.str;
    }
    // Every acknowledged command survived; nothing beyond what was sent appeared.
    EXPECT_GE(sets, sets_in(r.acked));
    EXPECT_GE(value, incrs_in(r.acked));
    EXPECT_LE(value, incrs_in(r.sent));
    // A write-ahead log keeps a prefix of each connection's commands: the SETs and the INCRs
    // present are those of the first `sets + value` commands.
    EXPECT_EQ(incrs_in(sets + value), value) << sets << " sets with counter " << value;
    acked_sets += sets_in(r.acked);
    present_sets += sets;
    present_keys += sets + (value > 0 ? 1 : 0);
    counters += " ctr:" + std::to_string(i) + "=" + std::to_string(value) + " [" +
                std::to_string(incrs_in(r.acked)) + ".." + std::to_string(incrs_in(r.sent)) + "]";
  }
  EXPECT_EQ(client.call({"DBSIZE"}).integer, static_cast<std::int64_t>(present_keys));
  std::printf(
      "[crash] appendfsync=%s seed=%u kill=%dms record_cut_by_kill=%d acked_sets=%llu "
      "recovered_sets=%llu%s\n",
      c.fsync.c_str(), seed, kill_after_ms, cut_by_kill ? 1 : 0,
      static_cast<unsigned long long>(acked_sets), static_cast<unsigned long long>(present_sets),
      counters.c_str());
}

std::vector<CrashCase> crash_cases() {
  std::vector<CrashCase> cases;
  for (const char* policy : {"always", "everysec"}) {
    for (int run = 0; run < 5; ++run) cases.push_back({policy, run});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Runs, CrashAudit, ::testing::ValuesIn(crash_cases()),
                         [](const ::testing::TestParamInfo<CrashCase>& p) {
                           return p.param.fsync + "_" + std::to_string(p.param.run);
                         });

}  // namespace
}  // namespace kv::test
