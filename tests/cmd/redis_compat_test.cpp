// Edge cases where kvd once differed from Redis. Each test expects Redis's bytes (redis-server
// 7.0.15 run with --databases 1, unless it says 7.2), so a regression shows up here.
#include <map>
#include <set>
#include <string>

#include "cmd_harness.hpp"
#include "proto/reply_reader.hpp"

namespace kv::cmd::test {
namespace {

using RedisCompat = CmdTest;
using Names = std::set<std::string>;

// The flags (field 3) or ACL categories (field 7) of a one-command COMMAND INFO reply, as a set:
// their order is not part of the contract.
Names info_field_set(const std::string& reply, std::size_t field) {
  proto::Reply r;
  std::size_t used = 0;
  if (proto::ReplyReader::parse(reply, r, used) != proto::ReadStatus::reply ||
      r.elements.size() != 1 || r.elements[0].elements.size() != 10) {
    ADD_FAILURE() << "not a COMMAND INFO reply: " << reply.substr(0, 80);
    return {};
  }
  Names out;
  for (const auto& e : r.elements[0].elements[field].elements) out.insert(e.str);
  return out;
}

// kvd: "-ERR value is not an integer or out of range\r\n" for both.
TEST_F(RedisCompat, SelectOutsideIntRangeNamesTheRange) {
  EXPECT_EQ(run({"select", "2147483648"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(run({"select", "-2147483649"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
}

// kvd: the reply of a successful HELLO (an empty user name skips the user check).
TEST_F(RedisCompat, HelloAuthWithAnEmptyUserIsWrongpass) {
  EXPECT_EQ(run({"hello", "2", "auth", "", "x"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
}

// Redis validates SETNAME while it parses the options, before later options and before AUTH.
// kvd: "-ERR Syntax error in HELLO option 'foo'\r\n" and the WRONGPASS error.
TEST_F(RedisCompat, HelloChecksTheNameAsItParses) {
  EXPECT_EQ(run({"hello", "2", "setname", "a b", "foo"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"hello", "2", "setname", "a b", "auth", "bob", "x"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
}

// HELP is a real subcommand with arity 2 in Redis. kvd: prints its help.
TEST_F(RedisCompat, ContainerHelpTakesNoArguments) {
  EXPECT_EQ(run({"client", "help", "x"}), wrong_args("client|help"));
  EXPECT_EQ(run({"config", "help", "x"}), wrong_args("config|help"));
  EXPECT_EQ(run({"command", "help", "x"}), wrong_args("command|help"));
}

// Redis accepts any integer as an ID filter. kvd: "-ERR Invalid client ID\r\n".
TEST_F(RedisCompat, ClientListIdAcceptsZeroAndNegativeIds) {
  EXPECT_EQ(run({"client", "list", "id", "0"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"client", "list", "id", "-5"}), "$0\r\n\r\n");
}

// Redis 7.2 (clientSetinfoCommand) echoes the attribute as the client spelled it.
// kvd: "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n".
TEST_F(RedisCompat, ClientSetinfoErrorEchoesTheAttribute) {
  EXPECT_EQ(run({"client", "setinfo", "LIB-NAME", "a b"}),
            "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"client", "setinfo", "Lib-Ver", "1 0"}),
            "-ERR Lib-Ver cannot contain spaces, newlines or special characters.\r\n");
}

// A name without glob characters is looked up directly and echoed as given.
// kvd: "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n".
TEST_F(RedisCompat, ConfigGetEchoesAnExactNameAsGiven) {
  EXPECT_EQ(run({"config", "get", "MAXCLIENTS"}), "*2\r\n$10\r\nMAXCLIENTS\r\n$5\r\n10000\r\n");
}

// kvd: "-ERR wrong number of arguments for 'config|set' command\r\n".
TEST_F(RedisCompat, ConfigSetWithAnOddArgumentCountIsASyntaxError) {
  EXPECT_EQ(run({"config", "set", "maxclients", "1", "2"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"config", "set", "maxclients", "5", "maxclients"}), "-ERR syntax error\r\n");
}

// A value error names the parameter by its canonical name.
// kvd: "... (possibly related to argument 'MaxClients') ...".
TEST_F(RedisCompat, ConfigSetValueErrorUsesTheCanonicalName) {
  EXPECT_EQ(run({"config", "set", "MaxClients", "abc"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer\r\n");
}

// Redis checks every name (unknown, immutable, duplicate) before any value.
// kvd: the maxclients parse error for both.
TEST_F(RedisCompat, ConfigSetChecksNamesBeforeValues) {
  EXPECT_EQ(run({"config", "set", "maxclients", "abc", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  EXPECT_EQ(run({"config", "set", "maxclients", "abc", "daemonize", "yes"}),
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config\r\n");
}

// kvd: "... - argument couldn't be parsed into an integer\r\n".
TEST_F(RedisCompat, ConfigSetMemoryParseError) {
  EXPECT_EQ(run({"config", "set", "proto-max-bulk-len", "abc"}),
            "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be a memory value\r\n");
}

// Redis writes an unknown command as a null bulk. kvd: "*1\r\n*-1\r\n".
TEST_F(RedisCompat, CommandInfoOfAnUnknownCommandIsANullBulk) {
  EXPECT_EQ(run({"command", "info", "nosuch"}), "*1\r\n$-1\r\n");
}

// In RESP3 Redis sends tips, key specs and an empty subcommand list as sets.
// kvd: "*0\r\n*0\r\n*0\r\n" for the last three fields.
TEST_F(RedisCompat, CommandInfoUsesSetsInResp3) {
  run({"hello", "3"});
  EXPECT_EQ(run({"command", "info", "client|setname"}),
            "*1\r\n*10\r\n$14\r\nclient|setname\r\n:3\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n"
            ":0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n");
}

// COMMAND LIST takes only FILTERBY. kvd: lists every command.
TEST_F(RedisCompat, CommandListWithAnUnknownArgumentIsASyntaxError) {
  EXPECT_EQ(run({"command", "list", "x"}), "-ERR syntax error\r\n");
}

// ABORT may repeat; only the save flags conflict with it. kvd: "-ERR syntax error\r\n".
TEST_F(RedisCompat, ShutdownAbortTwice) {
  EXPECT_EQ(run({"shutdown", "abort", "abort"}), "-ERR No shutdown in progress.\r\n");
}

// SAVE and NOSAVE together are a syntax error and nothing shuts down. kvd: shuts down.
TEST_F(RedisCompat, ShutdownSaveAndNosaveConflict) {
  int shutdowns = 0;
  server_.request_shutdown = [&] { ++shutdowns; };
  EXPECT_EQ(run({"shutdown", "save", "nosave"}), "-ERR syntax error\r\n");
  EXPECT_EQ(shutdowns, 0);
  EXPECT_FALSE(session().close_after_reply);
}

// ACL categories as redis-server 7.0.15 reports them (compared as sets). kvd at the time: no
// @keyspace on dbsize/flushdb/flushall, no @dangerous on flushdb/flushall/info, and no
// @connection on command and its subcommands.
TEST_F(RedisCompat, CommandInfoCategories) {
  const std::map<std::string, Names> redis = {
      {"get", {"@read", "@string", "@fast"}},
      {"set", {"@write", "@string", "@slow"}},
      {"mget", {"@read", "@string", "@fast"}},
      {"mset", {"@write", "@string", "@slow"}},
      {"msetnx", {"@write", "@string", "@slow"}},
      {"del", {"@keyspace", "@write", "@slow"}},
      {"unlink", {"@keyspace", "@write", "@fast"}},
      {"exists", {"@keyspace", "@read", "@fast"}},
      {"dbsize", {"@keyspace", "@read", "@fast"}},
      {"flushdb", {"@keyspace", "@write", "@slow", "@dangerous"}},
      {"flushall", {"@keyspace", "@write", "@slow", "@dangerous"}},
      {"ping", {"@fast", "@connection"}},
      {"echo", {"@fast", "@connection"}},
      {"select", {"@fast", "@connection"}},
      {"hello", {"@fast", "@connection"}},
      {"quit", {"@fast", "@connection"}},
      {"reset", {"@fast", "@connection"}},
      {"client", {"@slow"}},
      {"client|id", {"@slow", "@connection"}},
      {"client|getname", {"@slow", "@connection"}},
      {"client|setname", {"@slow", "@connection"}},
      {"client|info", {"@slow", "@connection"}},
      {"client|list", {"@admin", "@slow", "@dangerous", "@connection"}},
      {"info", {"@slow", "@dangerous"}},
      {"config", {"@slow"}},
      {"config|get", {"@admin", "@slow", "@dangerous"}},
      {"config|set", {"@admin", "@slow", "@dangerous"}},
      {"config|resetstat", {"@admin", "@slow", "@dangerous"}},
      {"shutdown", {"@admin", "@slow", "@dangerous"}},
      {"command", {"@slow", "@connection"}},
      {"command|count", {"@slow", "@connection"}},
      {"command|list", {"@slow", "@connection"}},
      {"command|info", {"@slow", "@connection"}},
      {"command|docs", {"@slow", "@connection"}},
  };
  for (const auto& [name, categories] : redis) {
    EXPECT_EQ(info_field_set(run({"command", "info", name}), 6), categories) << name;
  }
}

// Command flags as redis-server 7.0.15 reports them (compared as sets). kvd at the time: ECHO
// lacked loading and stale, and kvd has no allow_busy or no_multi flag.
TEST_F(RedisCompat, CommandInfoFlags) {
  const Names hello_like = {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"};
  const std::map<std::string, Names> redis = {
      {"echo", {"loading", "stale", "fast"}},
      {"hello", hello_like},
      {"quit", hello_like},
      {"reset", hello_like},
      {"shutdown", {"admin", "noscript", "loading", "stale", "no_multi", "allow_busy"}},
  };
  for (const auto& [name, flags] : redis) {
    EXPECT_EQ(info_field_set(run({"command", "info", name}), 2), flags) << name;
  }
}

}  // namespace
}  // namespace kv::cmd::test
