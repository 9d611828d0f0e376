// Protocol edge cases and errors, byte for byte against Debian's redis-server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.hpp"

namespace kv::test {
namespace {

struct ProtocolCase {
  std::string name;
  std::string input;     // Sent in one write.
  std::string expected;  // What Redis 7 answers before closing (or, for open cases, in total).
  bool closes;           // Whether the server closes the connection after answering.
};

// Big inputs are built here rather than written out.
std::vector<ProtocolCase> cases() {
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  return {
      {"earlier_commands_answered_before_error", ping + ping + "*x\r\n",
       "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n", true},
      {"negative_count_ignored", "*-1\r\n" + ping, "+PONG\r\n", false},
      {"zero_count_ignored", "*0\r\n" + ping, "+PONG\r\n", false},
      {"count_above_int_max", "*2147483648\r\n",
       "-ERR Protocol error: invalid multibulk length\r\n", true},
      {"count_with_plus", "*+1\r\n", "-ERR Protocol error: invalid multibulk length\r\n", true},
      {"expected_dollar", "*1\r\n:4\r\nPING\r\n", "-ERR Protocol error: expected '$', got ':'\r\n",
       true},
      {"negative_bulk_length", "*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n",
       true},
      {"bulk_too_big", "*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n",
       true},
      {"bulk_not_a_number", "*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n", true},
      {"inline_ping", "PING\r\n", "+PONG\r\n", false},
      {"inline_lf_only", "ECHO hi\n", "$2\r\nhi\r\n", false},
      {"inline_quotes", "ECHO \"a\\x41\\n b\"\r\n", "$5\r\naA\n b\r\n", false},
      {"inline_single_quotes", "ECHO 'it\\'s'\r\n", "$4\r\nit's\r\n", false},
      {"inline_blank_line_ignored", "\r\n\r\nPING\r\n", "+PONG\r\n", false},
      {"inline_unbalanced_quotes", "PING\r\nECHO \"abc\r\n",
       "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n", true},
      {"inline_quote_not_followed_by_space", "ECHO \"a\"b\r\n",
       "-ERR Protocol error: unbalanced quotes in request\r\n", true},
      {"too_big_inline", std::string(70 * 1024, 'a'),
       "-ERR Protocol error: too big inline request\r\n", true},
      {"too_big_mbulk_count", "*" + std::string(70 * 1024, '1'),
       "-ERR Protocol error: too big mbulk count string\r\n", true},
      {"too_big_bulk_count", "*1\r\n$" + std::string(70 * 1024, '1'),
       "-ERR Protocol error: too big bulk count string\r\n", true},
      {"unknown_command", "*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n",
       "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n", false},
      {"wrong_arity", "*1\r\n$3\r\nGET\r\n", "-ERR wrong number of arguments for 'get' command\r\n",
       false},
  };
}

TEST(Protocol, ErrorsAndEdgeCasesMatchRedisByteForByte) {
  Kvd kvd;
  RedisServer redis;
  for (const ProtocolCase& c : cases()) {
    for (int port : {kvd.port(), redis.port()}) {
      RawClient client(port);
      client.send(c.input);
      std::string got;
      if (c.closes) {
        got = client.read_until_close();
      } else {
        // Read as many replies as `expected` holds, then check the connection is still usable.
        while (got.size() < c.expected.size()) {
          const std::string r = client.read_raw();
          if (r.empty()) break;
          got += r;
        }
        EXPECT_EQ(client.call_raw({"PING"}), "+PONG\r\n") << c.name << " port " << port;
      }
      EXPECT_EQ(got, c.expected) << c.name << (port == kvd.port() ? " (kvd)" : " (redis)");
    }
  }
}

TEST(Protocol, CommandSplitAcrossManyWrites) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::string value(100000, 'v');
  const std::string request = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + value + "\r\n";
  for (std::size_t i = 0; i < request.size(); i += 7777) client.send(request.substr(i, 7777));
  EXPECT_EQ(client.read_raw(), "+OK\r\n");
  // One byte at a time for a small command.
  for (char ch : std::string("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")) client.send(std::string(1, ch));
  EXPECT_EQ(client.read().str, value);
}

TEST(Protocol, BulkLimitFollowsConfigSet) {
  Kvd kvd;
  RawClient admin(kvd.port());
  EXPECT_EQ(admin.call_raw({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}), "+OK\r\n");
  RawClient client(kvd.port());
  client.send("*1\r\n$1048577\r\n");
  EXPECT_EQ(client.read_until_close(), "-ERR Protocol error: invalid bulk length\r\n");
}

}  // namespace
}  // namespace kv::test
