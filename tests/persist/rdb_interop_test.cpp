// RDB interop with Debian's Redis 7.0: redis-check-rdb accepts kvd's files, redis-server loads
// them, and kvd's reader loads a dump that redis-server wrote, key for key.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "persist/rdb.hpp"

namespace kv::persist {
namespace {

using namespace std::string_literals;
namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kvd-rdb-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Value {
  std::string value;
  std::optional<std::int64_t> expire;
  bool operator==(const Value&) const = default;
};
using Dump = std::map<std::pair<std::uint64_t, std::string>, Value>;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string compressible() {
  std::string s;
  for (int i = 0; s.size() < 5000; ++i) s += "field-" + std::to_string(i % 10) + ";";
  return s;
}

// What the tests store, in db 0 and db 3: binary, integers of each encoding width, long
// compressible text, and deadlines.
Dump sample() {
  return {
      {{0, "plain"}, {"hello", {}}},
      {{0, "bin\0\xff"s}, {"\0\r\n\x80\xfe"s, {}}},
      {{0, "empty"}, {"", {}}},
      {{0, "i8"}, {"-100", {}}},
      {{0, "i16"}, {"30000", {}}},
      {{0, "i32"}, {"-2000000000", {}}},
      {{0, "i64"}, {"9223372036854775807", {}}},
      {{0, "not canonical"}, {"0042", {}}},
      {{0, "12345"}, {"integer key", {}}},
      {{0, "long"}, {compressible(), {}}},
      {{0, "deadline"}, {"far", 4102444800000}},
      {{3, "in db 3"}, {"three", {}}},
      {{3, "long 3"}, {"x"s + compressible(), 4102444800123}},
  };
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string kvd_rdb(const Dump& dump) {
  std::string file;
  RdbWriter w([&](std::string_view b) { file.append(b); });
  w.begin();
  std::optional<std::uint64_t> db;
  for (const auto& [k, v] : dump) {
    if (db != k.first) {
      db = k.first;
      std::uint64_t keys = 0, expires = 0;
      for (const auto& [k2, v2] : dump) {
        keys += k2.first == *db;
        expires += k2.first == *db && v2.expire.has_value();
      }
      w.select_db(*db, keys, expires);
    }
    w.put(k.second, v.value, v.expire.value_or(0));
  }
  w.finish();
  return file;
}

Dump load(const std::string& file, RdbStats* stats = nullptr) {
  Dump out;
  RdbReader reader;
  const RdbStatus st = reader.read(file, [&](const RdbEntry& e) {
    out[{e.db, std::string(e.key)}] = {std::string(e.value), e.expire_at_ms};
  });
  EXPECT_TRUE(st.ok()) << st.message;
  if (stats != nullptr) *stats = reader.stats();
  return out;
}

TEST(RdbInterop, RedisCheckRdbAcceptsOurFile) {
  TempDir dir;
  const fs::path file = dir.path() / "kvd.rdb";
  write_file(file, kvd_rdb(sample()));
  const test::CommandResult r = test::run_command({"redis-check-rdb", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("RDB looks OK!"), std::string::npos) << r.out << r.err;
}

TEST(RdbInterop, RedisServerLoadsOurFile) {
  TempDir dir;
  write_file(dir.path() / "dump.rdb", kvd_rdb(sample()));
  test::RedisServer redis({"--dir", dir.path().string(), "--dbfilename", "dump.rdb"});
  test::RawClient c(redis.port());
  std::uint64_t db = 0;
  for (const auto& [k, v] : sample()) {
    if (k.first != db) {
      db = k.first;
      ASSERT_EQ(c.call_raw({"SELECT", std::to_string(db)}), "+OK\r\n");
    }
    EXPECT_EQ(c.call_raw({"GET", k.second}),
              "$" + std::to_string(v.value.size()) + "\r\n" + v.value + "\r\n");
    EXPECT_EQ(c.call_raw({"PEXPIRETIME", k.second}),
              ":" + std::to_string(v.expire.value_or(-1)) + "\r\n");
  }
  EXPECT_EQ(c.call_raw({"DBSIZE"}), ":2\r\n");
  redis.stop();
}

TEST(RdbInterop, WeReadWhatRedisServerSaves) {
  TempDir dir;
  test::RedisServer redis({"--dir", dir.path().string(), "--dbfilename", "dump.rdb"});
  test::RawClient c(redis.port());
  std::uint64_t db = 0;
  for (const auto& [k, v] : sample()) {
    if (k.first != db) {
      db = k.first;
      ASSERT_EQ(c.call_raw({"SELECT", std::to_string(db)}), "+OK\r\n");
    }
    std::vector<std::string> set = {"SET", k.second, v.value};
    if (v.expire) set.insert(set.end(), {"PXAT", std::to_string(*v.expire)});
    ASSERT_EQ(c.call_raw(set), "+OK\r\n");
  }
  // A relative deadline, as most clients set one.
  const std::int64_t before = now_ms();
  ASSERT_EQ(c.call_raw({"SET", "px", "soon-ish", "PX", "900000000"}), "+OK\r\n");
  const std::int64_t after = now_ms();
  ASSERT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
  redis.stop();

  RdbStats stats;
  Dump got = load(read_file(dir.path() / "dump.rdb"), &stats);
  EXPECT_TRUE(stats.checksum_verified);
  EXPECT_EQ(stats.version, 10);
  const auto px = got.find({3, "px"});
  ASSERT_NE(px, got.end());
  EXPECT_EQ(px->second.value, "soon-ish");
  ASSERT_TRUE(px->second.expire.has_value());
  EXPECT_GE(*px->second.expire, before + 900000000);
  EXPECT_LE(*px->second.expire, after + 900000000);
  got.erase(px);
  EXPECT_EQ(got, sample());
}

TEST(RdbInterop, RedisEncodesStringsAsWeDo) {
  // Integer encodings must match byte for byte. LZF output depends on the compressor's match
  // choices, so for the long value only the choice to compress must match.
  TempDir dir;
  test::RedisServer redis({"--dir", dir.path().string(), "--dbfilename", "dump.rdb"});
  test::RawClient c(redis.port());
  ASSERT_EQ(c.call_raw({"SET", "n", "-2000000000"}), "+OK\r\n");
  ASSERT_EQ(c.call_raw({"SET", "300", "-300"}), "+OK\r\n");
  ASSERT_EQ(c.call_raw({"SET", "long", compressible()}), "+OK\r\n");
  ASSERT_EQ(c.call_raw({"SAVE"}), "+OK\r\n");
  redis.stop();
  const std::string theirs = read_file(dir.path() / "dump.rdb");
  for (const auto& [key, value] :
       {std::pair<std::string, std::string>{"n", "-2000000000"}, {"300", "-300"}}) {
    std::string ours, scratch;
    rdb_append_string(ours, key, true, scratch);
    rdb_append_string(ours, value, true, scratch);
    EXPECT_NE(theirs.find("\x00"s + ours), std::string::npos) << key;
  }
  std::string ours, scratch;
  rdb_append_string(ours, compressible(), true, scratch);
  EXPECT_EQ(ours[0], '\xc3');
  EXPECT_NE(theirs.find("\x00\x04long\xc3"s), std::string::npos);
}

}  // namespace
}  // namespace kv::persist
