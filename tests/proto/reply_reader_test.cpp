// ReplyReader and encode_command: every RESP2/RESP3 type, nesting, partial input, bad input.
#include "proto/reply_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "proto/reply_writer.hpp"
#include "proto/request_parser.hpp"

namespace kv::proto {
namespace {

using namespace std::string_literals;

// A compact rendering of a reply tree, in the RESP type letters: `*[:1,$a]`.
std::string describe(const Reply& r) {
  using T = Reply::Type;
  const auto children = [&r](char type) {
    std::string s(1, type);
    s += '[';
    for (std::size_t i = 0; i < r.elements.size(); ++i) {
      if (i > 0) s += ',';
      s += describe(r.elements[i]);
    }
    return s + ']';
  };
  switch (r.type) {
    case T::simple:
      return "+" + r.str;
    case T::error:
      return "-" + r.str;
    case T::integer:
      return ":" + std::to_string(r.integer);
    case T::bulk:
      return "$" + r.str;
    case T::null:
      return "_";
    case T::array:
      return children('*');
    case T::map:
      return children('%');
    case T::set:
      return children('~');
    case T::push:
      return children('>');
    case T::dbl:
      return "," + r.str;
    case T::boolean:
      return r.integer != 0 ? "#t" : "#f";
    case T::verbatim:
      return "=" + r.str;
    case T::big_number:
      return "(" + r.str;
  }
  return "?";
}

// Parses exactly one reply that fills `in`, and describes it.
std::string read_whole(std::string_view in) {
  Reply reply;
  std::size_t consumed = 0;
  const ReadStatus s = ReplyReader::parse(in, reply, consumed);
  EXPECT_EQ(s, ReadStatus::reply) << testing::PrintToString(std::string(in));
  if (s != ReadStatus::reply) return "<not a reply>";
  EXPECT_EQ(consumed, in.size()) << testing::PrintToString(std::string(in));
  return describe(reply);
}

ReadStatus status_of(std::string_view in) {
  Reply reply;
  std::size_t consumed = 0;
  return ReplyReader::parse(in, reply, consumed);
}

// Valid replies of every type, flat and nested, with their descriptions.
struct Sample {
  std::string bytes;
  std::string expected;
};

const std::vector<Sample>& samples() {
  static const std::vector<Sample> kSamples = {
      {"+OK\r\n", "+OK"},
      {"+\r\n", "+"},
      {"-ERR unknown command\r\n", "-ERR unknown command"},
      {":0\r\n", ":0"},
      {":-42\r\n", ":-42"},
      {":9223372036854775807\r\n", ":9223372036854775807"},
      {":-9223372036854775808\r\n", ":-9223372036854775808"},
      {"$5\r\nhello\r\n", "$hello"},
      {"$0\r\n\r\n", "$"},
      {"$6\r\na\r\n\0bc\r\n"s, "$a\r\n\0bc"s},
      {"$-1\r\n", "_"},
      {"*-1\r\n", "_"},
      {"_\r\n", "_"},
      {"*0\r\n", "*[]"},
      {"*3\r\n:1\r\n$1\r\na\r\n+b\r\n", "*[:1,$a,+b]"},
      {"%0\r\n", "%[]"},
      {"%2\r\n$1\r\nk\r\n:1\r\n+x\r\n_\r\n", "%[$k,:1,+x,_]"},
      {"~2\r\n$1\r\na\r\n$1\r\nb\r\n", "~[$a,$b]"},
      {">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n", ">[$message,$hi]"},
      {",1.5\r\n", ",1.5"},
      {",-inf\r\n", ",-inf"},
      {",0.10000000000000001\r\n", ",0.10000000000000001"},
      {"#t\r\n", "#t"},
      {"#f\r\n", "#f"},
      {"=9\r\ntxt:hello\r\n", "=hello"},
      {"=4\r\ntxt:\r\n", "="},
      {"!21\r\nSYNTAX invalid syntax\r\n", "-SYNTAX invalid syntax"},
      {"(3492890328409238509324850943850943825024385\r\n",
       "(3492890328409238509324850943850943825024385"},
      {"*2\r\n*2\r\n:1\r\n:2\r\n%1\r\n~1\r\n#t\r\n*0\r\n", "*[*[:1,:2],%[~[#t],*[]]]"},
      {"*3\r\n$-1\r\n*-1\r\n_\r\n", "*[_,_,_]"},
  };
  return kSamples;
}

TEST(ReplyReader, EveryType) {
  for (const Sample& s : samples()) {
    EXPECT_EQ(read_whole(s.bytes), s.expected) << testing::PrintToString(s.bytes);
  }
}

TEST(ReplyReader, NeedMoreOnEveryPrefix) {
  for (const Sample& s : samples()) {
    for (std::size_t n = 0; n < s.bytes.size(); ++n) {
      EXPECT_EQ(status_of(std::string_view(s.bytes).substr(0, n)), ReadStatus::need_more)
          << testing::PrintToString(s.bytes.substr(0, n));
    }
  }
}

TEST(ReplyReader, ReadsPipelinedRepliesOneAtATime) {
  const std::string in = "+OK\r\n*1\r\n:1\r\n$3\r\nabc\r\n";
  std::size_t pos = 0;
  std::vector<std::string> got;
  while (pos < in.size()) {
    Reply reply;
    std::size_t consumed = 0;
    ASSERT_EQ(ReplyReader::parse(std::string_view(in).substr(pos), reply, consumed),
              ReadStatus::reply);
    got.push_back(describe(reply));
    pos += consumed;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"+OK", "*[:1]", "$abc"}));
}

TEST(ReplyReader, DeepNestingUpToLimit) {
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "*1\r\n";
  EXPECT_EQ(status_of(ok + ":1\r\n"), ReadStatus::reply);
  EXPECT_EQ(status_of("*1\r\n" + ok + ":1\r\n"), ReadStatus::error);
}

TEST(ReplyReader, VeryDeepNestingIsAnErrorNotACrash) {
  std::string in;
  for (int i = 0; i < 100000; ++i) in += "*1\r\n";
  EXPECT_EQ(status_of(in), ReadStatus::error);
}

TEST(ReplyReader, MalformedInputIsAnError) {
  for (const std::string& in : {"?\r\n"s,
                                "x\r\n"s,
                                "\r\n"s,
                                "+OK\rX"s,
                                ":abc\r\n"s,
                                ":\r\n"s,
                                ":+1\r\n"s,
                                ":01\r\n"s,
                                ":9223372036854775808\r\n"s,
                                "$-2\r\n"s,
                                "$abc\r\n"s,
                                "$\r\n"s,
                                "=-3\r\n"s,
                                "!x\r\n"s,
                                "*-2\r\n"s,
                                "*x\r\n"s,
                                "~1x\r\n"s,
                                ">-5\r\n"s,
                                "%-2\r\n"s,
                                "%4611686018427387904\r\n"s,
                                "%9223372036854775807\r\n"s,
                                "*2\r\n:1\r\n:x\r\n"s,
                                "%1\r\n+k\r\n?\r\n"s}) {
    EXPECT_EQ(status_of(in), ReadStatus::error) << testing::PrintToString(in);
  }
}

TEST(ReplyReader, HugeCountsWaitForElements) {
  EXPECT_EQ(status_of("*9223372036854775807\r\n:1\r\n"), ReadStatus::need_more);
  EXPECT_EQ(status_of("%4611686018427387903\r\n:1\r\n"), ReadStatus::need_more);
  EXPECT_EQ(status_of("$9223372036854775807\r\nabc"), ReadStatus::need_more);
}

TEST(ReplyReader, ReadsWhatTheWriterWrites) {
  for (const int resp : {2, 3}) {
    std::string out;
    ReplyWriter w(out, resp);
    w.array(10);
    w.ok();
    w.error("ERR x");
    w.integer(-7);
    w.bulk("b\r\n");
    w.null();
    w.map(1);
    w.bulk("k");
    w.null_array();
    w.set(1);
    w.dbl(2.5);
    w.boolean(true);
    w.verbatim("txt", "v");
    w.array(0);
    EXPECT_EQ(read_whole(out), resp == 3 ? "*[+OK,-ERR x,:-7,$b\r\n,_,%[$k,_],~[,2.5],#t,=v,*[]]"
                                         : "*[+OK,-ERR x,:-7,$b\r\n,_,*[$k,_],*[$2.5],:1,$v,*[]]")
        << "RESP" << resp;
  }
}

TEST(EncodeCommand, EncodesMultibulk) {
  const std::vector<std::string> args = {"SET", "k", ""};
  EXPECT_EQ(encode_command(args), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  const std::vector<std::string_view> views = {"PING"};
  EXPECT_EQ(encode_command(views), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(encode_command(std::vector<std::string>{}), "*0\r\n");
}

TEST(EncodeCommand, RoundTripsThroughRequestParserAndReplyReader) {
  const std::vector<std::string> args = {"SET", "key with spaces", "a\0b\r\n\"'"s, "", "\xff\xfe"s};
  const std::string encoded = encode_command(args);

  RequestParser parser;
  const ParseResult r = parser.parse(encoded);
  ASSERT_EQ(r.status, ParseStatus::command);
  EXPECT_EQ(r.consumed, encoded.size());
  EXPECT_EQ(std::vector<std::string>(parser.args().begin(), parser.args().end()), args);

  Reply reply;
  std::size_t consumed = 0;
  ASSERT_EQ(ReplyReader::parse(encoded, reply, consumed), ReadStatus::reply);
  EXPECT_EQ(consumed, encoded.size());
  ASSERT_EQ(reply.type, Reply::Type::array);
  ASSERT_EQ(reply.elements.size(), args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    EXPECT_EQ(reply.elements[i].type, Reply::Type::bulk);
    EXPECT_EQ(reply.elements[i].str, args[i]);
  }
}

TEST(EncodeCommand, StringViewOverloadMatchesStringOverload) {
  const std::vector<std::string> args = {"HSET", "h", "f", "v\0"s};
  const std::vector<std::string_view> views(args.begin(), args.end());
  EXPECT_EQ(encode_command(views), encode_command(args));
}

}  // namespace
}  // namespace kv::proto
