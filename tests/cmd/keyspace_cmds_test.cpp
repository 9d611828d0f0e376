// DEL, UNLINK, EXISTS, DBSIZE, FLUSHDB, FLUSHALL: exact replies, checked against redis-server.
#include <string>

#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using KeyspaceCmd = CmdTest;

TEST_F(KeyspaceCmd, DelCountsKeysThatExisted) {
  run({"mset", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(run({"del", "a", "missing", "b"}), ":2\r\n");
  EXPECT_EQ(run({"del", "a"}), ":0\r\n");
  EXPECT_EQ(run({"dbsize"}), ":1\r\n");
}

TEST_F(KeyspaceCmd, DelOfARepeatedKeyCountsOnce) {
  run({"set", "a", "1"});
  EXPECT_EQ(run({"del", "a", "a", "a"}), ":1\r\n");
}

TEST_F(KeyspaceCmd, UnlinkIsDel) {
  run({"mset", "a", "1", "b", "2"});
  EXPECT_EQ(run({"unlink", "a", "a", "b", "x"}), ":2\r\n");
  EXPECT_EQ(run({"exists", "a", "b"}), ":0\r\n");
}

TEST_F(KeyspaceCmd, ExistsCountsRepeats) {
  run({"set", "a", "1"});
  EXPECT_EQ(run({"exists", "a", "a", "zz"}), ":2\r\n");
  EXPECT_EQ(run({"exists", "zz"}), ":0\r\n");
  EXPECT_EQ(run({"EXISTS", "a"}), ":1\r\n");
}

TEST_F(KeyspaceCmd, Dbsize) {
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
  run({"mset", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(run({"dbsize"}), ":3\r\n");
  EXPECT_EQ(run({"dbsize", "x"}), wrong_args("dbsize"));
}

TEST_F(KeyspaceCmd, ArityErrors) {
  EXPECT_EQ(run({"del"}), wrong_args("del"));
  EXPECT_EQ(run({"unlink"}), wrong_args("unlink"));
  EXPECT_EQ(run({"exists"}), wrong_args("exists"));
}

TEST_F(KeyspaceCmd, FlushdbAndFlushallEmptyTheKeyspace) {
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"flushdb"},
                                              {"flushall"},
                                              {"flushdb", "async"},
                                              {"flushdb", "SYNC"},
                                              {"FLUSHALL", "ASYNC"},
                                              {"flushall", "sync"},
                                              {"FlushDB", "Async"}}) {
    run({"mset", "a", "1", "b", "2"});
    EXPECT_EQ(run(cmd), "+OK\r\n") << cmd[0];
    EXPECT_EQ(run({"dbsize"}), ":0\r\n") << cmd[0];
  }
}

TEST_F(KeyspaceCmd, FlushWithABadArgumentIsASyntaxErrorAndKeepsKeys) {
  run({"mset", "a", "1", "b", "2"});
  EXPECT_EQ(run({"flushdb", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"flushall", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"flushdb", "async", "sync"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"flushall", "sync", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"flushdb", "ASYNC", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"dbsize"}), ":2\r\n");
}

}  // namespace
}  // namespace kv::cmd::test
