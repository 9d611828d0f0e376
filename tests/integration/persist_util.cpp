#include "persist_util.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace kv::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- Files and folders ----

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "kvd-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::set<std::string> list_dir(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// ---- kvd's log layout ----

std::string log_dir(const TempDir& d) { return d / "appendonlydir"; }
std::string read_log(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  bytes.erase(bytes.find_last_not_of('\0') + 1);
  return bytes;
}
std::string log_file(const TempDir& d, const std::string& name) { return log_dir(d) + "/" + name; }
std::string incr_name(int seq) { return "appendonly.aof." + std::to_string(seq) + ".incr.aof"; }
std::string base_name(int seq) { return "appendonly.aof." + std::to_string(seq) + ".base.rdb"; }

// ---- kvd ----

Args aof_args(const TempDir& d, Args extra) {
  Args args = {"--dir", d.str(), "--appendonly", "yes", "--save", ""};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

Args rdb_args(const TempDir& d, const std::string& save) {
  return {"--dir", d.str(), "--appendonly", "no", "--save", save};
}

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

CommandResult run_kvd_failing(const Args& args) {
  Args argv = {binary_dir() + "/kvd", "--port", std::to_string(free_port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, "", std::chrono::seconds(20));
}

std::int64_t offset_in(const std::string& text, const std::string& after) {
  const std::size_t from = text.find(after);
  if (from == std::string::npos) return -1;
  const std::size_t at = text.find("offset ", from);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + 7));
}

// ---- INFO ----

std::string info(RawClient& c, const std::string& section) { return c.call({"INFO", section}).str; }

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

bool wait_info(RawClient& c, const std::function<bool(const std::string&)>& done,
               std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done(info(c))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// ---- Data ----

Dump dump_all(RawClient& c, int databases) {
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
        mset.push_back(filled_value(i, value_len));
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

namespace {

const std::string kBinKey = std::string("bin\0key\r\n", 9);
const std::string kBinValue = std::string("\0\r\n*3\r\n$3\r\nSET\r\n\0", 18);

}  // namespace

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

}  // namespace kv::test
