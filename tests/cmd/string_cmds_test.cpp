// GET, SET, MGET, MSET, MSETNX: exact replies, checked against redis-server 7.0.15.
#include <string>

#include "cmd_harness.hpp"
#include "store/store.hpp"

namespace kv::cmd::test {
namespace {

using namespace std::string_literals;
using StringCmd = CmdTest;

TEST_F(StringCmd, GetMissingIsNil) { EXPECT_EQ(run({"get", "k"}), "$-1\r\n"); }

TEST_F(StringCmd, SetThenGet) {
  EXPECT_EQ(run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"set", "k", "longer value"}), "+OK\r\n");
  EXPECT_EQ(run({"get", "k"}), "$12\r\nlonger value\r\n");
}

TEST_F(StringCmd, BinarySafeKeysAndValues) {
  const std::string key = "k\0\r\n"s;
  const std::string value = "v\r\n$5\r\n\0end"s;
  EXPECT_EQ(run({"set", key, value}), "+OK\r\n");
  EXPECT_EQ(run({"get", key}), "$11\r\nv\r\n$5\r\n\0end\r\n"s);
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"get", "k\0"s}), "$-1\r\n");
}

TEST_F(StringCmd, EmptyKeyAndEmptyValue) {
  EXPECT_EQ(run({"set", "", ""}), "+OK\r\n");
  EXPECT_EQ(run({"get", ""}), "$0\r\n\r\n");
  EXPECT_EQ(run({"exists", ""}), ":1\r\n");
  EXPECT_EQ(run({"set", "", "x"}), "+OK\r\n");
  EXPECT_EQ(run({"get", ""}), "$1\r\nx\r\n");
}

TEST_F(StringCmd, LargeValueRoundTrips) {
  const std::string big(1 << 20, 'b');
  EXPECT_EQ(run({"set", "big", big}), "+OK\r\n");
  EXPECT_EQ(run({"get", "big"}), bulk(big));
}

// Deadline of `key` in ms, -1 if it has none, -2 if it is missing.
std::int64_t deadline_of(store::Store& store, const std::string& key) {
  return store.read(key, [](const store::KeyView* v) -> std::int64_t {
    return v == nullptr ? -2 : v->expire_at == 0 ? -1 : v->expire_at;
  });
}

TEST_F(StringCmd, SetOptionsNxXxGet) {
  EXPECT_EQ(run({"set", "k", "1", "xx"}), "$-1\r\n");
  EXPECT_EQ(run({"set", "k", "1", "NX"}), "+OK\r\n");
  EXPECT_EQ(run({"set", "k", "2", "nx"}), "$-1\r\n");
  EXPECT_EQ(run({"set", "k", "3", "xx", "get"}), "$1\r\n1\r\n");
  EXPECT_EQ(run({"set", "k", "4", "nx", "get"}), "$1\r\n3\r\n");  // Not set: old value.
  EXPECT_EQ(run({"get", "k"}), "$1\r\n3\r\n");
  EXPECT_EQ(run({"set", "new", "v", "get"}), "$-1\r\n");
  EXPECT_EQ(run({"get", "new"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"set", "k", "5", "nx", "nx"}), "$-1\r\n");  // Repeats are allowed.
}

TEST_F(StringCmd, SetIllegalCombinationsAreSyntaxErrors) {
  for (const std::vector<std::string>& opts : {std::vector<std::string>{"nx", "xx"},
                                               {"xx", "nx"},
                                               {"ex", "10", "px", "100"},
                                               {"ex", "10", "keepttl"},
                                               {"keepttl", "pxat", "1"},
                                               {"ex"},
                                               {"foo"},
                                               {""},
                                               {"persist"},
                                               {"exat", "1", "ex", "1"}}) {
    std::vector<std::string> args = {"set", "k", "v"};
    args.insert(args.end(), opts.begin(), opts.end());
    EXPECT_EQ(run(args), "-ERR syntax error\r\n") << opts[0];
  }
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(StringCmd, SetExpiryOptions) {
  const std::int64_t now = clock_.now_ms();
  EXPECT_EQ(run({"set", "a", "v", "ex", "10"}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "a"), now + 10000);
  EXPECT_EQ(run({"set", "b", "v", "px", "1500"}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "b"), now + 1500);
  EXPECT_EQ(run({"set", "c", "v", "exat", std::to_string(now / 1000 + 60)}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "c"), (now / 1000 + 60) * 1000);
  EXPECT_EQ(run({"set", "d", "v", "pxat", std::to_string(now + 42)}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "d"), now + 42);
  EXPECT_EQ(run({"set", "a", "w", "ex", "5", "ex", "7"}), "+OK\r\n");  // The last one wins.
  EXPECT_EQ(deadline_of(store_, "a"), now + 7000);
  EXPECT_EQ(run({"set", "a", "x", "keepttl"}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "a"), now + 7000);
  EXPECT_EQ(run({"set", "a", "y"}), "+OK\r\n");  // A plain SET drops the deadline.
  EXPECT_EQ(deadline_of(store_, "a"), -1);
  clock_.advance(1501);
  EXPECT_EQ(run({"get", "b"}), "$-1\r\n");
  EXPECT_EQ(run({"get", "d"}), "$-1\r\n");
}

TEST_F(StringCmd, SetExpiryErrors) {
  EXPECT_EQ(run({"set", "k", "v", "ex", "0"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(run({"set", "k", "v", "px", "-5"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(run({"set", "k", "v", "ex", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(run({"set", "k", "v", "px", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(run({"set", "k", "v", "ex", "1.5"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run({"set", "k", "v", "ex", "abc", "nx", "xx"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(StringCmd, SetnxSetexPsetex) {
  EXPECT_EQ(run({"setnx", "k", "1"}), ":1\r\n");
  EXPECT_EQ(run({"setnx", "k", "2"}), ":0\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\n1\r\n");
  const std::int64_t now = clock_.now_ms();
  EXPECT_EQ(run({"setex", "k", "3", "v"}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), now + 3000);
  EXPECT_EQ(run({"psetex", "k", "30", "w"}), "+OK\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), now + 30);
  EXPECT_EQ(run({"setex", "k", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(run({"psetex", "k", "-1", "v"}), "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(run({"setex", "k", "x", "v"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(run({"setex", "k", "1"}), "-ERR wrong number of arguments for 'setex' command\r\n");
}

TEST_F(StringCmd, GetsetAndGetdel) {
  EXPECT_EQ(run({"getset", "k", "1"}), "$-1\r\n");
  EXPECT_EQ(run({"setex", "k", "100", "2"}), "+OK\r\n");
  EXPECT_EQ(run({"getset", "k", "3"}), "$1\r\n2\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), -1);  // GETSET drops the deadline.
  EXPECT_EQ(run({"getdel", "k"}), "$1\r\n3\r\n");
  EXPECT_EQ(run({"getdel", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(StringCmd, Getex) {
  const std::int64_t now = clock_.now_ms();
  EXPECT_EQ(run({"getex", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"getex", "k", "ex", "10"}), "$-1\r\n");
  EXPECT_EQ(run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(run({"getex", "k", "ex", "10"}), "$1\r\nv\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), now + 10000);
  EXPECT_EQ(run({"getex", "k", "persist"}), "$1\r\nv\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), -1);
  EXPECT_EQ(run({"getex", "k", "pxat", std::to_string(now + 5)}), "$1\r\nv\r\n");
  EXPECT_EQ(deadline_of(store_, "k"), now + 5);
  EXPECT_EQ(run({"getex", "k", "pxat", std::to_string(now)}), "$1\r\nv\r\n");  // Past: deleted.
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
  EXPECT_EQ(run({"getex", "k", "nx"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"getex", "k", "persist", "ex", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"getex", "k", "ex", "-1"}), "-ERR invalid expire time in 'getex' command\r\n");
}

TEST_F(StringCmd, ArityErrors) {
  EXPECT_EQ(run({"get"}), wrong_args("get"));
  EXPECT_EQ(run({"get", "a", "b"}), wrong_args("get"));
  EXPECT_EQ(run({"set"}), wrong_args("set"));
  EXPECT_EQ(run({"set", "k"}), wrong_args("set"));
  EXPECT_EQ(run({"mget"}), wrong_args("mget"));
  EXPECT_EQ(run({"mset"}), wrong_args("mset"));
  EXPECT_EQ(run({"mset", "a"}), wrong_args("mset"));
  EXPECT_EQ(run({"msetnx"}), wrong_args("msetnx"));
  EXPECT_EQ(run({"msetnx", "a"}), wrong_args("msetnx"));
}

TEST_F(StringCmd, Mget) {
  run({"set", "a", "1"});
  run({"set", "b", "22"});
  EXPECT_EQ(run({"mget", "a", "missing", "b", "a"}),
            "*4\r\n$1\r\n1\r\n$-1\r\n$2\r\n22\r\n$1\r\n1\r\n");
  EXPECT_EQ(run({"mget", "nothing"}), "*1\r\n$-1\r\n");
}

TEST_F(StringCmd, MsetSetsEveryPairAndLaterPairsWin) {
  EXPECT_EQ(run({"mset", "a", "1", "b", "2", "a", "3"}), "+OK\r\n");
  EXPECT_EQ(run({"mget", "a", "b"}), "*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
  EXPECT_EQ(run({"dbsize"}), ":2\r\n");
}

TEST_F(StringCmd, MsetWithOddArgumentsSetsNothing) {
  EXPECT_EQ(run({"mset", "a", "1", "b"}), wrong_args("mset"));
  EXPECT_EQ(run({"MSET", "a", "1", "b", "2", "c"}), wrong_args("mset"));
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
}

TEST_F(StringCmd, MsetnxIsAllOrNothing) {
  EXPECT_EQ(run({"msetnx", "a", "1", "b", "2"}), ":1\r\n");
  EXPECT_EQ(run({"msetnx", "c", "3", "b", "new"}), ":0\r\n");
  EXPECT_EQ(run({"mget", "a", "b", "c"}), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
  EXPECT_EQ(run({"msetnx", "a", "1", "b"}), wrong_args("msetnx"));
  EXPECT_EQ(run({"msetnx", "x", "1", "y"}), wrong_args("msetnx"));
  EXPECT_EQ(run({"exists", "x"}), ":0\r\n");
}

TEST_F(StringCmd, MsetnxWithARepeatedNewKey) {
  EXPECT_EQ(run({"msetnx", "k", "1", "k", "2"}), ":1\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\n2\r\n");
}

TEST_F(StringCmd, NullsAreResp3AfterHello3) {
  run({"hello", "3"});
  run({"set", "a", "1"});
  EXPECT_EQ(run({"get", "missing"}), "_\r\n");
  EXPECT_EQ(run({"mget", "a", "missing"}), "*2\r\n$1\r\n1\r\n_\r\n");
  EXPECT_EQ(run({"get", "a"}), "$1\r\n1\r\n");
}

TEST_F(StringCmd, ReadsCountKeyspaceHitsAndMisses) {
  run({"set", "k", "v"});
  run({"get", "k"});
  run({"get", "nokey"});
  run({"mget", "k", "nokey", "nokey2"});
  const std::string info = payload(run({"info", "stats"}));
  // The same sequence on redis-server gives keyspace_hits:2 and keyspace_misses:3.
  EXPECT_EQ(info_field(info, "keyspace_hits"), "2");
  EXPECT_EQ(info_field(info, "keyspace_misses"), "3");
}

}  // namespace
}  // namespace kv::cmd::test
