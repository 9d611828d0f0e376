// GET, SET, MGET, MSET, MSETNX: exact replies, checked against redis-server 7.0.15.
#include <string>

#include "cmd_harness.hpp"

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

TEST_F(StringCmd, SetWithAnyOptionIsASyntaxError) {
  // kvd supports no SET options yet and must never ignore one silently (Redis accepts NX, XX,
  // EX, PX, EXAT, PXAT, KEEPTTL and GET; an unknown word is a syntax error there too).
  EXPECT_EQ(run({"set", "k", "old"}), "+OK\r\n");
  for (const std::vector<std::string>& opts : {std::vector<std::string>{"nx"},
                                               {"XX"},
                                               {"ex", "10"},
                                               {"PX", "100"},
                                               {"keepttl"},
                                               {"get"},
                                               {"EX"},
                                               {"foo"},
                                               {"exat", "1"},
                                               {"pxat", "1"},
                                               {""}}) {
    std::vector<std::string> args = {"set", "k", "new"};
    args.insert(args.end(), opts.begin(), opts.end());
    EXPECT_EQ(run(args), "-ERR syntax error\r\n") << opts[0];
  }
  EXPECT_EQ(run({"get", "k"}), "$3\r\nold\r\n");
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
