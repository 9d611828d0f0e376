// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST: exact
// replies, checked against redis-server 7.0.15. Time moves only through clock_.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using namespace std::string_literals;
using ExpireCmd = CmdTest;

constexpr std::int64_t kStart = 1'700'000'000'000;  // ManualClock's default start, in ms.
constexpr std::int64_t kStartSec = kStart / 1000;
const std::vector<std::string> kSetters = {"expire", "pexpire", "expireat", "pexpireat"};
const std::vector<std::string> kReaders = {"ttl", "pttl", "expiretime", "pexpiretime"};

std::string expire_time_error(const std::string& name) {
  return "-ERR invalid expire time in '" + name + "' command\r\n";
}

TEST_F(ExpireCmd, ClockStartsWhereTheTestsAssume) { ASSERT_EQ(clock_.now_ms(), kStart); }

TEST_F(ExpireCmd, ArityErrors) {
  for (const std::string& name : kSetters) {
    EXPECT_EQ(run({name}), wrong_args(name));
    EXPECT_EQ(run({name, "k"}), wrong_args(name));
  }
  for (const std::string& name : kReaders) {
    EXPECT_EQ(run({name}), wrong_args(name));
    EXPECT_EQ(run({name, "k", "x"}), wrong_args(name));
  }
  EXPECT_EQ(run({"persist"}), wrong_args("persist"));
  EXPECT_EQ(run({"persist", "k", "x"}), wrong_args("persist"));
}

TEST_F(ExpireCmd, MissingKey) {
  for (const std::string& name : kReaders) EXPECT_EQ(run({name, "nokey"}), ":-2\r\n") << name;
  for (const std::string& name : kSetters) {
    EXPECT_EQ(run({name, "nokey", "100"}), ":0\r\n") << name;
    EXPECT_EQ(run({name, "nokey", "0"}), ":0\r\n") << name;
    EXPECT_EQ(run({name, "nokey", "-5", "lt"}), ":0\r\n") << name;
  }
  EXPECT_EQ(run({"persist", "nokey"}), ":0\r\n");
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
}

TEST_F(ExpireCmd, KeyWithoutDeadline) {
  run({"set", "k", "v"});
  for (const std::string& name : kReaders) EXPECT_EQ(run({name, "k"}), ":-1\r\n") << name;
  EXPECT_EQ(run({"persist", "k"}), ":0\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
}

TEST_F(ExpireCmd, ExpireSetsADeadlineInSeconds) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":100000\r\n");
  EXPECT_EQ(run({"expiretime", "k"}), integer(kStartSec + 100));
  EXPECT_EQ(run({"pexpiretime", "k"}), integer(kStart + 100'000));
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  clock_.advance(40'000);
  EXPECT_EQ(run({"ttl", "k"}), ":60\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":60000\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), integer(kStart + 100'000));
}

TEST_F(ExpireCmd, PexpireSetsADeadlineInMilliseconds) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"pexpire", "k", "1234"}), ":1\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":1234\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), integer(kStart + 1234));
  EXPECT_EQ(run({"expiretime", "k"}), integer(kStartSec + 1));
}

TEST_F(ExpireCmd, ExpireatAndPexpireatTakeUnixTimes) {
  run({"set", "a", "v"});
  run({"set", "b", "v"});
  EXPECT_EQ(run({"expireat", "a", std::to_string(kStartSec + 50)}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "a"}), integer(kStart + 50'000));
  EXPECT_EQ(run({"ttl", "a"}), ":50\r\n");
  EXPECT_EQ(run({"pexpireat", "b", std::to_string(kStart + 777)}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "b"}), integer(kStart + 777));
  EXPECT_EQ(run({"pttl", "b"}), ":777\r\n");
  EXPECT_EQ(run({"expireat", "b", "4000000000"}), ":1\r\n");
  EXPECT_EQ(run({"expiretime", "b"}), ":4000000000\r\n");
  EXPECT_EQ(run({"pexpiretime", "b"}), ":4000000000000\r\n");
}

TEST_F(ExpireCmd, KeyExpiresOneMillisecondAfterItsDeadline) {
  run({"set", "k", "v"});
  run({"set", "other", "v"});
  EXPECT_EQ(run({"pexpire", "k", "100"}), ":1\r\n");
  clock_.advance(99);
  EXPECT_EQ(run({"pttl", "k"}), ":1\r\n");
  clock_.advance(1);  // now == deadline: still alive, as in Redis (expired when now > deadline).
  EXPECT_EQ(run({"pttl", "k"}), ":0\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":0\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":1\r\n");
  EXPECT_EQ(run({"dbsize"}), ":2\r\n");
  clock_.advance(1);
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
  EXPECT_EQ(run({"exists", "k", "other"}), ":1\r\n");
  EXPECT_EQ(run({"dbsize"}), ":1\r\n");
  for (const std::string& name : kReaders) EXPECT_EQ(run({name, "k"}), ":-2\r\n") << name;
  EXPECT_EQ(run({"persist", "k"}), ":0\r\n");
  EXPECT_EQ(run({"expire", "k", "100"}), ":0\r\n");
  EXPECT_EQ(run({"get", "other"}), "$1\r\nv\r\n");
}

TEST_F(ExpireCmd, SecondsAreRoundedToNearest) {
  run({"set", "k", "v"});
  // TTL is (ms + 500) / 1000, as Redis.
  const std::pair<const char*, const char*> cases[] = {{"1500", ":2\r\n"},
                                                       {"1499", ":1\r\n"},
                                                       {"500", ":1\r\n"},
                                                       {"499", ":0\r\n"},
                                                       {"1", ":0\r\n"}};
  for (const auto& [ms, ttl] : cases) {
    EXPECT_EQ(run({"pexpire", "k", ms}), ":1\r\n");
    EXPECT_EQ(run({"ttl", "k"}), ttl) << ms;
  }
  // So is EXPIRETIME (redis-server 7.0.15 replies 4000000001 and 4000000000).
  EXPECT_EQ(run({"pexpireat", "k", "4000000000500"}), ":1\r\n");
  EXPECT_EQ(run({"expiretime", "k"}), ":4000000001\r\n");
  EXPECT_EQ(run({"pexpireat", "k", "4000000000499"}), ":1\r\n");
  EXPECT_EQ(run({"expiretime", "k"}), ":4000000000\r\n");
}

TEST_F(ExpireCmd, ZeroOrPastDeadlineDeletesTheKeyAndRepliesOne) {
  const std::vector<std::vector<std::string>> cases = {
      {"expire", "k", "0"},
      {"expire", "k", "-1"},
      {"pexpire", "k", "0"},
      {"pexpire", "k", "-9223372036854775808"},
      {"expireat", "k", "0"},
      {"expireat", "k", "1"},
      {"expireat", "k", std::to_string(kStartSec)},  // A second boundary already passed.
      {"pexpireat", "k", std::to_string(kStart)},    // Exactly now is not in the future.
      {"pexpireat", "k", "-9223372036854775808"},
  };
  for (const auto& args : cases) {
    run({"set", "k", "v"});
    EXPECT_EQ(run(args), ":1\r\n") << args[0] << " " << args[2];
    EXPECT_EQ(run({"exists", "k"}), ":0\r\n") << args[0] << " " << args[2];
    EXPECT_EQ(run({"ttl", "k"}), ":-2\r\n");
  }
  // A key that already has a deadline is deleted the same way.
  run({"set", "k", "v"});
  run({"expire", "k", "100"});
  EXPECT_EQ(run({"expire", "k", "0"}), ":1\r\n");
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
}

TEST_F(ExpireCmd, OneMillisecondAheadIsKept) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"pexpireat", "k", std::to_string(kStart + 1)}), ":1\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":1\r\n");
  clock_.advance(1);
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  clock_.advance(1);
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
}

TEST_F(ExpireCmd, NxSetsOnlyWithoutADeadline) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "nx"}), ":1\r\n");
  EXPECT_EQ(run({"expire", "k", "200", "NX"}), ":0\r\n");
  EXPECT_EQ(run({"expire", "k", "0", "nx"}), ":0\r\n");  // Refused, so not deleted either.
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
  run({"persist", "k"});
  EXPECT_EQ(run({"expire", "k", "-1", "nx"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, XxSetsOnlyOverADeadline) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "xx"}), ":0\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(run({"expire", "k", "0", "xx"}), ":0\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":1\r\n");
  run({"expire", "k", "100"});
  EXPECT_EQ(run({"expire", "k", "300", "Xx"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":300\r\n");
  EXPECT_EQ(run({"expireat", "k", "1", "xx"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, GtNeverSetsOverNoDeadline) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "gt"}), ":0\r\n");
  EXPECT_EQ(run({"expire", "k", "-5", "gt"}), ":0\r\n");
  EXPECT_EQ(run({"pexpireat", "k", "9223372036854775807", "gt"}), ":0\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
}

TEST_F(ExpireCmd, GtSetsOnlyALaterDeadline) {
  run({"set", "k", "v"});
  run({"pexpire", "k", "100000"});
  EXPECT_EQ(run({"pexpire", "k", "100000", "gt"}), ":0\r\n");  // Equal is not greater.
  EXPECT_EQ(run({"pexpire", "k", "99999", "gt"}), ":0\r\n");
  EXPECT_EQ(run({"expire", "k", "0", "gt"}), ":0\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":100000\r\n");
  EXPECT_EQ(run({"pexpire", "k", "100001", "GT"}), ":1\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":100001\r\n");
}

TEST_F(ExpireCmd, LtAlwaysSetsOverNoDeadline) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "lt"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
  run({"set", "k", "v"});  // SET drops the deadline.
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(run({"expire", "k", "-1", "lt"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, LtSetsOnlyAnEarlierDeadline) {
  run({"set", "k", "v"});
  run({"pexpire", "k", "100000"});
  EXPECT_EQ(run({"pexpire", "k", "100000", "lt"}), ":0\r\n");  // Equal is not less.
  EXPECT_EQ(run({"pexpire", "k", "100001", "lt"}), ":0\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":100000\r\n");
  EXPECT_EQ(run({"pexpire", "k", "99999", "Lt"}), ":1\r\n");
  EXPECT_EQ(run({"pttl", "k"}), ":99999\r\n");
  EXPECT_EQ(run({"expire", "k", "-1", "lt"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, XxCombinesWithGtOrLt) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "xx", "lt"}), ":0\r\n");  // XX: no deadline yet.
  EXPECT_EQ(run({"expire", "k", "100", "xx", "gt"}), ":0\r\n");
  run({"expire", "k", "100"});
  EXPECT_EQ(run({"expire", "k", "300", "xx", "gt"}), ":1\r\n");
  EXPECT_EQ(run({"expire", "k", "200", "gt", "xx"}), ":0\r\n");
  EXPECT_EQ(run({"expire", "k", "200", "xx", "lt"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":200\r\n");
}

TEST_F(ExpireCmd, RepeatedOptionsAreAllowed) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "NX", "nx"}), ":1\r\n");
  EXPECT_EQ(run({"expire", "k", "200", "Gt", "gT", "XX", "xx"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":200\r\n");
}

TEST_F(ExpireCmd, IncompatibleOptions) {
  const std::string nx = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
  const std::string gtlt = "-ERR GT and LT options at the same time are not compatible\r\n";
  run({"set", "k", "v"});
  for (const std::string& name : kSetters) {
    EXPECT_EQ(run({name, "k", "100", "nx", "xx"}), nx) << name;
    EXPECT_EQ(run({name, "k", "100", "XX", "NX"}), nx) << name;
    EXPECT_EQ(run({name, "k", "100", "nx", "gt"}), nx) << name;
    EXPECT_EQ(run({name, "k", "100", "lt", "nx"}), nx) << name;
    EXPECT_EQ(run({name, "k", "100", "nx", "gt", "lt"}), nx) << name;  // NX is checked first.
    EXPECT_EQ(run({name, "k", "100", "gt", "lt"}), gtlt) << name;
    EXPECT_EQ(run({name, "k", "100", "xx", "LT", "gt"}), gtlt) << name;
    EXPECT_EQ(run({name, "nokey", "100", "gt", "lt"}), gtlt) << name;
    EXPECT_EQ(run({name, "k", "abc", "gt", "lt"}), gtlt) << name;  // Before the time argument.
  }
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
}

TEST_F(ExpireCmd, UnsupportedOption) {
  run({"set", "k", "v"});
  for (const std::string& name : kSetters) {
    EXPECT_EQ(run({name, "k", "100", "foo"}), "-ERR Unsupported option foo\r\n") << name;
    EXPECT_EQ(run({name, "nokey", "100", "foo"}), "-ERR Unsupported option foo\r\n") << name;
    // Options are parsed before the time, and an unknown word fails before combinations.
    EXPECT_EQ(run({name, "k", "abc", "foo"}), "-ERR Unsupported option foo\r\n") << name;
    EXPECT_EQ(run({name, "k", "100", "nx", "xx", "foo"}), "-ERR Unsupported option foo\r\n");
    EXPECT_EQ(run({name, "k", "100", "nx", "Bar", "baz"}), "-ERR Unsupported option Bar\r\n");
  }
  EXPECT_EQ(run({"expire", "k", "100", ""}), "-ERR Unsupported option \r\n");
  EXPECT_EQ(run({"expire", "k", "100", "ex"}), "-ERR Unsupported option ex\r\n");
  EXPECT_EQ(run({"expire", "k", "100", "nxx"}), "-ERR Unsupported option nxx\r\n");
  EXPECT_EQ(run({"expire", "k", "100", "a\r\nb"}), "-ERR Unsupported option a  b\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
}

TEST_F(ExpireCmd, OptionsStopAtANulByteAsInRedis) {
  // Redis compares options with strcasecmp, so "nx\0zz" is NX and "q\0zz" is reported as "q".
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", "k", "100", "q\0zz"s}), "-ERR Unsupported option q\r\n");
  EXPECT_EQ(run({"expire", "k", "100", "nx\0zz"s}), ":1\r\n");
  EXPECT_EQ(run({"expire", "k", "200", "nx\0"s}), ":0\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
}

TEST_F(ExpireCmd, TimeMustBeAnInteger) {
  const std::string not_int = "-ERR value is not an integer or out of range\r\n";
  run({"set", "k", "v"});
  run({"expire", "k", "100"});
  for (const std::string& name : kSetters) {
    for (const std::string& bad :
         {"abc"s, "1.5"s, "+10"s, "-0"s, " 10"s, "10 "s, "010"s, ""s, "1e3"s, "0x10"s, "-"s,
          "9223372036854775808"s, "-9223372036854775809"s, "100000000000000000000"s}) {
      EXPECT_EQ(run({name, "k", bad}), not_int) << name << " '" << bad << "'";
      EXPECT_EQ(run({name, "nokey", bad}), not_int) << name << " '" << bad << "'";
    }
  }
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
}

TEST_F(ExpireCmd, ExpireOverflow) {
  run({"set", "k", "v"});
  run({"expire", "k", "100"});
  // Seconds * 1000 must fit, and so must now + that.
  for (const std::string& t :
       {"9223372036854775807"s, "-9223372036854775808"s, "9223372036854776"s, "-9223372036854776"s,
        "9223372036854775"s, std::to_string(9223372036854775 - kStartSec + 1)}) {
    EXPECT_EQ(run({"expire", "k", t}), expire_time_error("expire")) << t;
    EXPECT_EQ(run({"expire", "nokey", t}), expire_time_error("expire")) << t;
  }
  EXPECT_EQ(run({"ttl", "k"}), ":100\r\n");
  EXPECT_EQ(run({"expire", "nokey", "-9223372036854775"}), ":0\r\n");
  // The largest that fits: now + 9223370336854775 s, as kStart is a whole second.
  EXPECT_EQ(run({"expire", "k", std::to_string(9223372036854775 - kStartSec)}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), ":9223372036854775000\r\n");
  EXPECT_EQ(run({"expire", "k", "-9223372036854775"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, PexpireOverflow) {
  run({"set", "k", "v"});
  const std::int64_t max = INT64_MAX;
  for (const std::string& t : {"9223372036854775807"s, std::to_string(max - kStart + 1)}) {
    EXPECT_EQ(run({"pexpire", "k", t}), expire_time_error("pexpire")) << t;
    EXPECT_EQ(run({"pexpire", "nokey", t}), expire_time_error("pexpire")) << t;
  }
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(run({"pexpire", "k", std::to_string(max - kStart)}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), ":9223372036854775807\r\n");
  EXPECT_EQ(run({"pexpire", "k", "-9223372036854775808"}), ":1\r\n");  // No underflow check.
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, ExpireatOverflow) {
  run({"set", "k", "v"});
  for (const std::string& t : {"9223372036854775807"s, "-9223372036854775808"s, "9223372036854776"s,
                               "-9223372036854776"s}) {
    EXPECT_EQ(run({"expireat", "k", t}), expire_time_error("expireat")) << t;
    EXPECT_EQ(run({"expireat", "nokey", t}), expire_time_error("expireat")) << t;
  }
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(run({"expireat", "k", "9223372036854775"}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), ":9223372036854775000\r\n");
  EXPECT_EQ(run({"expiretime", "k"}), ":9223372036854775\r\n");
  EXPECT_EQ(run({"ttl", "k"}), integer(9223372036854775 - kStartSec));
  EXPECT_EQ(run({"expireat", "k", "-9223372036854775"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, PexpireatNeverOverflows) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"pexpireat", "k", "9223372036854775807"}), ":1\r\n");
  EXPECT_EQ(run({"pexpiretime", "k"}), ":9223372036854775807\r\n");
  EXPECT_EQ(run({"pttl", "k"}), integer(INT64_MAX - kStart));
  EXPECT_EQ(run({"ttl", "k"}), integer((INT64_MAX - kStart + 500) / 1000));
  // Redis's (ms + 500) / 1000 wraps to unsigned here; redis-server 7.0.15 replies these.
  EXPECT_EQ(run({"expiretime", "k"}), ":9223372036854776\r\n");
  EXPECT_EQ(run({"pexpireat", "k", "9223372036854775308"}), ":1\r\n");
  EXPECT_EQ(run({"expiretime", "k"}), ":9223372036854775\r\n");
  EXPECT_EQ(run({"pexpireat", "k", "-9223372036854775808"}), ":1\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, ErrorsLeaveTheKeyAlone) {
  run({"set", "k", "v"});
  run({"pexpire", "k", "5000"});
  run({"expire", "k", "abc"});
  run({"expire", "k", "9223372036854775"});
  run({"expire", "k", "0", "foo"});
  run({"expire", "k", "0", "nx", "xx"});
  run({"expire", "k", "0", "gt", "lt"});
  EXPECT_EQ(run({"pttl", "k"}), ":5000\r\n");
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
}

TEST_F(ExpireCmd, PersistRemovesTheDeadline) {
  run({"set", "k", "v"});
  run({"pexpire", "k", "100"});
  EXPECT_EQ(run({"persist", "k"}), ":1\r\n");
  EXPECT_EQ(run({"persist", "k"}), ":0\r\n");
  for (const std::string& name : kReaders) EXPECT_EQ(run({name, "k"}), ":-1\r\n") << name;
  clock_.advance(1'000'000);
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  // A key given a deadline again after PERSIST expires as usual.
  EXPECT_EQ(run({"pexpire", "k", "10"}), ":1\r\n");
  clock_.advance(11);
  EXPECT_EQ(run({"persist", "k"}), ":0\r\n");
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(ExpireCmd, SetDropsTheDeadline) {
  run({"set", "k", "v"});
  run({"expire", "k", "100"});
  EXPECT_EQ(run({"set", "k", "w"}), "+OK\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  run({"expire", "k", "100"});
  EXPECT_EQ(run({"set", "k", "a longer value"}), "+OK\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
}

TEST_F(ExpireCmd, ReplacingADeadlineMovesTheExpiry) {
  run({"set", "k", "v"});
  run({"pexpire", "k", "100"});
  EXPECT_EQ(run({"pexpire", "k", "1000"}), ":1\r\n");
  clock_.advance(500);
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"pexpire", "k", "10"}), ":1\r\n");
  clock_.advance(11);
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
}

TEST_F(ExpireCmd, BinarySafeKeys) {
  const std::string key = "k\0\r\n"s;
  run({"set", key, "v"});
  run({"set", "k", "v"});
  EXPECT_EQ(run({"expire", key, "100"}), ":1\r\n");
  EXPECT_EQ(run({"ttl", key}), ":100\r\n");
  EXPECT_EQ(run({"ttl", "k"}), ":-1\r\n");
  EXPECT_EQ(run({"persist", key}), ":1\r\n");
}

TEST_F(ExpireCmd, CommandNamesAreCaseInsensitive) {
  run({"set", "k", "v"});
  EXPECT_EQ(run({"EXPIRE", "k", "100"}), ":1\r\n");
  EXPECT_EQ(run({"PTtl", "k"}), ":100000\r\n");
  EXPECT_EQ(run({"PERSIST", "k"}), ":1\r\n");
  // The overflow error names the command in lower case, as Redis's fullname.
  EXPECT_EQ(run({"EXPIREAT", "k", "9223372036854776"}), expire_time_error("expireat"));
}

TEST_F(ExpireCmd, ManyKeysExpireIndependently) {
  for (int i = 0; i < 50; ++i) {
    const std::string key = "key:" + std::to_string(i);
    run({"set", key, "v"});
    if (i % 2 == 0) {
      EXPECT_EQ(run({"pexpire", key, std::to_string(100 + i)}), ":1\r\n");
    }
  }
  EXPECT_EQ(run({"dbsize"}), ":50\r\n");
  clock_.advance(125);  // Deadlines 100..148: keys 0, 2, ..., 24 (13 keys) are past theirs.
  EXPECT_EQ(run({"dbsize"}), ":37\r\n");
  EXPECT_EQ(run({"exists", "key:24", "key:26", "key:1"}), ":2\r\n");
  clock_.advance(1000);
  EXPECT_EQ(run({"dbsize"}), ":25\r\n");
}

TEST_F(ExpireCmd, ReadersCountKeyspaceHitsAndMissesWritersDoNot) {
  // As redis-server 7.0.15: TTL and friends look their key up as a read, EXPIRE and PERSIST as a
  // write, which Redis does not count.
  run({"set", "k", "v"});
  run({"expire", "k", "100"});
  run({"expire", "nokey", "100"});
  run({"persist", "k"});
  run({"persist", "nokey"});
  std::string stats = payload(run({"info", "stats"}));
  EXPECT_EQ(info_field(stats, "keyspace_hits"), "0");
  EXPECT_EQ(info_field(stats, "keyspace_misses"), "0");
  for (const std::string& name : kReaders) {
    run({name, "k"});
    run({name, "nokey"});
  }
  run({"ttl", "k"});
  stats = payload(run({"info", "stats"}));
  EXPECT_EQ(info_field(stats, "keyspace_hits"), "5");
  EXPECT_EQ(info_field(stats, "keyspace_misses"), "4");
}

// "keys=N,expires=M" from INFO keyspace's db0 line; avg_ttl, after it, is an estimate in Redis
// (sampled by its expiry cycle), so it is left out.
std::string db0_counts(const std::string& info_reply) {
  const std::string line = info_field(payload(info_reply), "db0");
  return line.substr(0, line.find(",avg_ttl="));
}

TEST_F(ExpireCmd, InfoKeyspaceCountsKeysWithADeadline) {
  run({"set", "a", "v"});
  run({"set", "b", "v"});
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=2,expires=0");
  run({"pexpire", "a", "100"});
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=2,expires=1");
  run({"expire", "b", "100"});
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=2,expires=2");
  run({"persist", "b"});
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=2,expires=1");
  run({"expire", "b", "0"});  // Deleted, not given a deadline.
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=1,expires=1");
  run({"set", "b", "v"});
  // a is past its deadline: kvd counts it neither as a key nor as an expire (Redis would until
  // it reclaims the key).
  clock_.advance(101);
  EXPECT_EQ(db0_counts(run({"info", "keyspace"})), "keys=1,expires=0");
  EXPECT_NE(payload(run({"info", "keyspace"})).find(",avg_ttl="), std::string::npos);
}

TEST_F(ExpireCmd, CommandInfoRows) {
  // As redis-server 7.0.15, but for tips and key specifications, which kvd leaves empty.
  const std::string write_row =
      "*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
      "*3\r\n+@keyspace\r\n+@write\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n";
  const std::string read_row =
      "*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
      "*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n";
  for (const std::string& name : kSetters) {
    EXPECT_EQ(run({"command", "info", name}), "*1\r\n*10\r\n" + bulk(name) + ":-3\r\n" + write_row);
  }
  for (const std::string& name : kReaders) {
    EXPECT_EQ(run({"command", "info", name}), "*1\r\n*10\r\n" + bulk(name) + ":2\r\n" + read_row);
  }
  EXPECT_EQ(run({"command", "info", "persist"}),
            "*1\r\n*10\r\n" + bulk("persist") + ":2\r\n" + write_row);
  const std::string docs = run({"command", "docs", "expire"});
  EXPECT_NE(docs.find("$7\r\ngeneric\r\n"), std::string::npos) << docs;
}

}  // namespace
}  // namespace kv::cmd::test
