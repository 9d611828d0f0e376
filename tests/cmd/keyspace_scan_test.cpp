// KEYS, SCAN, RANDOMKEY, TYPE, TOUCH, RENAME, RENAMENX and COPY in process.
#include <set>
#include <string>
#include <vector>

#include "cmd_harness.hpp"
#include "proto/reply_reader.hpp"

namespace kv::cmd::test {
namespace {

class KeyspaceScan : public CmdTest {
 public:
  using CmdTest::run;
};

proto::Reply parse(const std::string& bytes) {
  proto::Reply r;
  std::size_t used = 0;
  EXPECT_EQ(proto::ReplyReader::parse(bytes, r, used), proto::ReadStatus::reply) << bytes;
  return r;
}

std::set<std::string> strings_of(const proto::Reply& array) {
  std::set<std::string> out;
  for (const auto& e : array.elements) out.insert(e.str);
  return out;
}

// Runs a whole SCAN, with `between` called after every step; returns every key seen.
template <class F>
std::multiset<std::string> full_scan(KeyspaceScan& t, std::vector<std::string> options, F&& between,
                                     int* steps = nullptr) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int n = 0;
  do {
    std::vector<std::string> args = {"scan", cursor};
    args.insert(args.end(), options.begin(), options.end());
    const proto::Reply r = parse(t.run(args));
    EXPECT_EQ(r.elements.size(), 2u);
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) seen.insert(k.str);
    between();
    ++n;
  } while (cursor != "0" && n < 100000);
  if (steps != nullptr) *steps = n;
  return seen;
}

TEST_F(KeyspaceScan, TypeAndTouch) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"type", "k"}), "+string\r\n");
  EXPECT_EQ(run({"type", "nope"}), "+none\r\n");
  EXPECT_EQ(run({"touch", "k", "nope", "k"}), ":2\r\n");
  EXPECT_EQ(run({"exists", "k", "nope"}), ":1\r\n");
  // Each key looked up counts as a keyspace hit or miss, as in Redis.
  const std::string stats = payload(run({"info", "stats"}));
  EXPECT_EQ(info_field(stats, "keyspace_hits"), "4");
  EXPECT_EQ(info_field(stats, "keyspace_misses"), "3");
}

TEST_F(KeyspaceScan, KeysMatchesGlobsAndStarTakesTheEmptyKey) {
  for (const char* k : {"hello", "hallo", "hxllo", "world", ""}) run({"set", k, "1"});
  EXPECT_EQ(strings_of(parse(run({"keys", "h?llo"}))),
            (std::set<std::string>{"hello", "hallo", "hxllo"}));
  EXPECT_EQ(strings_of(parse(run({"keys", "h[ae]llo"}))),
            (std::set<std::string>{"hello", "hallo"}));
  EXPECT_EQ(strings_of(parse(run({"keys", "*"}))),
            (std::set<std::string>{"hello", "hallo", "hxllo", "world", ""}));
  EXPECT_EQ(run({"keys", "zzz*"}), "*0\r\n");
  run({"setex", "hello", "1", "v"});
  clock_.advance(1001);
  EXPECT_EQ(strings_of(parse(run({"keys", "h*"}))), (std::set<std::string>{"hallo", "hxllo"}));
}

TEST_F(KeyspaceScan, ScanReturnsEveryKeyOfAStableKeyspace) {
  std::multiset<std::string> expected;
  for (int i = 0; i < 2000; ++i) {
    run({"set", "k" + std::to_string(i), "v"});
    expected.insert("k" + std::to_string(i));
  }
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{}, {"count", "1"}, {"COUNT", "100"}, {"count", "100000"}}) {
    int steps = 0;
    const auto seen = full_scan(
        *this, options, [] {}, &steps);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
              std::set<std::string>(expected.begin(), expected.end()));
    EXPECT_EQ(seen.size(), expected.size()) << "no duplicates without resizing";
    EXPECT_GT(steps, 0);
  }
}

TEST_F(KeyspaceScan, ScanKeepsItsGuaranteeWhileTheTableGrowsAndShrinks) {
  for (int i = 0; i < 300; ++i) run({"set", "stable" + std::to_string(i), "v"});
  int step = 0;
  const auto seen = full_scan(*this, {"count", "5"}, [&] {
    ++step;
    // Grow hard, then shrink, while the scan is under way.
    if (step < 40) {
      for (int i = 0; i < 50; ++i) run({"set", "churn" + std::to_string(step * 50 + i), "v"});
    } else if (step < 80) {
      for (int i = 0; i < 50; ++i) run({"del", "churn" + std::to_string((step - 40) * 50 + i)});
    }
  });
  for (int i = 0; i < 300; ++i) {
    EXPECT_GE(seen.count("stable" + std::to_string(i)), 1u) << "stable" << i;
  }
}

TEST_F(KeyspaceScan, ScanMatchTypeAndErrors) {
  for (int i = 0; i < 50; ++i) run({"set", (i % 2 ? "odd" : "even") + std::to_string(i), "v"});
  const auto odd = full_scan(*this, {"match", "odd*", "count", "7"}, [] {});
  EXPECT_EQ(odd.size(), 25u);
  EXPECT_EQ(full_scan(*this, {"type", "string"}, [] {}).size(), 50u);
  EXPECT_EQ(full_scan(*this, {"type", "hash"}, [] {}).size(), 0u);
  EXPECT_EQ(run({"scan", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(run({"scan", "18446744073709551616"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(run({"scan", "0", "count", "0"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"scan", "0", "count", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run({"scan", "0", "match"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"scan", "0", "bogus", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"scan"}), "-ERR wrong number of arguments for 'scan' command\r\n");
}

TEST_F(KeyspaceScan, RandomKey) {
  EXPECT_EQ(run({"randomkey"}), "$-1\r\n");
  run({"set", "only", "v"});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(run({"randomkey"}), "$4\r\nonly\r\n");
  std::set<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    run({"set", "k" + std::to_string(i), "v"});
    keys.insert("k" + std::to_string(i));
  }
  keys.insert("only");
  std::set<std::string> drawn;
  for (int i = 0; i < 200; ++i) drawn.insert(parse(run({"randomkey"})).str);
  for (const auto& k : drawn) EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_GT(drawn.size(), 10u);  // Not stuck on one key.
  run({"flushall"});
  run({"psetex", "gone", "1", "v"});
  clock_.advance(2);
  EXPECT_EQ(run({"randomkey"}), "$-1\r\n");
}

TEST_F(KeyspaceScan, RenameMovesValueAndDeadline) {
  run({"setex", "a", "100", "v"});
  EXPECT_EQ(run({"rename", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(run({"exists", "a"}), ":0\r\n");
  EXPECT_EQ(run({"get", "b"}), "$1\r\nv\r\n");
  EXPECT_EQ(store_.read("b", [](const store::KeyView* v) { return v->expire_at; }),
            clock_.now_ms() + 100000);
  EXPECT_EQ(run({"rename", "nope", "x"}), "-ERR no such key\r\n");
  EXPECT_EQ(run({"rename", "b", "b"}), "+OK\r\n");
  EXPECT_EQ(run({"rename", "nope", "nope"}), "-ERR no such key\r\n");
  run({"set", "c", "w"});
  EXPECT_EQ(run({"renamenx", "b", "c"}), ":0\r\n");
  EXPECT_EQ(run({"renamenx", "b", "d"}), ":1\r\n");
  EXPECT_EQ(run({"renamenx", "d", "d"}), ":0\r\n");
  EXPECT_EQ(run({"rename", "c", "d"}), "+OK\r\n");  // Overwrites, dropping d's deadline.
  EXPECT_EQ(store_.read("d", [](const store::KeyView* v) { return v->expire_at; }), 0);
}

TEST_F(KeyspaceScan, Copy) {
  run({"psetex", "a", "5000", "v"});
  EXPECT_EQ(run({"copy", "a", "b"}), ":1\r\n");
  EXPECT_EQ(run({"get", "b"}), "$1\r\nv\r\n");
  EXPECT_EQ(store_.read("b", [](const store::KeyView* v) { return v->expire_at; }),
            clock_.now_ms() + 5000);
  run({"set", "a", "w"});
  EXPECT_EQ(run({"copy", "a", "b"}), ":0\r\n");
  EXPECT_EQ(run({"copy", "a", "b", "replace"}), ":1\r\n");
  EXPECT_EQ(run({"get", "b"}), "$1\r\nw\r\n");
  EXPECT_EQ(run({"copy", "nope", "x"}), ":0\r\n");
  EXPECT_EQ(run({"copy", "a", "c", "db", "0"}), ":1\r\n");
  EXPECT_EQ(run({"copy", "a", "a"}), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(run({"copy", "a", "a", "db", "1"}), ":1\r\n");  // Another database: allowed.
  EXPECT_EQ(run({"copy", "a", "a", "db", "1"}), ":0\r\n");
  run({"select", "1"});
  EXPECT_EQ(run({"get", "a"}), "$1\r\nw\r\n");
  run({"select", "0"});
  EXPECT_EQ(run({"copy", "a", "b", "db", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"copy", "a", "b", "db", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run({"copy", "a", "b", "foo"}), "-ERR syntax error\r\n");
}

TEST_F(KeyspaceScan, ObjectEncodingFreqRefcount) {
  run({"set", "i", "12345"});
  run({"set", "n", "-9223372036854775808"});
  run({"set", "big", "12345678901234567890"});
  run({"set", "e", "abc"});
  run({"set", "r44", std::string(44, 'a')});
  run({"set", "r", std::string(45, 'a')});
  run({"set", "z", "007"});
  run({"set", "small", "5"});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"i", "int"},      {"n", "int"}, {"big", "embstr"}, {"e", "embstr"},
      {"r44", "embstr"}, {"r", "raw"}, {"z", "embstr"}};
  for (const auto& [key, encoding] : expected) {
    EXPECT_EQ(run({"object", "encoding", key}), bulk(encoding)) << key;
  }
  EXPECT_EQ(run({"object", "encoding", "nokey"}), "$-1\r\n");
  EXPECT_EQ(run({"object", "freq", "nokey"}), "$-1\r\n");
  EXPECT_EQ(run({"object", "freq", "e"}),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take some "
            "time to adjust.\r\n");
  EXPECT_EQ(run({"object", "refcount", "e"}), ":1\r\n");
  EXPECT_EQ(run({"object", "refcount", "small"}), ":2147483647\r\n");
  EXPECT_EQ(run({"object", "foo", "e"}), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
  EXPECT_EQ(run({"object", "encoding"}),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n");
}

}  // namespace
}  // namespace kv::cmd::test
