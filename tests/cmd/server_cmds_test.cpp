// INFO and SHUTDOWN: sections, exact store metrics, and the shutdown hook.
#include <string>

#include "cmd_harness.hpp"
#include "store/databases.hpp"

namespace kv::cmd::test {
namespace {

using ServerCmd = CmdTest;

TEST_F(ServerCmd, InfoHasEverySectionInOrder) {
  const std::string info = payload(run({"info"}));
  std::size_t at = 0;
  for (const char* title :
       {"# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n",
        "# Replication\r\n", "# CPU\r\n", "# Store\r\n", "# Keyspace\r\n"}) {
    const std::size_t found = info.find(title, at);
    ASSERT_NE(found, std::string::npos) << title;
    // Sections after the first are separated by an empty line, as in Redis.
    if (at != 0) {
      EXPECT_EQ(info.substr(found - 4, 4), "\r\n\r\n") << title;
    }
    at = found + 1;
  }
  EXPECT_EQ(info.substr(0, 10), "# Server\r\n");
  for (const char* every : {"default", "all", "everything", "ALL"}) {
    const std::string again = payload(run({"info", every}));
    EXPECT_NE(again.find("# Keyspace\r\n"), std::string::npos) << every;
    EXPECT_NE(again.find("# Server\r\n"), std::string::npos) << every;
  }
}

TEST_F(ServerCmd, InfoServerFields) {
  const std::string info = payload(run({"info", "server"}));
  EXPECT_EQ(info.substr(0, 10), "# Server\r\n");
  EXPECT_EQ(info_field(info, "redis_version"), "7.0.15");
  EXPECT_EQ(info_field(info, "redis_mode"), "standalone");
  EXPECT_EQ(info_field(info, "tcp_port"), "6380");
  EXPECT_EQ(info_field(info, "arch_bits"), "64");
  EXPECT_EQ(info_field(info, "run_id"), server_.run_id);
  EXPECT_EQ(server_.run_id.size(), 40u);
  EXPECT_EQ(server_.run_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(info.find("# Clients"), std::string::npos);
}

TEST_F(ServerCmd, InfoKeyspaceMatchesRedisBytes) {
  // Both byte strings are redis-server 7.0.15's replies to INFO keyspace.
  EXPECT_EQ(run({"info", "keyspace"}), "$12\r\n# Keyspace\r\n\r\n");
  run({"set", "a", "1"});
  run({"set", "b", "22"});
  EXPECT_EQ(run({"info", "keyspace"}),
            "$44\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n\r\n");
  EXPECT_EQ(run({"INFO", "KEYSPACE", "keyspace"}),
            "$44\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n\r\n");
  run({"flushall"});
  EXPECT_EQ(run({"info", "keyspace"}), "$12\r\n# Keyspace\r\n\r\n");
}

TEST_F(ServerCmd, InfoIsVerbatimInResp3) {
  run({"hello", "3"});
  EXPECT_EQ(run({"info", "keyspace"}), "=16\r\ntxt:# Keyspace\r\n\r\n");
  EXPECT_EQ(run({"info", "foo"}), "=4\r\ntxt:\r\n");
}

TEST_F(ServerCmd, InfoUnknownSectionIsAnEmptyBulk) {
  EXPECT_EQ(run({"info", "foo"}), "$0\r\n\r\n");
}

TEST_F(ServerCmd, InfoSeveralSectionsComeInTableOrder) {
  EXPECT_EQ(run({"info", "keyspace", "clients"}),
            bulk("# Clients\r\nconnected_clients:1\r\nmaxclients:10000\r\nblocked_clients:0\r\n"
                 "\r\n# Keyspace\r\n"));
}

TEST_F(ServerCmd, InfoStoreShowsExactMetrics) {
  run({"set", "a", "123"});             // set_ops 1
  run({"set", "a", "12345"});           // set_ops 2
  run({"mset", "b", "1", "c", "22"});   // set_ops 4
  run({"msetnx", "c", "x", "d", "y"});  // refused: no sets
  run({"get", "a"});                    // get_ops 1
  run({"mget", "a", "zz", "b"});        // get_ops 4
  run({"del", "b", "b", "nope"});       // delete_ops 3
  run({"exists", "a", "c"});            // not counted
  EXPECT_EQ(run({"info", "store"}),
            bulk("# Store\r\nkeys_stored:2\r\nbytes_stored:7\r\nget_ops:4\r\nset_ops:4\r\n"
                 "delete_ops:3\r\ndatabases:16\r\nstripes:4\r\n"));
  run({"flushdb"});
  EXPECT_EQ(run({"info", "store"}),
            bulk("# Store\r\nkeys_stored:0\r\nbytes_stored:0\r\nget_ops:4\r\nset_ops:4\r\n"
                 "delete_ops:3\r\ndatabases:16\r\nstripes:4\r\n"));
}

TEST_F(ServerCmd, InfoClientsFollowsConnectionsAndMaxclients) {
  connect("127.0.0.1:50002");
  run({"config", "set", "maxclients", "500"});
  const std::string info = payload(run({"info", "clients"}));
  EXPECT_EQ(info, "# Clients\r\nconnected_clients:2\r\nmaxclients:500\r\nblocked_clients:0\r\n");
}

TEST_F(ServerCmd, ConfigResetstatZeroesStats) {
  run({"set", "k", "v"});
  run({"get", "k"});
  run({"get", "nokey"});
  EXPECT_EQ(run({"config", "resetstat"}), "+OK\r\n");
  const std::string info = payload(run({"info", "stats"}));
  EXPECT_EQ(info_field(info, "keyspace_hits"), "0");
  EXPECT_EQ(info_field(info, "keyspace_misses"), "0");
  // Redis counts a command after it runs: RESETSTAT then INFO shows 1 (the RESETSTAT).
  EXPECT_EQ(info_field(info, "total_commands_processed"), "1");
  EXPECT_EQ(run({"config", "resetstat", "x"}), wrong_args("config|resetstat"));
}

TEST_F(ServerCmd, InfoDoesNotCountItself) {
  // Redis counts a command after it runs: on a fresh server PING then INFO shows 1.
  run({"ping"});
  EXPECT_EQ(info_field(payload(run({"info", "stats"})), "total_commands_processed"), "1");
  EXPECT_EQ(info_field(payload(run({"info", "stats"})), "total_commands_processed"), "2");
}

class ShutdownCmd : public CmdTest {
 protected:
  ShutdownCmd() {
    server_.request_shutdown = [this] { ++shutdowns_; };
  }
  int shutdowns_ = 0;
};

TEST_F(ShutdownCmd, RequestsShutdownAndSendsNoReply) {
  EXPECT_EQ(run({"shutdown"}), "");
  EXPECT_EQ(shutdowns_, 1);
  EXPECT_TRUE(session().close_after_reply);
}

TEST_F(ShutdownCmd, AcceptsTheSaveFlags) {
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"shutdown", "nosave"},
                                              {"SHUTDOWN", "SAVE"},
                                              {"shutdown", "now"},
                                              {"shutdown", "force"},
                                              {"shutdown", "nosave", "now", "force"}}) {
    EXPECT_EQ(run(cmd), "") << cmd[1];
  }
  EXPECT_EQ(shutdowns_, 5);
}

TEST_F(ShutdownCmd, AbortWithNothingInProgressIsAnError) {
  EXPECT_EQ(run({"shutdown", "abort"}), "-ERR No shutdown in progress.\r\n");
  EXPECT_EQ(run({"SHUTDOWN", "ABORT"}), "-ERR No shutdown in progress.\r\n");
  EXPECT_EQ(shutdowns_, 0);
  EXPECT_FALSE(session().close_after_reply);
}

TEST_F(ShutdownCmd, BadArgumentsAreSyntaxErrors) {
  EXPECT_EQ(run({"shutdown", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"shutdown", "nosave", "abort"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"shutdown", "now", "bogus"}), "-ERR syntax error\r\n");
  EXPECT_EQ(shutdowns_, 0);
  EXPECT_FALSE(session().close_after_reply);
}

TEST(ShutdownWithoutHook, StillClosesTheConnection) {
  store::Databases dbs(1, 2);
  Settings settings;
  ServerContext server(dbs, settings);
  Dispatcher dispatcher(server);
  Session session;
  std::string out;
  proto::ReplyWriter writer(out);
  const std::vector<std::string_view> args = {"shutdown"};
  dispatcher.dispatch(session, args, writer);
  EXPECT_EQ(out, "");
  EXPECT_TRUE(session.close_after_reply);
}

}  // namespace
}  // namespace kv::cmd::test
