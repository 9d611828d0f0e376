// MULTI, EXEC, DISCARD, WATCH and UNWATCH in process; replies as redis-server 7.0.15 gives them.
#include <string>

#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using TransactionCmd = CmdTest;

TEST_F(TransactionCmd, QueuesAndExecutesInOrder) {
  EXPECT_EQ(run({"multi"}), "+OK\r\n");
  EXPECT_EQ(run({"set", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"incr", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"get", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"exec"}), "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
  EXPECT_EQ(run({"exec"}), "-ERR EXEC without MULTI\r\n");
}

TEST_F(TransactionCmd, EmptyTransactionAndDiscard) {
  EXPECT_EQ(run({"multi"}), "+OK\r\n");
  EXPECT_EQ(run({"exec"}), "*0\r\n");
  EXPECT_EQ(run({"discard"}), "-ERR DISCARD without MULTI\r\n");
  run({"multi"});
  run({"set", "a", "1"});
  EXPECT_EQ(run({"discard"}), "+OK\r\n");
  EXPECT_EQ(run({"get", "a"}), "$-1\r\n");
}

TEST_F(TransactionCmd, QueueingErrorsAbortExec) {
  run({"multi"});
  EXPECT_EQ(run({"nosuch"}), "-ERR unknown command 'nosuch', with args beginning with: \r\n");
  EXPECT_EQ(run({"set", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(run({"get", "a"}), "$-1\r\n");
  run({"multi"});
  EXPECT_EQ(run({"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  run({"multi"});
  EXPECT_EQ(run({"shutdown"}), "-ERR Command not allowed inside a transaction\r\n");
  EXPECT_EQ(run({"exec"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
}

TEST_F(TransactionCmd, RuntimeErrorsAreReportedPerCommand) {
  run({"set", "s", "x"});
  run({"multi"});
  run({"incr", "s"});
  run({"set", "s", "2"});
  run({"set", "e", "v", "ex", "0"});
  EXPECT_EQ(run({"exec"}),
            "*3\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(run({"get", "s"}), "$1\r\n2\r\n");
}

TEST_F(TransactionCmd, ControlCommandsInsideMulti) {
  run({"multi"});
  EXPECT_EQ(run({"multi"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(run({"watch", "a"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  EXPECT_EQ(run({"set", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(run({"exec"}), "*1\r\n+OK\r\n");  // Neither error doomed the transaction.
  run({"multi"});
  EXPECT_EQ(run({"reset"}), "+RESET\r\n");
  EXPECT_EQ(run({"exec"}), "-ERR EXEC without MULTI\r\n");
}

TEST_F(TransactionCmd, SelectInsideExecMovesLaterCommands) {
  run({"multi"});
  run({"select", "1"});
  run({"set", "q", "1"});
  EXPECT_EQ(run({"exec"}), "*2\r\n+OK\r\n+OK\r\n");
  EXPECT_EQ(run({"get", "q"}), "$1\r\n1\r\n");
  run({"select", "0"});
  EXPECT_EQ(run({"get", "q"}), "$-1\r\n");
}

TEST_F(TransactionCmd, WatchedKeyChangedByAnotherClientAbortsExec) {
  TestClient& other = connect("127.0.0.1:5000");
  EXPECT_EQ(run({"watch", "w"}), "+OK\r\n");
  EXPECT_EQ(run_as(other, {"set", "w", "1"}), "+OK\r\n");
  run({"multi"});
  run({"ping"});
  EXPECT_EQ(run({"exec"}), "*-1\r\n");
  // EXEC unwatched everything: the next transaction runs.
  run({"multi"});
  run({"ping"});
  EXPECT_EQ(run({"exec"}), "*1\r\n+PONG\r\n");
}

TEST_F(TransactionCmd, UnchangedWatchedKeysLetExecRun) {
  run({"set", "w", "1"});
  run({"watch", "w", "other", "w"});
  run({"set", "unrelated", "x"});
  run({"multi"});
  run({"incr", "w"});
  EXPECT_EQ(run({"exec"}), "*1\r\n:2\r\n");
}

TEST_F(TransactionCmd, EveryKindOfChangeCounts) {
  TestClient& other = connect("127.0.0.1:5000");
  const std::vector<std::vector<std::string>> changes = {
      {"set", "w", "2"},   {"del", "w"},         {"expire", "w", "100"},
      {"persist", "w"},    {"append", "w", "x"}, {"rename", "w", "w2"},
      {"flushdb"},         {"flushall"},         {"getdel", "w"},
      {"swapdb", "0", "1"}};
  for (const auto& change : changes) {
    run({"flushall"});
    run({"setex", "w", "1000", "1"});
    run({"watch", "w"});
    run_as(other, change);
    run({"multi"});
    run({"ping"});
    EXPECT_EQ(run({"exec"}), "*-1\r\n") << change[0];
  }
}

TEST_F(TransactionCmd, ExpiryOfAWatchedKeyAbortsExec) {
  run({"psetex", "w", "10", "v"});
  run({"watch", "w"});
  clock_.advance(11);
  run({"multi"});
  run({"ping"});
  EXPECT_EQ(run({"exec"}), "*-1\r\n");
  // A key already expired when watched does not count.
  run({"psetex", "x", "5", "v"});
  clock_.advance(6);
  run({"watch", "x"});
  run({"multi"});
  run({"ping"});
  EXPECT_EQ(run({"exec"}), "*1\r\n+PONG\r\n");
}

TEST_F(TransactionCmd, UnwatchDiscardAndResetForgetWatches) {
  TestClient& other = connect("127.0.0.1:5000");
  for (const char* forget : {"unwatch", "discard", "reset"}) {
    run({"watch", "w"});
    if (std::string(forget) == "discard") run({"multi"});
    EXPECT_NE(run({forget}).find('+'), std::string::npos);
    run_as(other, {"set", "w", forget});
    run({"multi"});
    run({"ping"});
    EXPECT_EQ(run({"exec"}), "*1\r\n+PONG\r\n") << forget;
  }
}

TEST_F(TransactionCmd, NullArrayInResp3AndWatchArity) {
  TestClient& other = connect("127.0.0.1:5000");
  run({"hello", "3"});
  run({"watch", "w"});
  run_as(other, {"set", "w", "1"});
  run({"multi"});
  EXPECT_EQ(run({"exec"}), "_\r\n");
  EXPECT_EQ(run({"watch"}), "-ERR wrong number of arguments for 'watch' command\r\n");
}

}  // namespace
}  // namespace kv::cmd::test
