// Debian's redis-cli and redis-benchmark against kvd.
#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"

namespace kv::test {
namespace {

CommandResult cli(int port, std::vector<std::string> args) {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

TEST(RedisCli, MsetMgetDelInfo) {
  Kvd kvd;
  EXPECT_EQ(cli(kvd.port(), {"MSET", "a", "1", "b", "2"}).out, "OK\n");
  EXPECT_EQ(cli(kvd.port(), {"MGET", "a", "b", "c"}).out, "1\n2\n\n");
  EXPECT_EQ(cli(kvd.port(), {"DEL", "a", "b", "c"}).out, "2\n");
  EXPECT_EQ(cli(kvd.port(), {"MGET", "a"}).out, "\n");
  const auto info = cli(kvd.port(), {"INFO"});
  EXPECT_EQ(info.exit_code, 0);
  for (const char* needle :
       {"# Server", "redis_version:", "# Clients", "connected_clients:1", "# Memory",
        "used_memory:", "# Stats", "total_commands_processed:", "# Store", "keys_stored:0",
        "set_ops:2", "get_ops:4", "delete_ops:3", "# Keyspace", "loading:0"}) {
    EXPECT_NE(info.out.find(needle), std::string::npos) << needle;
  }
  const auto stats = cli(kvd.port(), {"INFO", "stats"});
  EXPECT_EQ(stats.out.find("# Server"), std::string::npos);
  EXPECT_NE(stats.out.find("# Stats"), std::string::npos);
}

TEST(RedisCli, TtyStyleOutputAndErrors) {
  Kvd kvd;
  EXPECT_EQ(cli(kvd.port(), {"--no-raw", "SET", "k", "v"}).out, "OK\n");
  EXPECT_EQ(cli(kvd.port(), {"--no-raw", "GET", "k"}).out, "\"v\"\n");
  EXPECT_EQ(cli(kvd.port(), {"--no-raw", "GET", "nope"}).out, "(nil)\n");
  EXPECT_EQ(cli(kvd.port(), {"--no-raw", "EXISTS", "k"}).out, "(integer) 1\n");
  EXPECT_EQ(cli(kvd.port(), {"--no-raw", "NOPE"}).out,
            "(error) ERR unknown command 'NOPE', with args beginning with: \n");
}

TEST(RedisBenchmark, EveryTestRunsAndReports) {
  Kvd kvd;
  const auto r = run_command({"redis-benchmark", "-p", std::to_string(kvd.port()), "-t",
                              "ping_inline,ping_mbulk,set,get,mset", "-n", "20000", "-q"},
                             {}, std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
  for (const char* test : {"PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: ", "MSET (10 keys): "}) {
    const auto at = r.out.rfind(test);
    ASSERT_NE(at, std::string::npos) << test << " missing in:\n" << r.out;
    EXPECT_NE(r.out.find("requests per second", at), std::string::npos) << test;
  }
  EXPECT_EQ(r.out.find("Error"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kv::test
