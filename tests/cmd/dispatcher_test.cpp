// The dispatcher: lookup in any case, unknown-command errors byte for byte, arity errors, and
// the per-command stats. Expected errors are redis-server 7.0.15's replies.
#include <string>

#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using namespace std::string_literals;
using Dispatch = CmdTest;

TEST_F(Dispatch, UnknownCommand) {
  EXPECT_EQ(run({"foo", "a", "b"}),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(run({"foo"}), "-ERR unknown command 'foo', with args beginning with: \r\n");
  EXPECT_EQ(run({"FOO", ""}), "-ERR unknown command 'FOO', with args beginning with: '' \r\n");
}

TEST_F(Dispatch, UnknownCommandTruncatesTheNameAt128Bytes) {
  EXPECT_EQ(run({std::string(200, 'x'), "a"}), "-ERR unknown command '" + std::string(128, 'x') +
                                                   "', with args beginning with: 'a' \r\n");
}

TEST_F(Dispatch, UnknownCommandTruncatesTheArgumentsAt128Bytes) {
  const std::string head = "-ERR unknown command 'foo', with args beginning with: ";
  EXPECT_EQ(run({"foo", std::string(200, 'a'), "b"}),
            head + "'" + std::string(128, 'a') + "' \r\n");
  EXPECT_EQ(run({"foo", std::string(100, 'a'), std::string(100, 'b'), "c"}),
            head + "'" + std::string(100, 'a') + "' '" + std::string(25, 'b') + "' \r\n");
  // 126 bytes plus quote and space reach 128 exactly: nothing more is listed.
  EXPECT_EQ(run({"foo", std::string(126, 'a'), "b", "c"}),
            head + "'" + std::string(126, 'a') + "' \r\n");
  EXPECT_EQ(run({"foo", std::string(125, 'a'), "b", "c"}),
            head + "'" + std::string(125, 'a') + "' \r\n");
  EXPECT_EQ(run({"foo", std::string(124, 'a'), "b", "c"}),
            head + "'" + std::string(124, 'a') + "' 'b' \r\n");
}

TEST_F(Dispatch, UnknownCommandTurnsCrLfIntoSpaces) {
  EXPECT_EQ(run({"foo\r\nbar", "x\ny"}),
            "-ERR unknown command 'foo  bar', with args beginning with: 'x y' \r\n");
}

TEST_F(Dispatch, UnknownCommandStopsEachStringAtNul) {
  // Redis formats with %s, so a NUL ends the name and each argument.
  EXPECT_EQ(run({"fo\0o"s, "a\0b"s, "c"}),
            "-ERR unknown command 'fo', with args beginning with: 'a' 'c' \r\n");
}

TEST_F(Dispatch, SubcommandNamesAreNotCommands) {
  EXPECT_EQ(run({"client|id"}), "-ERR unknown command 'client|id', with args beginning with: \r\n");
}

TEST_F(Dispatch, NamesAreCaseInsensitive) {
  EXPECT_EQ(run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(run({"gEt", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"Client", "Id"}), ":1\r\n");
  EXPECT_EQ(run({"CONFIG", "GeT", "MaxClients"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(run({"COMMAND", "COUNT"}).substr(0, 1), ":");
}

TEST_F(Dispatch, ArityErrorsUseTheLowerCaseFullName) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"GET"}, "get"},
      {{"get", "a", "b"}, "get"},
      {{"set", "k"}, "set"},
      {{"mget"}, "mget"},
      {{"mset", "k"}, "mset"},
      {{"msetnx", "k"}, "msetnx"},
      {{"del"}, "del"},
      {{"unlink"}, "unlink"},
      {{"exists"}, "exists"},
      {{"dbsize", "x"}, "dbsize"},
      {{"echo"}, "echo"},
      {{"ping", "a", "b"}, "ping"},
      {{"select"}, "select"},
      {{"reset", "x"}, "reset"},
      {{"client"}, "client"},
      {{"CLIENT", "SETNAME"}, "client|setname"},
      {{"client", "id", "x"}, "client|id"},
      {{"client", "getname", "x"}, "client|getname"},
      {{"client", "info", "x"}, "client|info"},
      {{"client", "setinfo", "lib-name"}, "client|setinfo"},
      {{"config"}, "config"},
      {{"Config", "GET"}, "config|get"},
      {{"config", "set", "maxclients"}, "config|set"},
      {{"config", "resetstat", "x"}, "config|resetstat"},
      {{"command", "count", "x"}, "command|count"},
  };
  for (const auto& [args, name] : cases) {
    EXPECT_EQ(run(args), "-ERR wrong number of arguments for '" + name + "' command\r\n")
        << args[0];
  }
}

TEST_F(Dispatch, OnlyDispatchedCommandsAreCounted) {
  run({"foo"});
  run({"get"});
  run({"client", "nosuch"});
  EXPECT_EQ(server_.stats.sum(kStatCommands), 0u);
  run({"ping"});
  run({"set", "k", "v", "nx"});  // Runs, then replies with an error: still processed.
  EXPECT_EQ(server_.stats.sum(kStatCommands), 2u);
}

TEST_F(Dispatch, RemembersTheLastCommand) {
  EXPECT_EQ(session().last_cmd.load(), nullptr);
  run({"ping"});
  ASSERT_NE(session().last_cmd.load(), nullptr);
  EXPECT_EQ(session().last_cmd.load()->name, "ping");
  run({"client", "id"});
  EXPECT_EQ(session().last_cmd.load()->name, "client|id");
  run({"nosuch"});
  EXPECT_EQ(session().last_cmd.load()->name, "client|id");
}

TEST_F(Dispatch, EveryCommandHasARowThatCommandInfoDescribes) {
  for (const CommandSpec* spec : CommandTable::get().all()) {
    EXPECT_EQ(CommandTable::get().find(spec->name), spec);
    const std::string head = "*1\r\n*10\r\n" + bulk(spec->name);
    EXPECT_EQ(run({"command", "info", std::string(spec->name)}).substr(0, head.size()), head);
    for (const CommandSpec& sub : spec->subcommands) {
      EXPECT_EQ(CommandTable::find_sub(*spec, sub.name.substr(sub.name.find('|') + 1)), &sub);
    }
  }
}

}  // namespace
}  // namespace kv::cmd::test
