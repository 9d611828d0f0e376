// CONFIG GET, CONFIG SET, CONFIG RESETSTAT and the value parsers: exact replies, checked against
// redis-server 7.0.15.
#include <string>

#include "cmd/config.hpp"
#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using ConfigCmd = CmdTest;

// CONFIG GET's RESP2 reply: a flat array of name, value, name, value ...
std::string pairs(const std::vector<std::pair<std::string, std::string>>& kvs) {
  std::string out = "*" + std::to_string(2 * kvs.size()) + "\r\n";
  for (const auto& [name, value] : kvs) out += bulk(name) + bulk(value);
  return out;
}

TEST_F(ConfigCmd, GetOneParameterMatchesRedisBytes) {
  EXPECT_EQ(run({"config", "get", "maxclients"}), "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  EXPECT_EQ(run({"config", "get", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(run({"config", "get", "appendonly"}), "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
  EXPECT_EQ(run({"config", "get", "databases"}), "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n");
  EXPECT_EQ(run({"config", "get", "bind"}), "*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n");
  EXPECT_EQ(run({"config", "get", "port"}), "*2\r\n$4\r\nport\r\n$4\r\n6380\r\n");
  EXPECT_EQ(run({"config", "get", "loglevel"}), "*2\r\n$8\r\nloglevel\r\n$6\r\nnotice\r\n");
}

TEST_F(ConfigCmd, GetNothingIsAnEmptyArray) {
  EXPECT_EQ(run({"config", "get", "nosuch"}), "*0\r\n");
  EXPECT_EQ(run({"config", "get", "nosuch*"}), "*0\r\n");
}

TEST_F(ConfigCmd, GetIsAMapInResp3) {
  run({"hello", "3"});
  EXPECT_EQ(run({"config", "get", "maxclients"}), "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  EXPECT_EQ(run({"config", "get", "nosuch"}), "%0\r\n");
  EXPECT_EQ(run({"config", "get", "save", "appendonly"}),
            "%2\r\n$4\r\nsave\r\n$0\r\n\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
}

TEST_F(ConfigCmd, GetGlobs) {
  // kvd has fewer parameters than Redis, so a glob matches fewer; each matched pair is exact,
  // in kvd's table order (Redis's order is its dict's).
  EXPECT_EQ(run({"config", "get", "max*"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "*clients"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "MAXCLIENT?"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "[l-n]axclients"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "[L-N]axclients"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "[^M]axclients"}), "*0\r\n");
  EXPECT_EQ(run({"config", "get", "*proto*"}), pairs({{"proto-max-bulk-len", "536870912"}}));
  EXPECT_EQ(run({"config", "get", "p*"}),
            pairs({{"port", "6380"}, {"pidfile", ""}, {"proto-max-bulk-len", "536870912"}}));
}

TEST_F(ConfigCmd, GetStarListsEveryParameter) {
  const std::string reply = run({"config", "get", "*"});
  EXPECT_EQ(reply.substr(0, 5), "*50\r\n");
  for (const char* name :
       {"bind", "port", "threads", "databases", "daemonize", "pidfile", "logfile", "save",
        "appendonly", "maxclients", "proto-max-bulk-len", "client-query-buffer-limit", "loglevel",
        "dir", "appendfsync", "dbfilename", "appenddirname", "auto-aof-rewrite-percentage"}) {
    EXPECT_NE(reply.find(bulk(name)), std::string::npos) << name;
  }
}

TEST_F(ConfigCmd, GetSeveralPatternsListsEachParameterOnce) {
  EXPECT_EQ(run({"config", "get", "maxclients", "maxclients"}), pairs({{"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "port", "maxclients"}),
            pairs({{"port", "6380"}, {"maxclients", "10000"}}));
  EXPECT_EQ(run({"config", "get", "max*", "maxclients", "*clients"}),
            pairs({{"maxclients", "10000"}}));
}

TEST_F(ConfigCmd, GetArity) {
  EXPECT_EQ(run({"config", "get"}), wrong_args("config|get"));
  EXPECT_EQ(run({"Config", "GET"}), wrong_args("config|get"));
}

TEST_F(ConfigCmd, SetMaxclientsIsVisibleEverywhere) {
  EXPECT_EQ(run({"config", "set", "maxclients", "500"}), "+OK\r\n");
  EXPECT_EQ(run({"config", "get", "maxclients"}), "*2\r\n$10\r\nmaxclients\r\n$3\r\n500\r\n");
  EXPECT_EQ(settings_.maxclients.load(), 500);
  EXPECT_EQ(info_field(payload(run({"info", "clients"})), "maxclients"), "500");
  EXPECT_EQ(run({"CONFIG", "SET", "MAXCLIENTS", "4294967295"}), "+OK\r\n");
  EXPECT_EQ(settings_.maxclients.load(), 4294967295LL);
}

TEST_F(ConfigCmd, SetImmutableParameter) {
  EXPECT_EQ(run({"config", "set", "port", "1234"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config\r\n");
  EXPECT_EQ(run({"config", "set", "daemonize", "yes"}),
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config\r\n");
  EXPECT_EQ(settings_.port, 6380);
}

TEST_F(ConfigCmd, SetUnknownParameter) {
  EXPECT_EQ(run({"config", "set", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  EXPECT_EQ(run({"config", "set", "nosuch\r\n", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch  '\r\n");
}

TEST_F(ConfigCmd, SetBadIntegers) {
  const std::string parse =
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be "
      "parsed into an integer\r\n";
  const std::string range =
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be "
      "between 1 and 4294967295 inclusive\r\n";
  for (const char* bad : {"abc", "10x", "1e3", " 5", "5k", "\r\n", ""}) {
    EXPECT_EQ(run({"config", "set", "maxclients", bad}), parse) << bad;
  }
  for (const char* bad : {"0", "-1", "4294967296"}) {
    EXPECT_EQ(run({"config", "set", "maxclients", bad}), range) << bad;
  }
  EXPECT_EQ(settings_.maxclients.load(), 10000);
}

TEST_F(ConfigCmd, SetSeveralPairsIsAllOrNothing) {
  EXPECT_EQ(run({"config", "set", "maxclients", "600", "port", "1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config\r\n");
  EXPECT_EQ(run({"config", "set", "maxclients", "600", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  EXPECT_EQ(run({"config", "set", "maxclients", "600", "loglevel", "loud"}),
            "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must "
            "be one of the following: debug, verbose, notice, warning\r\n");
  EXPECT_EQ(run({"config", "set", "maxclients", "600", "maxclients", "700"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
            "parameter\r\n");
  EXPECT_EQ(settings_.maxclients.load(), 10000);
  EXPECT_EQ(run({"config", "get", "loglevel"}), pairs({{"loglevel", "notice"}}));

  EXPECT_EQ(run({"config", "set", "maxclients", "600", "loglevel", "warning"}), "+OK\r\n");
  EXPECT_EQ(settings_.maxclients.load(), 600);
  EXPECT_EQ(run({"config", "get", "loglevel"}), pairs({{"loglevel", "warning"}}));
}

TEST_F(ConfigCmd, SetArity) {
  EXPECT_EQ(run({"config", "set", "maxclients"}), wrong_args("config|set"));
  EXPECT_EQ(run({"config", "set"}), wrong_args("config|set"));
}

TEST_F(ConfigCmd, SetLoglevelCallsTheHook) {
  std::vector<std::string> applied;
  server_.set_loglevel = [&](std::string_view level) {
    applied.emplace_back(level);
    return true;
  };
  EXPECT_EQ(run({"config", "set", "loglevel", "WARNING"}), "+OK\r\n");
  EXPECT_EQ(run({"config", "get", "loglevel"}), pairs({{"loglevel", "warning"}}));
  EXPECT_EQ(run({"config", "set", "loglevel", "nope"}),
            "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must "
            "be one of the following: debug, verbose, notice, warning\r\n");
  EXPECT_EQ(applied, std::vector<std::string>{"warning"});
}

TEST_F(ConfigCmd, SetMemoryParameters) {
  EXPECT_EQ(run({"config", "set", "proto-max-bulk-len", "2mb"}), "+OK\r\n");
  EXPECT_EQ(run({"config", "get", "proto-max-bulk-len"}),
            "*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n2097152\r\n");
  EXPECT_EQ(run({"config", "set", "client-query-buffer-limit", "1gb"}), "+OK\r\n");
  EXPECT_EQ(run({"config", "get", "client-query-buffer-limit"}),
            "*2\r\n$25\r\nclient-query-buffer-limit\r\n$10\r\n1073741824\r\n");
  // kvd caps bulks at 2 GiB - 1 (Redis: 9223372036854775807).
  EXPECT_EQ(run({"config", "set", "proto-max-bulk-len", "10"}),
            "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be between 1048576 and 2147483647 inclusive\r\n");
  EXPECT_EQ(settings_.proto_max_bulk_len.load(), 2097152);
}

TEST_F(ConfigCmd, ResetstatAndUnknownSubcommand) {
  EXPECT_EQ(run({"config", "resetstat"}), "+OK\r\n");
  EXPECT_EQ(run({"config", "foo"}), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(run({"config"}), wrong_args("config"));
}

TEST(ConfigValues, ParseMemory) {
  EXPECT_EQ(parse_memory("0"), 0);
  EXPECT_EQ(parse_memory("10"), 10);
  EXPECT_EQ(parse_memory("10b"), 10);
  EXPECT_EQ(parse_memory("1k"), 1000);
  EXPECT_EQ(parse_memory("1kb"), 1024);
  EXPECT_EQ(parse_memory("1KB"), 1024);
  EXPECT_EQ(parse_memory("5m"), 5000000);
  EXPECT_EQ(parse_memory("5Mb"), 5 * 1024 * 1024);
  EXPECT_EQ(parse_memory("2g"), 2000000000LL);
  EXPECT_EQ(parse_memory("2gb"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_memory(""), std::nullopt);
  EXPECT_EQ(parse_memory("k"), std::nullopt);
  EXPECT_EQ(parse_memory("kb"), std::nullopt);
  EXPECT_EQ(parse_memory("-1"), std::nullopt);
  EXPECT_EQ(parse_memory("1.5k"), std::nullopt);
  EXPECT_EQ(parse_memory("1 kb"), std::nullopt);
  EXPECT_EQ(parse_memory("1tb"), std::nullopt);
  EXPECT_EQ(parse_memory("9223372036854775807"), 9223372036854775807LL);
  EXPECT_EQ(parse_memory("9223372036854775807gb"), std::nullopt);
}

TEST(ConfigValues, ParseYesNo) {
  EXPECT_EQ(parse_yes_no("yes"), true);
  EXPECT_EQ(parse_yes_no("YES"), true);
  EXPECT_EQ(parse_yes_no("no"), false);
  EXPECT_EQ(parse_yes_no("No"), false);
  EXPECT_EQ(parse_yes_no("y"), std::nullopt);
  EXPECT_EQ(parse_yes_no(""), std::nullopt);
  EXPECT_EQ(parse_yes_no("1"), std::nullopt);
}

}  // namespace
}  // namespace kv::cmd::test
