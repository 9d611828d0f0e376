// APPEND, STRLEN, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, GETRANGE, SUBSTR, SETRANGE, LCS:
// exact replies, every one checked against redis-server 7.0.15.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cmd/dispatcher.hpp"
#include "cmd_harness.hpp"

namespace kv::cmd::test {
namespace {

using namespace std::string_literals;

class StringOpsCmd : public CmdTest {
 protected:
  /// Gives `key` (which must exist) a deadline `ms` from now; returns the deadline.
  std::int64_t set_ttl(const std::string& key, std::int64_t ms) {
    const std::int64_t at = clock_.now_ms() + ms;
    store_.update(key, [&](store::KeyRef& k) { k.expire(at); });
    return at;
  }
  /// The deadline of `key`: 0 if it has none, -1 if the key is missing.
  std::int64_t expire_at(const std::string& key) {
    return store_.read(key, [](const store::KeyView* v) -> std::int64_t {
      return v == nullptr ? -1 : v->expire_at;
    });
  }
  std::uint64_t hits() const { return server_.stats.sum(kStatKeyspaceHits); }
  std::uint64_t misses() const { return server_.stats.sum(kStatKeyspaceMisses); }
};

const std::string kNotInt = "-ERR value is not an integer or out of range\r\n";
const std::string kNotFloat = "-ERR value is not a valid float\r\n";
const std::string kNanOrInf = "-ERR increment would produce NaN or Infinity\r\n";
const std::string kOverflow = "-ERR increment or decrement would overflow\r\n";
const std::string kTooLong = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
const std::string kMax = "9223372036854775807";
const std::string kMin = "-9223372036854775808";

// ---- Command table ----

TEST_F(StringOpsCmd, TableRowsMatchRedis) {
  struct Row {
    std::string name;
    int arity;
    std::uint32_t flags;
    std::string acl;
    int last_key;
  };
  const std::uint32_t write_fast = kWrite | kDenyOom | kFast;
  const std::vector<Row> rows = {
      {"append", 3, write_fast, "@write @string @fast", 1},
      {"strlen", 2, kReadonly | kFast, "@read @string @fast", 1},
      {"incr", 2, write_fast, "@write @string @fast", 1},
      {"decr", 2, write_fast, "@write @string @fast", 1},
      {"incrby", 3, write_fast, "@write @string @fast", 1},
      {"decrby", 3, write_fast, "@write @string @fast", 1},
      {"incrbyfloat", 3, write_fast, "@write @string @fast", 1},
      {"getrange", 4, kReadonly, "@read @string @slow", 1},
      {"substr", 4, kReadonly, "@read @string @slow", 1},
      {"setrange", 4, kWrite | kDenyOom, "@write @string @slow", 1},
      {"lcs", -3, kReadonly, "@read @string @slow", 2},
  };
  for (const Row& r : rows) {
    const CommandSpec* spec = CommandTable::get().find(r.name);
    ASSERT_NE(spec, nullptr) << r.name;
    EXPECT_EQ(spec->arity, r.arity) << r.name;
    EXPECT_EQ(spec->flags, r.flags) << r.name;
    EXPECT_EQ(spec->acl, r.acl) << r.name;
    EXPECT_EQ(spec->first_key, 1) << r.name;
    EXPECT_EQ(spec->last_key, r.last_key) << r.name;
    EXPECT_EQ(spec->step, 1) << r.name;
    EXPECT_EQ(spec->group, "string") << r.name;
    EXPECT_FALSE(spec->summary.empty()) << r.name;
  }
}

TEST_F(StringOpsCmd, ArityErrors) {
  const std::vector<std::string> bad = {
      "append k",      "append k v x", "strlen",     "strlen a b",   "incr",
      "incr k x",      "decr",         "incrby k",   "incrby k 1 2", "decrby k",
      "incrbyfloat k", "getrange k 0", "substr k 1", "setrange k 1", "setrange k 1 v x",
      "lcs k1",        "lcs"};
  for (const std::string& line : bad) {
    std::vector<std::string> args;
    for (std::size_t at = 0; at <= line.size();) {
      const std::size_t space = std::min(line.find(' ', at), line.size());
      args.push_back(line.substr(at, space - at));
      at = space + 1;
    }
    EXPECT_EQ(run(args), wrong_args(args[0])) << line;
  }
  EXPECT_EQ(run({"SUBSTR", "k"}), wrong_args("substr"));
}

// ---- APPEND, STRLEN ----

TEST_F(StringOpsCmd, AppendCreatesAndExtends) {
  EXPECT_EQ(run({"append", "a", "hello"}), ":5\r\n");
  EXPECT_EQ(run({"append", "a", " world"}), ":11\r\n");
  EXPECT_EQ(run({"get", "a"}), "$11\r\nhello world\r\n");
  EXPECT_EQ(run({"append", "a", ""}), ":11\r\n");
  EXPECT_EQ(run({"get", "a"}), "$11\r\nhello world\r\n");
}

TEST_F(StringOpsCmd, AppendEmptyToMissingKeyCreatesIt) {
  EXPECT_EQ(run({"append", "b", ""}), ":0\r\n");
  EXPECT_EQ(run({"exists", "b"}), ":1\r\n");
  EXPECT_EQ(run({"get", "b"}), "$0\r\n\r\n");
}

TEST_F(StringOpsCmd, AppendIsBinarySafe) {
  EXPECT_EQ(run({"append", "k\0"s, "x\0y"s}), ":3\r\n");
  EXPECT_EQ(run({"append", "k\0"s, "\r\n\xff"s}), ":6\r\n");
  EXPECT_EQ(run({"get", "k\0"s}), "$6\r\nx\0y\r\n\xff\r\n"s);
  EXPECT_EQ(run({"exists", "k"}), ":0\r\n");
}

TEST_F(StringOpsCmd, AppendToIntegerValue) {
  EXPECT_EQ(run({"set", "i", "10"}), "+OK\r\n");
  EXPECT_EQ(run({"append", "i", "5"}), ":3\r\n");
  EXPECT_EQ(run({"incr", "i"}), ":106\r\n");
}

TEST_F(StringOpsCmd, AppendKeepsTtl) {
  run({"set", "k", "abc"});
  const std::int64_t at = set_ttl("k", 10'000);
  EXPECT_EQ(run({"append", "k", "def"}), ":6\r\n");
  EXPECT_EQ(expire_at("k"), at);
  EXPECT_EQ(run({"get", "k"}), "$6\r\nabcdef\r\n");
  clock_.advance(10'001);
  EXPECT_EQ(run({"append", "k", "x"}), ":1\r\n");  // The expired value is gone.
  EXPECT_EQ(expire_at("k"), 0);
}

TEST_F(StringOpsCmd, AppendRespectsProtoMaxBulkLen) {
  settings_.proto_max_bulk_len = 1024 * 1024;
  run({"set", "big", std::string(1'048'000, 'x')});
  EXPECT_EQ(run({"append", "big", std::string(576, 'y')}), ":1048576\r\n");
  EXPECT_EQ(run({"append", "big", "y"}), kTooLong);
  EXPECT_EQ(run({"strlen", "big"}), ":1048576\r\n");
}

TEST_F(StringOpsCmd, Strlen) {
  EXPECT_EQ(run({"strlen", "missing"}), ":0\r\n");
  run({"set", "e", ""});
  EXPECT_EQ(run({"strlen", "e"}), ":0\r\n");
  run({"set", "k", "hello"});
  EXPECT_EQ(run({"strlen", "k"}), ":5\r\n");
  run({"set", "n", "12345"});
  EXPECT_EQ(run({"strlen", "n"}), ":5\r\n");
  run({"set", "b", "\0\r\n\0"s});
  EXPECT_EQ(run({"strlen", "b"}), ":4\r\n");
}

// ---- INCR, DECR, INCRBY, DECRBY ----

TEST_F(StringOpsCmd, IncrDecrFamily) {
  EXPECT_EQ(run({"incr", "a"}), ":1\r\n");
  EXPECT_EQ(run({"incr", "a"}), ":2\r\n");
  EXPECT_EQ(run({"get", "a"}), "$1\r\n2\r\n");
  EXPECT_EQ(run({"decr", "b"}), ":-1\r\n");
  EXPECT_EQ(run({"get", "b"}), "$2\r\n-1\r\n");
  EXPECT_EQ(run({"incrby", "c", "10"}), ":10\r\n");
  EXPECT_EQ(run({"decrby", "c", "3"}), ":7\r\n");
  EXPECT_EQ(run({"incrby", "c", "-20"}), ":-13\r\n");
  EXPECT_EQ(run({"decrby", "c", "-5"}), ":-8\r\n");
  EXPECT_EQ(run({"INCRBY", "c", "0"}), ":-8\r\n");
  EXPECT_EQ(run({"set", "n", "-5"}), "+OK\r\n");
  EXPECT_EQ(run({"incr", "n"}), ":-4\r\n");
}

TEST_F(StringOpsCmd, IncrOverflowBoundaries) {
  run({"set", "x", "9223372036854775806"});
  EXPECT_EQ(run({"incr", "x"}), ":" + kMax + "\r\n");
  EXPECT_EQ(run({"incr", "x"}), kOverflow);
  EXPECT_EQ(run({"incrby", "x", "1"}), kOverflow);
  EXPECT_EQ(run({"decrby", "x", "-1"}), kOverflow);
  EXPECT_EQ(run({"incrby", "x", "0"}), ":" + kMax + "\r\n");
  EXPECT_EQ(run({"get", "x"}), bulk(kMax));
  EXPECT_EQ(run({"decrby", "x", kMax}), ":0\r\n");

  run({"set", "y", "-9223372036854775807"});
  EXPECT_EQ(run({"decr", "y"}), ":" + kMin + "\r\n");
  EXPECT_EQ(run({"decr", "y"}), kOverflow);
  EXPECT_EQ(run({"incrby", "y", "-1"}), kOverflow);
  EXPECT_EQ(run({"decrby", "y", "1"}), kOverflow);
  EXPECT_EQ(run({"get", "y"}), bulk(kMin));
  EXPECT_EQ(run({"incr", "y"}), ":-9223372036854775807\r\n");
  EXPECT_EQ(run({"incrby", "y", kMax}), ":0\r\n");

  run({"set", "p", "1"});
  EXPECT_EQ(run({"incrby", "p", kMax}), kOverflow);
  run({"set", "p", "-1"});
  EXPECT_EQ(run({"incrby", "p", kMax}), ":9223372036854775806\r\n");
  run({"set", "q", "-1"});
  EXPECT_EQ(run({"incrby", "q", kMin}), kOverflow);
  EXPECT_EQ(run({"incrby", "z", kMin}), ":" + kMin + "\r\n");
}

TEST_F(StringOpsCmd, DecrbyOfInt64MinHasItsOwnError) {
  const std::string err = "-ERR decrement would overflow\r\n";
  run({"set", "z", "0"});
  EXPECT_EQ(run({"decrby", "z", kMin}), err);
  EXPECT_EQ(run({"get", "z"}), "$1\r\n0\r\n");
  // The argument is checked before the key is read or created.
  EXPECT_EQ(run({"decrby", "missing", kMin}), err);
  EXPECT_EQ(run({"exists", "missing"}), ":0\r\n");
  run({"set", "s", "abc"});
  EXPECT_EQ(run({"decrby", "s", kMin}), err);
}

TEST_F(StringOpsCmd, IncrRefusesValuesThatAreNotIntegers) {
  std::vector<std::string> values = {"abc", " 5", "5 ", "+5", "05", "", "1.5", "-0", "0x1"};
  values.insert(values.end(), {"-9223372036854775809", "9223372036854775808"});
  values.push_back("000000000000000000001");  // 21 characters: longer than string2ll reads.
  values.push_back("1\0"s);
  for (const std::string& v : values) {
    run({"set", "k", v});
    EXPECT_EQ(run({"incr", "k"}), kNotInt) << v;
    EXPECT_EQ(run({"decr", "k"}), kNotInt) << v;
    EXPECT_EQ(run({"incrby", "k", "1"}), kNotInt) << v;
    EXPECT_EQ(run({"decrby", "k", "1"}), kNotInt) << v;
    EXPECT_EQ(run({"get", "k"}), bulk(v)) << v;
  }
}

TEST_F(StringOpsCmd, IncrbyRefusesArgumentsThatAreNotIntegers) {
  const std::vector<std::string> args = {"x",  " 1", "+1",   "01", "1.0", "9223372036854775808",
                                         "-0", "",   "1\0"s, "-",  "1e3", "-9223372036854775809"};
  run({"set", "c", "7"});
  for (const std::string& a : args) {
    EXPECT_EQ(run({"incrby", "c", a}), kNotInt) << a;
    EXPECT_EQ(run({"decrby", "c", a}), kNotInt) << a;
    EXPECT_EQ(run({"incrby", "missing", a}), kNotInt) << a;
  }
  EXPECT_EQ(run({"get", "c"}), "$1\r\n7\r\n");
  EXPECT_EQ(run({"exists", "missing"}), ":0\r\n");
}

TEST_F(StringOpsCmd, IncrAcceptsTheLongestIntegers) {
  run({"set", "k", kMin});  // 20 characters: the longest string2ll reads.
  EXPECT_EQ(run({"incr", "k"}), ":-9223372036854775807\r\n");
  run({"set", "k", "-0000000000000000001"});
  EXPECT_EQ(run({"incr", "k"}), kNotInt);
}

TEST_F(StringOpsCmd, IncrFamilyKeepsTtl) {
  const std::vector<std::vector<std::string>> cmds = {{"incr", "k"},
                                                      {"decr", "k"},
                                                      {"incrby", "k", "5"},
                                                      {"decrby", "k", "5"},
                                                      {"incrbyfloat", "k", "1.5"}};
  const std::vector<std::string> replies = {":11\r\n", ":9\r\n", ":15\r\n", ":5\r\n",
                                            "$4\r\n11.5\r\n"};
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    run({"set", "k", "10"});
    const std::int64_t at = set_ttl("k", 100'000);
    EXPECT_EQ(run(cmds[i]), replies[i]) << cmds[i][0];
    EXPECT_EQ(expire_at("k"), at) << cmds[i][0];
  }
  // A failed increment changes neither the value nor the deadline.
  run({"set", "k", "abc"});
  const std::int64_t at = set_ttl("k", 5'000);
  EXPECT_EQ(run({"incr", "k"}), kNotInt);
  EXPECT_EQ(expire_at("k"), at);
  // Once the deadline passes, the key counts from 0 and has no deadline.
  clock_.advance(5'001);
  EXPECT_EQ(run({"incr", "k"}), ":1\r\n");
  EXPECT_EQ(expire_at("k"), 0);
}

TEST_F(StringOpsCmd, IncrOnKeyWithoutTtlAddsNone) {
  EXPECT_EQ(run({"incr", "k"}), ":1\r\n");
  EXPECT_EQ(expire_at("k"), 0);
  EXPECT_EQ(run({"incrbyfloat", "f", "1"}), "$1\r\n1\r\n");
  EXPECT_EQ(expire_at("f"), 0);
}

// ---- INCRBYFLOAT ----

TEST_F(StringOpsCmd, IncrbyfloatFormatsLikeRedis) {
  struct Case {
    std::string key, incr, reply;
  };
  // In order: each key accumulates.
  const std::vector<Case> cases = {
      {"f", "10.5", "10.5"},
      {"f", "0.1", "10.6"},
      {"f", "-5.0e3", "-4989.39999999999999991"},
      {"g", "1e20", "100000000000000000000"},
      {"g", "1e3", "100000000000000001000"},
      {"h", "3.0", "3"},
      {"h", "1.5e-10", "3.00000000015"},
      {"i", "0.1", "0.1"},
      {"i", "0.2", "0.3"},
      {"j", "-0.0", "0"},
      {"j2", "-1e-30", "0"},
      {"k", "+5", "5"},
      {"k", "0x10", "21"},
      {"k", "1e-4940", "21"},  // A subnormal: strtold reports ERANGE, Redis still accepts it.
      {"k", ".5", "21.5"},
      {"k", "5.", "26.5"},
      {"k", "0X1P4", "42.5"},
      {"v", "0.00000000000000000001", "0"},
      {"v2", "12345678901234567890.123", "12345678901234567890"},
      {"v3", "3.14159265358979323846264", "3.14159265358979324"},
      {"v4", "-2.5", "-2.5"},
      {"v5", "100", "100"},
      {"v6", "1.23456789012345678e-5", "0.00001234567890123"},
      {"v7", kMax, "9223372036854775807"},
      {"v8", "1." + std::string(5117, '0'), "1"},  // 5119 bytes: the longest accepted.
  };
  for (const Case& c : cases) {
    EXPECT_EQ(run({"incrbyfloat", c.key, c.incr}), bulk(c.reply)) << c.key << " " << c.incr;
    EXPECT_EQ(run({"get", c.key}), bulk(c.reply)) << c.key;
  }
}

TEST_F(StringOpsCmd, IncrbyfloatReadsStoredValues) {
  const std::vector<std::vector<std::string>> cases = {
      {"1.0000", "0", "1"}, {"1e2", "0", "100"}, {"5", "1.2", "6.2"}, {"0x10", "1", "17"}};
  for (const auto& c : cases) {
    run({"set", "s", c[0]});
    EXPECT_EQ(run({"incrbyfloat", "s", c[1]}), bulk(c[2])) << c[0];
  }
}

TEST_F(StringOpsCmd, IncrbyfloatHugeValuesPrintEveryDigit) {
  const std::string r = run({"incrbyfloat", "u", "1.18973149535723176502e+4932"});
  const std::string text = payload(r);
  EXPECT_EQ(text.size(), 4933u);
  EXPECT_EQ(text.substr(0, 40), "1189731495357231765021263853030970205169");
  EXPECT_EQ(text.substr(text.size() - 38), "49149662444156604419552086811989770240");
  EXPECT_EQ(run({"strlen", "u"}), ":4933\r\n");

  const std::string r2 = payload(run({"incrbyfloat", "w", "1e4000"}));
  EXPECT_EQ(r2.size(), 4000u);
  EXPECT_EQ(r2.substr(0, 30), "999999999999999999996546387309");
  EXPECT_EQ(run({"incrbyfloat", "w", "-1e4000"}), "$1\r\n0\r\n");
}

TEST_F(StringOpsCmd, IncrbyfloatRefusesBadIncrements) {
  const std::vector<std::string> bad = {
      " 5",    "5 ", "\t5",    "nan",     "NAN",
      "abc",   "",   "1e5000", "-1e5000", "1e-5000",
      "5\0x"s, "1e", "-",      "1,5",     "1." + std::string(5118, '0')};
  run({"set", "k", "7"});
  for (const std::string& b : bad) {
    EXPECT_EQ(run({"incrbyfloat", "k", b}), kNotFloat) << b;
    EXPECT_EQ(run({"incrbyfloat", "missing", b}), kNotFloat) << b;
  }
  for (const std::string& inf : {"inf"s, "-inf"s, "INF"s, "infinity"s, "-Infinity"s}) {
    EXPECT_EQ(run({"incrbyfloat", "k", inf}), kNanOrInf) << inf;
    EXPECT_EQ(run({"incrbyfloat", "missing", inf}), kNanOrInf) << inf;
  }
  EXPECT_EQ(run({"get", "k"}), "$1\r\n7\r\n");
  EXPECT_EQ(run({"exists", "missing"}), ":0\r\n");
}

TEST_F(StringOpsCmd, IncrbyfloatRefusesBadStoredValues) {
  for (const std::string& v : {"abc"s, " 1"s, "1 "s, ""s, "nan"s, "1\0"s}) {
    run({"set", "s", v});
    EXPECT_EQ(run({"incrbyfloat", "s", "1"}), kNotFloat) << v;
    EXPECT_EQ(run({"get", "s"}), bulk(v));
  }
  run({"set", "s", "inf"});
  EXPECT_EQ(run({"incrbyfloat", "s", "1"}), kNanOrInf);
  run({"set", "s", "1.18973149535723176502e+4932"});
  EXPECT_EQ(run({"incrbyfloat", "s", "1.18973149535723176502e+4932"}), kNanOrInf);
  EXPECT_EQ(run({"incrbyfloat", "s", "-inf"}), kNanOrInf);
}

// ---- GETRANGE, SUBSTR ----

TEST_F(StringOpsCmd, GetrangeIndexes) {
  run({"set", "k", "hello"});
  const std::vector<std::vector<std::string>> cases = {
      {"0", "-1", "hello"},  {"0", "0", "h"},      {"1", "3", "ell"},  {"4", "100", "o"},
      {"5", "100", ""},      {"3", "1", ""},       {"-1", "-5", ""},   {"-5", "-5", "h"},
      {"-100", "-100", "h"}, {"-100", "-99", "h"}, {"0", "-100", "h"}, {"2", "-3", "l"},
      {"2", "-4", ""},       {"-3", "-1", "llo"},  {"-1", "-1", "o"},  {kMin, kMax, "hello"},
      {kMax, kMax, ""},      {kMin, kMin, "h"},    {"-6", "1", "he"},  {"1", "-6", ""},
      {"-10", "-20", ""},    {"-7", "-6", "h"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(run({"getrange", "k", c[0], c[1]}), bulk(c[2])) << c[0] << " " << c[1];
    EXPECT_EQ(run({"substr", "k", c[0], c[1]}), bulk(c[2])) << c[0] << " " << c[1];
  }
}

TEST_F(StringOpsCmd, GetrangeOfEmptyAndMissing) {
  run({"set", "e", ""});
  for (const auto& [s, e] : std::vector<std::pair<std::string, std::string>>{
           {"0", "-1"}, {"0", "0"}, {"-1", "0"}, {kMin, kMax}}) {
    EXPECT_EQ(run({"getrange", "e", s, e}), "$0\r\n\r\n");
    EXPECT_EQ(run({"getrange", "missing", s, e}), "$0\r\n\r\n");
  }
}

TEST_F(StringOpsCmd, GetrangeIsBinarySafe) {
  run({"set", "b", "a\0\r\nb\xff"s});
  EXPECT_EQ(run({"getrange", "b", "1", "3"}), "$3\r\n\0\r\n\r\n"s);
  EXPECT_EQ(run({"getrange", "b", "-2", "-1"}), "$2\r\nb\xff\r\n"s);
}

TEST_F(StringOpsCmd, GetrangeParsesIndexesBeforeReadingTheKey) {
  run({"set", "k", "hello"});
  for (const std::string& bad : {"a"s, " 1"s, "01"s, "1\0"s, "9223372036854775808"s, ""s}) {
    EXPECT_EQ(run({"getrange", "k", bad, "1"}), kNotInt) << bad;
    EXPECT_EQ(run({"getrange", "k", "1", bad}), kNotInt) << bad;
    EXPECT_EQ(run({"getrange", "missing", bad, "1"}), kNotInt) << bad;
  }
}

// ---- SETRANGE ----

TEST_F(StringOpsCmd, SetrangeOverwritesAndPads) {
  run({"set", "s", "Hello World"});
  EXPECT_EQ(run({"setrange", "s", "6", "Redis"}), ":11\r\n");
  EXPECT_EQ(run({"get", "s"}), "$11\r\nHello Redis\r\n");
  EXPECT_EQ(run({"setrange", "s", "20", "!"}), ":21\r\n");
  EXPECT_EQ(run({"get", "s"}), "$21\r\nHello Redis\0\0\0\0\0\0\0\0\0!\r\n"s);
  EXPECT_EQ(run({"setrange", "s", "9", "xyz"}), ":21\r\n");
  EXPECT_EQ(run({"get", "s"}), "$21\r\nHello Redxyz\0\0\0\0\0\0\0\0!\r\n"s);
}

TEST_F(StringOpsCmd, SetrangeOnMissingKey) {
  EXPECT_EQ(run({"setrange", "m", "3", "ab"}), ":5\r\n");
  EXPECT_EQ(run({"get", "m"}), "$5\r\n\0\0\0ab\r\n"s);
  EXPECT_EQ(expire_at("m"), 0);
  EXPECT_EQ(run({"setrange", "z", "0", "x"}), ":1\r\n");
  EXPECT_EQ(run({"get", "z"}), "$1\r\nx\r\n");
}

TEST_F(StringOpsCmd, SetrangeWithEmptyValueChangesNothing) {
  EXPECT_EQ(run({"setrange", "m", "0", ""}), ":0\r\n");
  EXPECT_EQ(run({"setrange", "m", "100", ""}), ":0\r\n");
  EXPECT_EQ(run({"setrange", "m", kMax, ""}), ":0\r\n");
  EXPECT_EQ(run({"exists", "m"}), ":0\r\n");
  run({"set", "s", "abc"});
  EXPECT_EQ(run({"setrange", "s", "0", ""}), ":3\r\n");
  EXPECT_EQ(run({"setrange", "s", "99999999999", ""}), ":3\r\n");
  EXPECT_EQ(run({"get", "s"}), "$3\r\nabc\r\n");
}

TEST_F(StringOpsCmd, SetrangeOffsetErrors) {
  run({"set", "s", "abc"});
  const std::string out_of_range = "-ERR offset is out of range\r\n";
  EXPECT_EQ(run({"setrange", "s", "-1", "x"}), out_of_range);
  EXPECT_EQ(run({"setrange", "m", "-1", ""}), out_of_range);
  EXPECT_EQ(run({"setrange", "m", kMin, "x"}), out_of_range);
  for (const std::string& bad : {"x"s, " 1"s, "01"s, "-0"s, "1\0"s, "9223372036854775808"s}) {
    EXPECT_EQ(run({"setrange", "s", bad, "x"}), kNotInt) << bad;
    EXPECT_EQ(run({"setrange", "m", bad, ""}), kNotInt) << bad;
  }
  EXPECT_EQ(run({"get", "s"}), "$3\r\nabc\r\n");
  EXPECT_EQ(run({"exists", "m"}), ":0\r\n");
}

TEST_F(StringOpsCmd, SetrangeRespectsProtoMaxBulkLen) {
  settings_.proto_max_bulk_len = 1024 * 1024;
  EXPECT_EQ(run({"setrange", "n", "1048576", "x"}), kTooLong);
  EXPECT_EQ(run({"setrange", "n", "1048575", "xy"}), kTooLong);
  EXPECT_EQ(run({"setrange", "n", kMax, "x"}), kTooLong);
  EXPECT_EQ(run({"setrange", "n", "9223372036854775806", "xy"}), kTooLong);
  EXPECT_EQ(run({"exists", "n"}), ":0\r\n");
  EXPECT_EQ(run({"setrange", "n", "1048575", "x"}), ":1048576\r\n");
  EXPECT_EQ(run({"getrange", "n", "1048574", "-1"}), "$2\r\n\0x\r\n"s);
  // Existing keys are checked the same way, even when the write stays inside the value.
  EXPECT_EQ(run({"setrange", "n", "1048576", "x"}), kTooLong);
  EXPECT_EQ(run({"setrange", "n", "0", "y"}), ":1048576\r\n");
}

TEST_F(StringOpsCmd, SetrangeIsBinarySafeAndKeepsTtl) {
  run({"set", "x", "ab"});
  const std::int64_t at = set_ttl("x", 60'000);
  EXPECT_EQ(run({"setrange", "x", "1", "\0\r\n"s}), ":4\r\n");
  EXPECT_EQ(run({"get", "x"}), "$4\r\na\0\r\n\r\n"s);
  EXPECT_EQ(expire_at("x"), at);
  EXPECT_EQ(run({"setrange", "x", "0", "Z"}), ":4\r\n");  // Same length: rewritten in place.
  EXPECT_EQ(expire_at("x"), at);
  EXPECT_EQ(run({"setrange", "x", "0", ""}), ":4\r\n");
  EXPECT_EQ(expire_at("x"), at);
}

// ---- LCS ----

// The example of Redis's LCS documentation.
class LcsCmd : public StringOpsCmd {
 protected:
  LcsCmd() { run({"mset", "k1", "ohmytext", "k2", "mynewtext"}); }
};

TEST_F(LcsCmd, StringAndLen) {
  EXPECT_EQ(run({"lcs", "k1", "k2"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(run({"lcs", "k2", "k1"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "len"}), ":6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k1"}), "$8\r\nohmytext\r\n");
  // WITHMATCHLEN and MINMATCHLEN only matter with IDX.
  EXPECT_EQ(run({"lcs", "k1", "k2", "withmatchlen"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "LEN", "withmatchlen"}), ":6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen", "3"}), "$6\r\nmytext\r\n");
}

TEST_F(LcsCmd, Idx) {
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "withmatchlen"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen", "4"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "IDX", "MinMatchLen", "4", "WITHMATCHLEN"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k1", "idx", "withmatchlen"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n"
            "*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n"
            "$3\r\nlen\r\n:8\r\n");
}

TEST_F(LcsCmd, MinMatchLenEdges) {
  const std::string all =
      "*4\r\n$7\r\nmatches\r\n*2\r\n"
      "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
      "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
      "$3\r\nlen\r\n:6\r\n";
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen", "-5", "idx"}), all);  // Negative means 0.
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen", "0"}), all);
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen", "9", "minmatchlen", "2", "idx"}), all);
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen", kMax}),
            "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n");
}

TEST_F(LcsCmd, MissingKeysAreEmptyStrings) {
  EXPECT_EQ(run({"lcs", "m1", "m2"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"lcs", "m1", "m2", "len"}), ":0\r\n");
  EXPECT_EQ(run({"lcs", "m1", "m2", "idx"}), "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
  EXPECT_EQ(run({"lcs", "k1", "m2", "idx"}), "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
  EXPECT_EQ(run({"lcs", "m1", "k2"}), "$0\r\n\r\n");
}

TEST_F(LcsCmd, OptionErrors) {
  const std::string both = "-ERR If you want both the length and indexes, please just use IDX.\r\n";
  const std::string syntax = "-ERR syntax error\r\n";
  EXPECT_EQ(run({"lcs", "k1", "k2", "len", "idx"}), both);
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "len"}), both);
  EXPECT_EQ(run({"lcs", "k1", "k2", "IDX", "MINMATCHLEN", "1", "LEN"}), both);
  EXPECT_EQ(run({"lcs", "m1", "m2", "idx", "len"}), both);
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen"}), syntax);
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen"}), syntax);
  EXPECT_EQ(run({"lcs", "k1", "k2", "foo"}), syntax);
  EXPECT_EQ(run({"lcs", "k1", "k2", "len", "foo"}), syntax);
  EXPECT_EQ(run({"lcs", "k1", "k2", ""}), syntax);
  // Every option is read before LEN and IDX are compared, and the first bad word wins.
  EXPECT_EQ(run({"lcs", "k1", "k2", "len", "idx", "foo"}), syntax);
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen", "x"}), kNotInt);
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen", "x", "len", "idx"}), kNotInt);
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen", "3\0"s}), kNotInt);
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "minmatchlen", "1.5"}), kNotInt);
}

TEST_F(LcsCmd, OptionsEndAtNulLikeRedisStrcasecmp) {
  EXPECT_EQ(run({"lcs", "k1", "k2", "len\0x"s}), ":6\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "minmatchlen\0"s, "3", "idx"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "$3\r\nlen\r\n:6\r\n");
}

TEST_F(LcsCmd, Resp3RepliesAMap) {
  run({"hello", "3"});
  EXPECT_EQ(run({"lcs", "k1", "k2", "idx", "withmatchlen"}),
            "%2\r\n$7\r\nmatches\r\n*2\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(run({"lcs", "m1", "m2", "idx"}), "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(run({"lcs", "k1", "k2", "len"}), ":6\r\n");
}

TEST_F(StringOpsCmd, LcsRangesWithGaps) {
  run({"set", "a", "abcde"});
  run({"set", "b", "xbcyde"});
  EXPECT_EQ(run({"lcs", "a", "b"}), "$4\r\nbcde\r\n");
  EXPECT_EQ(run({"lcs", "a", "b", "idx", "withmatchlen"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*3\r\n*2\r\n:3\r\n:4\r\n*2\r\n:4\r\n:5\r\n:2\r\n"
            "*3\r\n*2\r\n:1\r\n:2\r\n*2\r\n:1\r\n:2\r\n:2\r\n"
            "$3\r\nlen\r\n:4\r\n");
}

TEST_F(StringOpsCmd, LcsIsBinarySafe) {
  run({"set", "bin1", "a\0b\r\nc"s});
  run({"set", "bin2", "\0\r\nc"s});
  EXPECT_EQ(run({"lcs", "bin1", "bin2"}), "$4\r\n\0\r\nc\r\n"s);
  EXPECT_EQ(run({"lcs", "bin1", "bin2", "idx"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*2\r\n*2\r\n:3\r\n:5\r\n*2\r\n:1\r\n:3\r\n"
            "*2\r\n*2\r\n:1\r\n:1\r\n*2\r\n:0\r\n:0\r\n"
            "$3\r\nlen\r\n:4\r\n");
}

TEST_F(StringOpsCmd, LcsTableMayNotExceedProtoMaxBulkLen) {
  const std::string too_big =
      "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n";
  settings_.proto_max_bulk_len = 1024 * 1024;
  run({"set", "a", std::string(600, 'x')});
  run({"set", "b", std::string(435, 'x')});  // 601 * 436 * 4 = 1048144 bytes.
  EXPECT_EQ(run({"lcs", "a", "b", "len"}), ":435\r\n");
  EXPECT_EQ(run({"lcs", "b", "a", "len"}), ":435\r\n");
  run({"set", "b", std::string(436, 'x')});  // 601 * 437 * 4 = 1050548 bytes.
  EXPECT_EQ(run({"lcs", "a", "b", "len"}), too_big);
  EXPECT_EQ(run({"lcs", "b", "a"}), too_big);
  EXPECT_EQ(run({"lcs", "a", "missing", "len"}), ":0\r\n");
  // Option errors come first.
  EXPECT_EQ(run({"lcs", "a", "b", "foo"}), "-ERR syntax error\r\n");
  // One value alone can be too long for the table.
  run({"set", "c", std::string(262'144, 'y')});  // (262144 + 1) * 4 > 1 MiB.
  EXPECT_EQ(run({"lcs", "c", "missing"}), too_big);
  EXPECT_EQ(run({"lcs", "missing", "c", "idx"}), too_big);
  run({"set", "c", std::string(262'143, 'y')});
  EXPECT_EQ(run({"lcs", "c", "missing", "len"}), ":0\r\n");
  settings_.proto_max_bulk_len = 512LL * 1024 * 1024;
  EXPECT_EQ(run({"lcs", "a", "b", "len"}), ":436\r\n");
}

// ---- Keyspace hits and misses, as Redis's lookupKeyRead counts them ----

TEST_F(StringOpsCmd, ReadsCountKeyspaceHitsAndMisses) {
  run({"set", "a", "1"});
  const auto expect_counts = [&](const std::vector<std::string>& cmd, std::uint64_t h,
                                 std::uint64_t m) {
    const std::uint64_t h0 = hits();
    const std::uint64_t m0 = misses();
    run(cmd);
    EXPECT_EQ(hits() - h0, h) << cmd[0];
    EXPECT_EQ(misses() - m0, m) << cmd[0];
  };
  expect_counts({"lcs", "a", "m"}, 1, 1);
  expect_counts({"lcs", "a", "a", "len", "idx"}, 2, 0);  // Keys are read before options.
  expect_counts({"lcs", "a", "a", "foo"}, 2, 0);
  expect_counts({"strlen", "a"}, 1, 0);
  expect_counts({"strlen", "m"}, 0, 1);
  expect_counts({"getrange", "a", "0", "1"}, 1, 0);
  expect_counts({"substr", "m", "0", "1"}, 0, 1);
  expect_counts({"getrange", "a", "x", "1"}, 0, 0);
  expect_counts({"incr", "a"}, 0, 0);
  expect_counts({"append", "a", "x"}, 0, 0);
  expect_counts({"setrange", "a", "0", "y"}, 0, 0);
  expect_counts({"incrbyfloat", "b", "1"}, 0, 0);
}

}  // namespace
}  // namespace kv::cmd::test
