// RequestParser and its helpers. Every parser case runs at fragment sizes 1, 2, 5, 10, 100 and
// whole, fed as a connection feeds it, and must give the same commands and error at each size.
// Expected bytes and error texts were checked against redis-server 7.0.15.
#include "proto/request_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kv::proto {
namespace {

using namespace std::string_literals;

using Command = std::vector<std::string>;

// Everything a connection observes while parsing one input.
struct Outcome {
  std::vector<Command> commands;
  std::vector<std::size_t> consumed;  // One per command.
  bool failed = false;
  std::string error;        // error() after ParseStatus::error.
  std::size_t pending = 0;  // Bytes left unconsumed when the input ran out (no error).

  bool operator==(const Outcome&) const = default;
};

void PrintTo(const Outcome& o, std::ostream* os) {
  *os << "{commands:";
  for (const Command& c : o.commands) {
    *os << " [";
    for (const std::string& a : c) *os << testing::PrintToString(a) << ",";
    *os << "]";
  }
  *os << " consumed:" << testing::PrintToString(o.consumed);
  if (o.failed) *os << " error:" << testing::PrintToString(o.error);
  *os << " pending:" << o.pending << "}";
}

constexpr std::size_t kWhole = 0;
constexpr std::size_t kFragmentSizes[] = {1, 2, 5, 10, 100, kWhole};

// Feeds `input` `step` bytes per read (kWhole: one read). Like a connection, it appends each read
// to its buffer, parses every complete command, and after need_more drops the consumed bytes (so
// the partial command moves in memory) and calls again with the same start plus the next read.
Outcome feed(std::string_view input, std::size_t step, std::int64_t max_bulk_len) {
  RequestParser parser(max_bulk_len);
  Outcome out;
  std::string buffer;
  std::size_t start = 0;  // First unconsumed byte of `buffer`.
  std::size_t fed = 0;
  while (fed < input.size()) {
    const std::size_t n = step == kWhole ? input.size() : std::min(step, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (true) {
      const std::string_view window = std::string_view(buffer).substr(start);
      const ParseResult r = parser.parse(window);
      if (r.status == ParseStatus::error) {
        EXPECT_EQ(r.consumed, 0u);
        out.failed = true;
        out.error = std::string(parser.error());
        return out;
      }
      if (r.status == ParseStatus::need_more) {
        EXPECT_EQ(r.consumed, 0u);
        break;
      }
      EXPECT_GT(r.consumed, 0u);
      EXPECT_LE(r.consumed, window.size());
      out.commands.emplace_back(parser.args().begin(), parser.args().end());
      out.consumed.push_back(r.consumed);
      start += r.consumed;
      if (start == buffer.size()) break;
    }
    buffer.erase(0, start);
    start = 0;
  }
  out.pending = buffer.size() - start;
  return out;
}

// The outcome of `input`, after checking that every fragment size gives the same one.
Outcome parse_all(std::string_view input, std::int64_t max_bulk_len = kDefaultMaxBulkLen) {
  const Outcome whole = feed(input, kWhole, max_bulk_len);
  for (const std::size_t step : kFragmentSizes) {
    EXPECT_EQ(feed(input, step, max_bulk_len), whole) << "fragment size " << step;
  }
  return whole;
}

// Expects `input` to parse into exactly `commands`, each using the matching `consumed` bytes.
void expect_commands(std::string_view input, const std::vector<Command>& commands,
                     const std::vector<std::size_t>& consumed, std::size_t pending = 0) {
  const Outcome o = parse_all(input);
  EXPECT_FALSE(o.failed) << o.error;
  EXPECT_EQ(o.commands, commands);
  EXPECT_EQ(o.consumed, consumed);
  EXPECT_EQ(o.pending, pending);
}

// Expects `input` to fail with `error` after the commands before it.
void expect_error(std::string_view input, std::string_view error,
                  const std::vector<Command>& before = {},
                  std::int64_t max_bulk_len = kDefaultMaxBulkLen) {
  const Outcome o = parse_all(input, max_bulk_len);
  EXPECT_TRUE(o.failed) << testing::PrintToString(o);
  EXPECT_EQ(o.error, error);
  EXPECT_EQ(o.commands, before);
}

// --- multibulk ---------------------------------------------------------------------------------

TEST(RespParser, SimpleMultibulk) {
  expect_commands("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", {{"SET", "k", "value"}}, {31});
}

TEST(RespParser, PipelinedCommands) {
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  expect_commands(ping + get + ping + "PING\r\n" + get,
                  {{"PING"}, {"GET", "key"}, {"PING"}, {"PING"}, {"GET", "key"}},
                  {ping.size(), get.size(), ping.size(), 6, get.size()});
}

TEST(RespParser, PipelineEndingInsidePartialCommand) {
  expect_commands("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nke", {{"PING"}}, {14}, 19);
}

TEST(RespParser, BulkSplitAcrossReads) {
  const std::string payload(300, 'x');
  const std::string input = "*2\r\n$4\r\nECHO\r\n$300\r\n" + payload + "\r\n";
  expect_commands(input, {{"ECHO", payload}}, {input.size()});
}

TEST(RespParser, BinarySafeArguments) {
  const std::string arg = "a\0b\r\nc\n\r*$"s;
  const std::string input =
      "*2\r\n$4\r\nECHO\r\n$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  expect_commands(input, {{"ECHO", arg}}, {input.size()});
}

TEST(RespParser, EmptyBulk) {
  expect_commands("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", {{"GET", ""}}, {19});
}

TEST(RespParser, EmptyArguments) {
  expect_commands("*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n", {{"", "", ""}}, {22});
}

TEST(RespParser, ZeroAndNegativeCountAreEmptyCommands) {
  // Redis consumes these and runs nothing: "*0\r\nPING\r\n" answers one +PONG.
  expect_commands("*0\r\nPING\r\n", {{}, {"PING"}}, {4, 6});
  expect_commands("*-1\r\nPING\r\n", {{}, {"PING"}}, {5, 6});
  expect_commands("*-5\r\n*0\r\n", {{}, {}}, {5, 4});
}

TEST(RespParser, LargestMultibulkCountWaitsForArguments) {
  expect_commands("*2147483647\r\n$1\r\na\r\n", {}, {}, 20);
}

TEST(RespParser, BulkTerminatorIsSkippedNotChecked) {
  // Redis skips the two bytes after the payload: "*1\r\n$4\r\nPINGxxPING\r\n" answers two +PONG.
  expect_commands("*1\r\n$4\r\nPINGxxPING\r\n", {{"PING"}, {"PING"}}, {14, 6});
}

TEST(RespParser, CountLineTrustsTheByteAfterCarriageReturn) {
  // Redis looks for '\r' and steps over the next byte: "*1\rX$4\r\nPING\r\n" answers +PONG.
  expect_commands("*1\rX$4\r\nPING\r\n", {{"PING"}}, {14});
}

TEST(RespParser, ArgumentsAreViewsIntoTheInput) {
  RequestParser parser;
  const std::string input = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  ASSERT_EQ(parser.parse(input).status, ParseStatus::command);
  ASSERT_EQ(parser.args().size(), 2u);
  EXPECT_EQ(parser.args()[0].data(), input.data() + 8);
  EXPECT_EQ(parser.args()[1].data(), input.data() + 17);
}

TEST(RespParser, LargeBulkReportsBytesWanted) {
  RequestParser parser;
  std::string input = "*2\r\n$3\r\nSET\r\n$100000\r\nabc";
  ASSERT_EQ(parser.parse(input).status, ParseStatus::need_more);
  // The whole command: 13 bytes before the header, 9 of header, the payload and its CRLF.
  EXPECT_EQ(parser.bytes_wanted(), 13u + 9 + 100000 + 2);
  input.append(100000 - 3, 'x');
  EXPECT_EQ(parser.parse(input).status, ParseStatus::need_more);
  EXPECT_EQ(parser.bytes_wanted(), 13u + 9 + 100000 + 2);
  input.append("\r\n");
  const ParseResult r = parser.parse(input);
  EXPECT_EQ(r.status, ParseStatus::command);
  EXPECT_EQ(r.consumed, input.size());
  ASSERT_EQ(parser.args().size(), 2u);
  EXPECT_EQ(parser.args()[1].size(), 100000u);
}

TEST(RespParser, LargeBulkAtEveryFragmentSize) {
  const std::string payload(kBigBulk + 7, 'v');
  const std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(payload.size()) +
                            "\r\n" + payload + "\r\n";
  expect_commands(input, {{"SET", "k", payload}}, {input.size()});
}

TEST(RespParser, BulkLengthLimitIsInclusive) {
  const Outcome o = parse_all("*1\r\n$10\r\n0123456789\r\n", 10);
  EXPECT_FALSE(o.failed);
  EXPECT_EQ(o.commands, (std::vector<Command>{{"0123456789"}}));
}

TEST(RespParser, DefaultBulkLengthLimitWaitsForPayload) {
  expect_commands("*1\r\n$536870912\r\n", {}, {}, 16);
}

// --- inline ------------------------------------------------------------------------------------

TEST(RespParser, InlineCommand) { expect_commands("PING\r\n", {{"PING"}}, {6}); }

TEST(RespParser, InlineSpacesAndTabs) {
  expect_commands("  SET\tk \t v  \r\n", {{"SET", "k", "v"}}, {15});
}

TEST(RespParser, InlineLineEndingWithNewlineOnly) {
  expect_commands("PING\nECHO a\n", {{"PING"}, {"ECHO", "a"}}, {5, 7});
}

TEST(RespParser, InlineBlankLinesAreEmptyCommands) {
  expect_commands("\r\n\n   \r\nPING\r\n", {{}, {}, {}, {"PING"}}, {2, 1, 5, 6});
}

TEST(RespParser, InlineDoubleQuotesWithEscapes) {
  expect_commands("ECHO \"\\x41\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", {{"ECHO", "A\n\r\t\b\a\\\"q"}},
                  {29});
}

TEST(RespParser, InlineIncompleteHexEscapeIsLiteral) {
  // Redis: ECHO "\x4" -> "x4", ECHO "\x4g" -> "x4g", ECHO "\X41" -> "X41".
  expect_commands("ECHO \"\\x4\" \"\\x4g\" \"\\X41\"\r\n", {{"ECHO", "x4", "x4g", "X41"}}, {26});
}

TEST(RespParser, InlineQuotedSpacesAndNewlines) {
  expect_commands("SET \"a key\" \"line\\r\\nnext\"\n", {{"SET", "a key", "line\r\nnext"}}, {27});
}

TEST(RespParser, InlineSingleQuotes) {
  // Only \' is an escape inside single quotes: 'a\nb' keeps its backslash.
  expect_commands("ECHO 'it\\'s' 'a\\nb'\r\n", {{"ECHO", "it's", "a\\nb"}}, {21});
}

TEST(RespParser, InlineQuotedEmptyStrings) {
  expect_commands("SET \"\" ''\r\n", {{"SET", "", ""}}, {11});
}

TEST(RespParser, InlineQuoteInsideToken) {
  // sdssplitargs: ab"cd" is one argument "abcd"; the closing quote ends the token.
  expect_commands("ECHO ab\"cd\" ef\r\n", {{"ECHO", "abcd", "ef"}}, {16});
}

TEST(RespParser, InlineClosingQuoteFollowedByTab) {
  expect_commands("ECHO \"a\"\tb\r\n", {{"ECHO", "a", "b"}}, {12});
}

TEST(RespParser, InlineCarriageReturnInsideLineSeparates) {
  // Redis answers "PI\rNG\r\n" with "unknown command 'PI', with args beginning with: 'NG'".
  expect_commands("PI\rNG\r\n", {{"PI", "NG"}}, {7});
}

TEST(RespParser, InlineVerticalTabAndFormFeedStayInsideToken) {
  // Redis: "ECHO a\vb" answers $3 a\vb. isspace() skips them between tokens only.
  expect_commands("\vECHO a\vb \fc\fd\r\n", {{"ECHO", "a\vb", "c\fd"}}, {16});
}

TEST(RespParser, InlineNulTruncatesLine) {
  // Like sdssplitargs on a C string, the arguments stop at the NUL; the whole line is consumed.
  // Redis 7.0 itself differs: its strchr(querybuf, '\n') stops at the NUL, so it never sees the
  // newline and waits (then fails with "too big inline request" past 64 KiB).
  expect_commands("PING\0junk\r\nECHO x\r\n"s, {{"PING"}, {"ECHO", "x"}}, {11, 8});
}

TEST(RespParser, InlineLongestLineWaits) {
  expect_commands(std::string(kInlineMax, 'a'), {}, {}, kInlineMax);
}

TEST(RespParser, InlineLongLineWithNewlineIsAccepted) {
  // The limit applies only while no newline has arrived, as in Redis.
  const std::string arg(kInlineMax + 10, 'a');
  const Outcome o = feed("ECHO " + arg + "\r\n", kWhole, kDefaultMaxBulkLen);
  EXPECT_FALSE(o.failed);
  EXPECT_EQ(o.commands, (std::vector<Command>{{"ECHO", arg}}));
}

// --- protocol errors ---------------------------------------------------------------------------

TEST(RespParserError, TooBigInlineRequest) {
  expect_error(std::string(kInlineMax + 1, 'a'), "ERR Protocol error: too big inline request");
  expect_error("PING\r\n" + std::string(kInlineMax + 1, 'a'),
               "ERR Protocol error: too big inline request", {{"PING"}});
}

TEST(RespParserError, TooBigMultibulkCountString) {
  expect_commands("*" + std::string(kInlineMax - 1, '1'), {}, {}, kInlineMax);
  expect_error("*" + std::string(kInlineMax, '1'),
               "ERR Protocol error: too big mbulk count string");
}

TEST(RespParserError, InvalidMultibulkLength) {
  for (const char* input : {"*abc\r\n", "*\r\n", "*+1\r\n", "*01\r\n", "*-0\r\n", "* 1\r\n",
                            "*1 \r\n", "*1x\r\n", "*2147483648\r\n", "*9223372036854775808\r\n",
                            "*99999999999999999999\r\n", "*1\n$4\r\nPING\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    expect_error(input, "ERR Protocol error: invalid multibulk length");
  }
}

TEST(RespParserError, ExpectedDollar) {
  expect_error("*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'");
  expect_error("*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'");
  expect_error("*2\r\n$1\r\na\r\n+b\r\n", "ERR Protocol error: expected '$', got '+'");
  // Redis writes CR and LF in error texts as spaces, so the error reply stays one line:
  // "PING\r\n*1\r\n\r\n" answers "+PONG\r\n-ERR Protocol error: expected '$', got ' '\r\n".
  expect_error("PING\r\n*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '", {{"PING"}});
  expect_error("*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '");
  expect_error("*1\r\n\xff\r\n", "ERR Protocol error: expected '$', got '\xff'");
}

TEST(RespParserError, ExpectedDollarWaitsForWholeLine) {
  // Like Redis, the first byte is judged only once the line's '\r' and one more byte are in.
  expect_commands("*1\r\nx", {}, {}, 5);
  expect_commands("*1\r\nx\r", {}, {}, 6);
}

TEST(RespParserError, InvalidBulkLength) {
  for (const char* input :
       {"*1\r\n$-1\r\n", "*1\r\n$abc\r\n", "*1\r\n$\r\n", "*1\r\n$+4\r\nPING\r\n",
        "*1\r\n$04\r\nPING\r\n", "*1\r\n$ 4\r\nPING\r\n", "*1\r\n$4 \r\nPING\r\n", "*1\r\n$-0\r\n",
        "*1\r\n$536870913\r\n", "*1\r\n$9223372036854775808\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    expect_error(input, "ERR Protocol error: invalid bulk length");
  }
}

TEST(RespParserError, InvalidBulkLengthAboveConfiguredMax) {
  expect_error("*1\r\n$11\r\n", "ERR Protocol error: invalid bulk length", {}, 10);
  expect_error("*2\r\n$1\r\na\r\n$11\r\n", "ERR Protocol error: invalid bulk length", {}, 10);
}

TEST(RespParserError, SetMaxBulkLenAppliesToNextCommand) {
  RequestParser parser;
  parser.set_max_bulk_len(3);
  EXPECT_EQ(parser.parse("*1\r\n$4\r\nPING\r\n").status, ParseStatus::error);
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid bulk length");
}

TEST(RespParserError, TooBigBulkCountString) {
  expect_commands("*1\r\n$" + std::string(kInlineMax - 1, '1'), {}, {}, kInlineMax + 4);
  expect_error("*1\r\n$" + std::string(kInlineMax, '1'),
               "ERR Protocol error: too big bulk count string");
}

TEST(RespParserError, UnbalancedQuotes) {
  for (const char* input : {"ECHO \"abc\r\n", "ECHO \"abc\"def\r\n", "ECHO 'abc\r\n",
                            "ECHO 'abc'def\r\n", "ECHO \"a\\\"\r\n", "ECHO \"abc\\\r\n", "\"\r\n",
                            "'\n", "ECHO ab\"cd\"ef\r\n", "ECHO \"a\"'b'\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    expect_error(input, "ERR Protocol error: unbalanced quotes in request");
  }
}

TEST(RespParserError, UnbalancedQuotesAfterPipelinedCommand) {
  expect_error("*1\r\n$4\r\nPING\r\nECHO \"x\r\n",
               "ERR Protocol error: unbalanced quotes in request", {{"PING"}});
}

// --- helpers -----------------------------------------------------------------------------------

TEST(ParseInt64, AcceptsWhatString2llAccepts) {
  std::int64_t v = -1;
  EXPECT_TRUE(parse_int64("0", v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_int64("7", v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(parse_int64("-12", v));
  EXPECT_EQ(v, -12);
  EXPECT_TRUE(parse_int64("1234567890", v));
  EXPECT_EQ(v, 1234567890);
  EXPECT_TRUE(parse_int64("9223372036854775807", v));
  EXPECT_EQ(v, std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(parse_int64("-9223372036854775808", v));
  EXPECT_EQ(v, std::numeric_limits<std::int64_t>::min());
}

TEST(ParseInt64, RejectsWhatString2llRejects) {
  for (const char* s : {"",
                        "-",
                        "+",
                        "+1",
                        "-0",
                        "00",
                        "01",
                        "-01",
                        " 1",
                        "1 ",
                        "1a",
                        "a1",
                        "0x1",
                        "1.0",
                        "1e3",
                        "--1",
                        "9223372036854775808",
                        "-9223372036854775809",
                        "18446744073709551615",
                        "18446744073709551616",
                        "99999999999999999999",
                        "-99999999999999999999",
                        "123456789012345678901"}) {
    std::int64_t v = 42;
    EXPECT_FALSE(parse_int64(s, v)) << '"' << s << '"';
    EXPECT_EQ(v, 42) << '"' << s << '"';
  }
}

TEST(ParseInt64, StopsAtTheViewEnd) {
  std::int64_t v = 0;
  EXPECT_TRUE(parse_int64(std::string_view("12345", 2), v));
  EXPECT_EQ(v, 12);
  EXPECT_FALSE(parse_int64("1\0"s, v));
}

TEST(SplitInlineArgs, ReturnsFalseAndNoArgsOnUnbalancedQuotes) {
  std::vector<std::string> args{"stale"};
  EXPECT_FALSE(split_inline_args("a \"b", args));
  EXPECT_TRUE(args.empty());
  EXPECT_TRUE(split_inline_args(" a  b ", args));
  EXPECT_EQ(args, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_inline_args("", args));
  EXPECT_TRUE(args.empty());
}

}  // namespace
}  // namespace kv::proto
