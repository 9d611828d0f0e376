// COMMAND, COMMAND COUNT/LIST/INFO/DOCS, answered from kvd's own table.
#include <algorithm>
#include <string>
#include <vector>

#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using CommandCmd = CmdTest;

// Commands the table must hold (it may hold more as families are added).
const std::vector<std::string> kRequired = {
    "get",    "set",     "mget",     "mset",   "msetnx",   "del",    "unlink", "exists",
    "dbsize", "flushdb", "flushall", "ping",   "echo",     "select", "hello",  "quit",
    "reset",  "client",  "info",     "config", "shutdown", "command"};

std::vector<std::string> table_names() {
  std::vector<std::string> names;
  for (const CommandSpec* spec : CommandTable::get().all()) names.emplace_back(spec->name);
  return names;
}

TEST_F(CommandCmd, TableHoldsEveryCoreCommandOnce) {
  const auto names = table_names();
  for (const auto& n : kRequired) {
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 1) << n;
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "duplicate name";
}

TEST_F(CommandCmd, CountIsTheNumberOfTopLevelCommands) {
  EXPECT_EQ(run({"command", "count"}), integer(static_cast<std::int64_t>(table_names().size())));
  EXPECT_EQ(run({"command", "count", "x"}), wrong_args("command|count"));
}

TEST_F(CommandCmd, ListNamesEveryCommandInTableOrder) {
  std::vector<std::string> names;
  for (const auto& n : table_names()) names.push_back(bulk(n));
  EXPECT_EQ(run({"command", "list"}), array(names));
  EXPECT_EQ(run({"COMMAND", "LIST"}), array(names));
}

TEST_F(CommandCmd, InfoOfASubcommandMatchesRedisBytes) {
  // redis-server 7.0.15's exact reply to COMMAND INFO client|setname.
  EXPECT_EQ(run({"command", "info", "client|setname"}),
            "*1\r\n*10\r\n$14\r\nclient|setname\r\n:3\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n"
            ":0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n");
}

TEST_F(CommandCmd, InfoOfGet) {
  // As Redis, but for the key specifications, which kvd leaves empty.
  EXPECT_EQ(run({"command", "info", "get"}),
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
            "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n");
}

TEST_F(CommandCmd, InfoOfSeveralCommands) {
  const std::string reply = run({"command", "info", "mset", "DEL", "config|get"});
  EXPECT_EQ(
      reply,
      "*3\r\n"
      "*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n"
      "*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n"
      "*10\r\n$3\r\ndel\r\n:-2\r\n*1\r\n+write\r\n:1\r\n:-1\r\n:1\r\n"
      "*3\r\n+@keyspace\r\n+@write\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n"
      "*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n"
      "+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n");
}

TEST_F(CommandCmd, InfoOfAContainerListsItsSubcommands) {
  const std::string reply = run({"command", "info", "config"});
  EXPECT_EQ(
      reply.substr(0, 80),
      std::string("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n"
                  "*0\r\n*0\r\n*3\r\n*10\r\n$10\r\nconfig|get\r\n")
          .substr(0, 80));
  EXPECT_NE(reply.find("$10\r\nconfig|set\r\n"), std::string::npos);
  EXPECT_NE(reply.find("$16\r\nconfig|resetstat\r\n"), std::string::npos);
}

TEST_F(CommandCmd, InfoOfUnknownCommandsIsNullInResp3) {
  run({"hello", "3"});
  const std::string reply = run({"command", "info", "nosuch", "client|nosuch"});
  EXPECT_EQ(reply, "*2\r\n_\r\n_\r\n");
}

TEST_F(CommandCmd, InfoWithoutNamesDescribesEveryCommand) {
  const std::string all = run({"command", "info"});
  EXPECT_EQ(all, run({"command"}));
  EXPECT_TRUE(all.starts_with("*" + std::to_string(table_names().size()) + "\r\n"));
  for (const auto& n : table_names()) {
    EXPECT_NE(all.find("*10\r\n" + bulk(n)), std::string::npos) << n;
  }
}

TEST_F(CommandCmd, FlagsAndCategoriesAreSetsInResp3) {
  run({"hello", "3"});
  EXPECT_EQ(
      run({"command", "info", "get"}).substr(0, 60),
      std::string("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
                  "~3\r\n+@read\r\n+@string\r\n+@fast\r\n")
          .substr(0, 60));
}

TEST_F(CommandCmd, DocsOfGet) {
  // Redis 7.0 also returns since, complexity and arguments, and its summary for GET is "Get the
  // value of a key" (the text kvd uses is Redis 7.2's).
  EXPECT_EQ(run({"command", "docs", "get"}),
            "*2\r\n$3\r\nget\r\n*4\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a "
            "key.\r\n$5\r\ngroup\r\n$6\r\nstring\r\n");
}

TEST_F(CommandCmd, DocsIsAMapInResp3) {
  run({"hello", "3"});
  EXPECT_EQ(run({"command", "docs", "get"}),
            "%1\r\n$3\r\nget\r\n%2\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a "
            "key.\r\n$5\r\ngroup\r\n$6\r\nstring\r\n");
  EXPECT_EQ(run({"command", "docs", "nosuch"}), "%0\r\n");
}

TEST_F(CommandCmd, DocsOfUnknownCommandsAreLeftOut) {
  EXPECT_EQ(run({"command", "docs", "nosuch"}), "*0\r\n");
  EXPECT_EQ(run({"command", "docs", "nosuch", "echo"}),
            "*2\r\n$4\r\necho\r\n*4\r\n$7\r\nsummary\r\n$25\r\nReturns the given string.\r\n$5\r\n"
            "group\r\n$10\r\nconnection\r\n");
}

TEST_F(CommandCmd, DocsOfAContainerNestsItsSubcommands) {
  const std::string reply = run({"command", "docs", "client"});
  EXPECT_EQ(reply.substr(0, 20), "*2\r\n$6\r\nclient\r\n*6\r\n");
  EXPECT_NE(reply.find("$11\r\nsubcommands\r\n*12\r\n$9\r\nclient|id\r\n"), std::string::npos);
}

TEST_F(CommandCmd, DocsWithoutNamesCoversEveryCommand) {
  const std::string all = run({"command", "docs"});
  // A map of name -> doc: in RESP2 a flat array of twice the number of commands.
  EXPECT_TRUE(all.starts_with("*" + std::to_string(2 * table_names().size()) + "\r\n")) << all;
  for (const auto& n : table_names()) EXPECT_NE(all.find(bulk(n) + "*"), std::string::npos) << n;
}

TEST_F(CommandCmd, UnknownSubcommand) {
  EXPECT_EQ(run({"command", "foo"}), "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
}

}  // namespace
}  // namespace kv::cmd::test
