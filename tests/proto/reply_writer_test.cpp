// ReplyWriter, byte for byte in RESP2 and RESP3. Expected bytes are what redis-server 7.0.15 sends
// (for example ZSCORE of 0.1 is "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n").
#include "proto/reply_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace kv::proto {
namespace {

using namespace std::string_literals;

// The bytes `write` produces in protocol version `resp`.
std::string written(int resp, const std::function<void(ReplyWriter&)>& write) {
  std::string out;
  ReplyWriter writer(out, resp);
  write(writer);
  return out;
}

// Expects `write` to produce `resp2` for RESP2 clients and `resp3` for RESP3 clients.
void expect_bytes(const std::function<void(ReplyWriter&)>& write, const std::string& resp2,
                  const std::string& resp3) {
  EXPECT_EQ(written(2, write), resp2);
  EXPECT_EQ(written(3, write), resp3);
}

TEST(ReplyWriter, Simple) {
  expect_bytes([](ReplyWriter& w) { w.simple("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  expect_bytes([](ReplyWriter& w) { w.simple(""); }, "+\r\n", "+\r\n");
}

TEST(ReplyWriter, Ok) {
  expect_bytes([](ReplyWriter& w) { w.ok(); }, "+OK\r\n", "+OK\r\n");
}

TEST(ReplyWriter, Error) {
  expect_bytes([](ReplyWriter& w) { w.error("ERR syntax error"); }, "-ERR syntax error\r\n",
               "-ERR syntax error\r\n");
  expect_bytes([](ReplyWriter& w) { w.error("WRONGTYPE Operation against a key"); },
               "-WRONGTYPE Operation against a key\r\n", "-WRONGTYPE Operation against a key\r\n");
}

TEST(ReplyWriter, Integer) {
  expect_bytes([](ReplyWriter& w) { w.integer(0); }, ":0\r\n", ":0\r\n");
  expect_bytes([](ReplyWriter& w) { w.integer(-1); }, ":-1\r\n", ":-1\r\n");
  expect_bytes([](ReplyWriter& w) { w.integer(std::numeric_limits<std::int64_t>::max()); },
               ":9223372036854775807\r\n", ":9223372036854775807\r\n");
  expect_bytes([](ReplyWriter& w) { w.integer(std::numeric_limits<std::int64_t>::min()); },
               ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
}

TEST(ReplyWriter, Bulk) {
  expect_bytes([](ReplyWriter& w) { w.bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  expect_bytes([](ReplyWriter& w) { w.bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
}

TEST(ReplyWriter, BulkIsBinarySafe) {
  const std::string bytes = "a\0\r\n\xff"s;
  expect_bytes([&](ReplyWriter& w) { w.bulk(bytes); }, "$5\r\na\0\r\n\xff\r\n"s,
               "$5\r\na\0\r\n\xff\r\n"s);
}

TEST(ReplyWriter, LargeBulkHeader) {
  const std::string bytes(100000, 'x');
  EXPECT_EQ(written(2, [&](ReplyWriter& w) { w.bulk(bytes); }), "$100000\r\n" + bytes + "\r\n");
}

TEST(ReplyWriter, Null) {
  expect_bytes([](ReplyWriter& w) { w.null(); }, "$-1\r\n", "_\r\n");
}

TEST(ReplyWriter, NullArray) {
  expect_bytes([](ReplyWriter& w) { w.null_array(); }, "*-1\r\n", "_\r\n");
}

TEST(ReplyWriter, Array) {
  expect_bytes([](ReplyWriter& w) { w.array(0); }, "*0\r\n", "*0\r\n");
  expect_bytes(
      [](ReplyWriter& w) {
        w.array(2);
        w.bulk("a");
        w.integer(1);
      },
      "*2\r\n$1\r\na\r\n:1\r\n", "*2\r\n$1\r\na\r\n:1\r\n");
}

TEST(ReplyWriter, MapIsFlatArrayInResp2) {
  expect_bytes([](ReplyWriter& w) { w.map(0); }, "*0\r\n", "%0\r\n");
  expect_bytes(
      [](ReplyWriter& w) {
        w.map(2);
        w.bulk("a");
        w.integer(1);
        w.bulk("b");
        w.null();
      },
      "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n");
}

TEST(ReplyWriter, SetIsArrayInResp2) {
  expect_bytes([](ReplyWriter& w) { w.set(0); }, "*0\r\n", "~0\r\n");
  expect_bytes(
      [](ReplyWriter& w) {
        w.set(2);
        w.bulk("x");
        w.bulk("y");
      },
      "*2\r\n$1\r\nx\r\n$1\r\ny\r\n", "~2\r\n$1\r\nx\r\n$1\r\ny\r\n");
}

TEST(ReplyWriter, DoubleIsBulkInResp2) {
  expect_bytes([](ReplyWriter& w) { w.dbl(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(3); }, "$1\r\n3\r\n", ",3\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(0); }, "$1\r\n0\r\n", ",0\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(-0.0); }, "$2\r\n-0\r\n", ",-0\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(-2.25); }, "$5\r\n-2.25\r\n", ",-2.25\r\n");
}

TEST(ReplyWriter, DoubleUsesSeventeenSignificantDigits) {
  expect_bytes([](ReplyWriter& w) { w.dbl(0.1); }, "$19\r\n0.10000000000000001\r\n",
               ",0.10000000000000001\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(1.0 / 3); }, "$19\r\n0.33333333333333331\r\n",
               ",0.33333333333333331\r\n");
  expect_bytes([](ReplyWriter& w) { w.dbl(1e300); }, "$23\r\n1.0000000000000001e+300\r\n",
               ",1.0000000000000001e+300\r\n");
}

TEST(ReplyWriter, DoubleInfinity) {
  const double inf = std::numeric_limits<double>::infinity();
  expect_bytes([&](ReplyWriter& w) { w.dbl(inf); }, "$3\r\ninf\r\n", ",inf\r\n");
  expect_bytes([&](ReplyWriter& w) { w.dbl(-inf); }, "$4\r\n-inf\r\n", ",-inf\r\n");
}

TEST(ReplyWriter, BooleanIsIntegerInResp2) {
  expect_bytes([](ReplyWriter& w) { w.boolean(true); }, ":1\r\n", "#t\r\n");
  expect_bytes([](ReplyWriter& w) { w.boolean(false); }, ":0\r\n", "#f\r\n");
}

TEST(ReplyWriter, VerbatimIsBulkInResp2) {
  expect_bytes([](ReplyWriter& w) { w.verbatim("txt", "hello"); }, "$5\r\nhello\r\n",
               "=9\r\ntxt:hello\r\n");
  expect_bytes([](ReplyWriter& w) { w.verbatim("mkd", ""); }, "$0\r\n\r\n", "=4\r\nmkd:\r\n");
  expect_bytes([](ReplyWriter& w) { w.verbatim("txt", "a\r\nb"); }, "$4\r\na\r\nb\r\n",
               "=8\r\ntxt:a\r\nb\r\n");
}

TEST(ReplyWriter, AppendsToTheBuffer) {
  std::string out = "existing";
  ReplyWriter writer(out);
  writer.ok();
  writer.integer(7);
  EXPECT_EQ(out, "existing+OK\r\n:7\r\n");
  EXPECT_EQ(&writer.buffer(), &out);
}

TEST(ReplyWriter, DefaultsToResp2AndSwitches) {
  std::string out;
  ReplyWriter writer(out);
  EXPECT_EQ(writer.resp(), 2);
  writer.null();
  writer.set_resp(3);
  EXPECT_EQ(writer.resp(), 3);
  writer.null();
  writer.set_resp(2);
  writer.boolean(true);
  EXPECT_EQ(out, "$-1\r\n_\r\n:1\r\n");
}

}  // namespace
}  // namespace kv::proto
