// Unit tests for the AOF reader: units and transactions, every truncation point of the last
// record, framing damage in the middle (never mistaken for a cut tail), limits and annotations.
#include "persist/aof_reader.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "persist/crc64.hpp"
#include "proto/reply_reader.hpp"

namespace kv::persist {
namespace {

using namespace std::string_literals;

using Unit = std::vector<std::vector<std::string>>;

// The RESP encoding of one command.
std::string cmd(std::initializer_list<std::string_view> args) {
  return proto::encode_command(std::vector<std::string_view>(args));
}

std::string multi() { return cmd({"MULTI"}); }
std::string exec() { return cmd({"EXEC"}); }

// Reads `data`, copying every unit delivered into `units`.
AofReadResult read(std::string_view data, std::vector<Unit>& units, AofReadOptions options = {}) {
  units.clear();
  return read_aof(
      data,
      [&](std::span<const AofCommand> unit) {
        Unit u;
        for (const AofCommand& c : unit) u.emplace_back(c.begin(), c.end());
        units.push_back(std::move(u));
        return true;
      },
      options);
}

AofReadResult read(std::string_view data, AofReadOptions options = {}) {
  std::vector<Unit> units;
  return read(data, units, options);
}

const char* name(AofReadStatus s) {
  return s == AofReadStatus::ok ? "ok" : s == AofReadStatus::truncated ? "truncated" : "corrupt";
}

TEST(AofReader, EmptyBufferIsOkWithNoUnits) {
  std::vector<Unit> units;
  const AofReadResult r = read("", units);
  EXPECT_EQ(r.status, AofReadStatus::ok);
  EXPECT_EQ(r.units, 0u);
  EXPECT_EQ(r.commands, 0u);
  EXPECT_EQ(r.valid_bytes, 0u);
  EXPECT_TRUE(r.message.empty());
  EXPECT_TRUE(units.empty());
}

TEST(AofReader, EachCommandIsAUnit) {
  const std::string data = cmd({"SET", "k", "v"}) + cmd({"DEL", "k"}) + cmd({"PING"});
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok);
  EXPECT_EQ(r.units, 3u);
  EXPECT_EQ(r.commands, 3u);
  EXPECT_EQ(r.valid_bytes, data.size());
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0], (Unit{{"SET", "k", "v"}}));
  EXPECT_EQ(units[1], (Unit{{"DEL", "k"}}));
  EXPECT_EQ(units[2], (Unit{{"PING"}}));
}

TEST(AofReader, TransactionIsOneUnitWithMultiAndExec) {
  const std::string data = cmd({"SET", "a", "1"}) + multi() + cmd({"INCR", "a"}) +
                           cmd({"SET", "b", "2"}) + exec() + cmd({"multi"}) + cmd({"exec"});
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
  EXPECT_EQ(r.units, 3u);
  EXPECT_EQ(r.commands, 7u);
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[1], (Unit{{"MULTI"}, {"INCR", "a"}, {"SET", "b", "2"}, {"EXEC"}}));
  EXPECT_EQ(units[2], (Unit{{"multi"}, {"exec"}}));
}

TEST(AofReader, BinaryPayloadsMayHoldCrlfAndRespText) {
  const std::string value = "a\r\nb\r\n*2\r\n$3\r\nGET\r\n\0\xff"s;
  const std::string data = cmd({"SET", "bin\r\nkey", value}) + cmd({"SET", "", ""});
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0], (Unit{{"SET", "bin\r\nkey", value}}));
  EXPECT_EQ(units[1], (Unit{{"SET", "", ""}}));
}

TEST(AofReader, ArgumentsAreViewsIntoTheBuffer) {
  const std::string data = cmd({"SET", "key", "value"});
  read_aof(data, [&](std::span<const AofCommand> unit) {
    EXPECT_EQ(unit[0][2].data(), data.data() + data.find("value"));
    return true;
  });
}

// Checks every prefix of `head + last`: a prefix ending inside `last` is truncated at head's end
// (losing only `last`); the boundaries are ok.
void expect_every_cut_truncated(const std::string& head, const std::string& last,
                                std::uint64_t head_units) {
  const std::string data = head + last;
  for (std::size_t len = head.size(); len <= data.size(); ++len) {
    SCOPED_TRACE("prefix of " + std::to_string(len) + " bytes");
    std::vector<Unit> units;
    const AofReadResult r = read(std::string_view(data).substr(0, len), units);
    if (len == head.size() || len == data.size()) {
      EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
      EXPECT_EQ(r.valid_bytes, len);
      continue;
    }
    EXPECT_EQ(r.status, AofReadStatus::truncated) << name(r.status) << ": " << r.message;
    EXPECT_EQ(r.valid_bytes, head.size());
    EXPECT_EQ(r.units, head_units);
    EXPECT_EQ(units.size(), head_units);
    EXPECT_NE(r.message.find("unexpected end of file"), std::string::npos) << r.message;
  }
}

TEST(AofReader, EveryCutOfTheLastCommandIsTruncated) {
  const std::string head = cmd({"SET", "a", "1"}) + cmd({"SET", "b", "2"});
  expect_every_cut_truncated(head, cmd({"SET", "key:10", "a value with\r\nbytes\0"s}), 2);
}

TEST(AofReader, EveryCutOfTheLastTransactionIsTruncatedAtItsMulti) {
  const std::string head = cmd({"SET", "a", "1"}) + multi() + cmd({"INCR", "a"}) + exec();
  const std::string last = multi() + cmd({"SET", "b", "2"}) + cmd({"APPEND", "b", "xyz"}) + exec();
  expect_every_cut_truncated(head, last, 2);
}

TEST(AofReader, TruncatedErrorOffsetIsTheCutCommand) {
  const std::string head = cmd({"SET", "a", "1"}) + multi();
  const std::string inner = cmd({"SET", "b", "2"});
  const std::string data = head + inner + cmd({"SET", "c", "3"});
  const AofReadResult r = read(std::string_view(data).substr(0, data.size() - 3));
  EXPECT_EQ(r.status, AofReadStatus::truncated);
  EXPECT_EQ(r.valid_bytes, head.size() - multi().size());
  EXPECT_EQ(r.error_offset, head.size() + inner.size());
  EXPECT_EQ(r.message, "unexpected end of file in a command at offset " +
                           std::to_string(head.size() + inner.size()));
}

TEST(AofReader, MultiWithoutExecAtTheEndIsTruncated) {
  const std::string head = cmd({"SET", "a", "1"});
  const std::string data = head + multi() + cmd({"SET", "b", "2"});
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::truncated);
  EXPECT_EQ(r.valid_bytes, head.size());
  EXPECT_EQ(r.error_offset, head.size());
  EXPECT_EQ(units.size(), 1u);
  EXPECT_NE(r.message.find("without EXEC"), std::string::npos) << r.message;
}

TEST(AofReader, DamageInsideAnOpenTransactionIsCorrupt) {
  const std::string data = multi() + cmd({"SET", "b", "2"}) + "*2\r\n$3\r\nGET\r\n%1\r\nb\r\n";
  const AofReadResult r = read(data);
  EXPECT_EQ(r.status, AofReadStatus::corrupt);
  EXPECT_EQ(r.valid_bytes, 0u);
  EXPECT_EQ(r.error_offset, data.find('%'));
}

// The framing bytes of `data` ('*', '$', digits and CRLFs), found by walking the format.
std::vector<std::size_t> framing_positions(const std::string& data) {
  std::vector<std::size_t> out;
  std::size_t p = 0;
  const auto line = [&] {
    const std::size_t start = p;
    p = data.find("\r\n", p) + 2;
    for (std::size_t i = start; i < p; ++i) out.push_back(i);
    return std::stoul(data.substr(start + 1, p - start - 3));
  };
  while (p < data.size()) {
    for (std::size_t n = line(); n > 0; --n) {
      p += line();
      out.push_back(p);
      out.push_back(p + 1);
      p += 2;
    }
  }
  return out;
}

// A damaged byte may make a few bytes parse as a different unit before the damage shows (a longer
// length can swallow the next line); the read must still end corrupt, so the caller discards all.
TEST(AofReader, FramingDamageInTheMiddleIsCorrupt) {
  const std::string first = cmd({"SET", "k1", "v1"});
  const std::string middle = multi() + cmd({"SET", "key:2", "0123456789"}) + cmd({"DEL", "k1"}) +
                             exec() + cmd({"INCRBY", "n", "12"});
  const std::string last = cmd({"SET", "k3", "v3"}) + cmd({"GET", "k3"});
  const std::string data = first + middle + last;
  const std::string replacements = "x\0*$#\r\n0123456789"s;
  for (std::size_t pos : framing_positions(data)) {
    if (pos < first.size() || pos >= first.size() + middle.size()) continue;
    for (char c : replacements) {
      if (c == data[pos]) continue;
      std::string bad = data;
      bad[pos] = c;
      std::vector<Unit> units;
      const AofReadResult r = read(bad, units);
      EXPECT_EQ(r.status, AofReadStatus::corrupt)
          << "byte " << pos << " set to " << int(c) << ": " << name(r.status) << " " << r.message;
    }
  }
}

TEST(AofReader, LengthMadeBiggerInTheMiddleIsCorruptNotTruncated) {
  const std::string head = cmd({"SET", "a", "1"});
  const std::string damaged = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$90\r\n0123456789\r\n";
  const std::string tail = cmd({"SET", "c", "3"}) + cmd({"DEL", "a"});
  const std::string data = head + damaged + tail;
  ASSERT_LT(tail.size() + 10, 90u);  // The damaged length runs past the end of the data.
  const AofReadResult r = read(data);
  EXPECT_EQ(r.status, AofReadStatus::corrupt) << r.message;
  EXPECT_EQ(r.valid_bytes, head.size());
  EXPECT_EQ(r.error_offset, head.size() + damaged.find("$90"));
  EXPECT_NE(r.message.find("damaged bulk length"), std::string::npos) << r.message;
}

TEST(AofReader, LengthRunningPastTheEndWithNothingAfterIsTruncated) {
  const std::string head = cmd({"SET", "a", "1"});
  const std::string data = head + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$90\r\n0123456789\r\n";
  const AofReadResult r = read(data);
  EXPECT_EQ(r.status, AofReadStatus::truncated) << r.message;
  EXPECT_EQ(r.valid_bytes, head.size());
}

TEST(AofReader, CutValueHoldingACommandIsCorruptTheSafeSide) {
  const std::string head = cmd({"SET", "a", "1"});
  const std::string data = head + cmd({"SET", "b", "x\r\n*1\r\n$4\r\nPING\r\nmore"});
  const AofReadResult r = read(std::string_view(data).substr(0, data.size() - 4));
  EXPECT_EQ(r.status, AofReadStatus::corrupt) << r.message;
}

TEST(AofReader, BadFramingIsCorruptAtTheBadByte) {
  struct Case {
    std::string data;
    std::size_t offset;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"$3\r\nSET\r\n", 0, "expected '*' at offset 0"},
      {"*1\r\n#4\r\nPING\r\n", 4, "expected '$' at offset 4"},
      {"*0\r\n", 0, "empty command (argument count 0) at offset 0"},
      {"*-1\r\n", 1, "expected a digit at offset 1"},
      {"*1x\r\n", 2, "expected '\\r\\n' at offset 2"},
      {"*1\r\r", 3, "expected '\\n' at offset 3"},
      {"*1\r\n$4\r\nPINGx\n", 12, "expected '\\r\\n' after a bulk at offset 12"},
      {"*1\r\n$4\r\nPING\rx", 13, "expected '\\n' after a bulk at offset 13"},
      {"*1\r\n$\r\n", 5, "expected a digit at offset 5"},
      {"*1\r\n$600000000\r\n", 4, "bulk length over the limit 536870912 at offset 4"},
      {"*99999999999\r\n", 0, "argument count over the limit 2147483647 at offset 0"},
      {"*1\r\n$000000000000000000004\r\nPING\r\n", 4,
       "bulk length over the limit 536870912 at offset 4"},
      {"\0\0\0\0"s, 0, "expected '*' at offset 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.data);
    const AofReadResult r = read(c.data);
    EXPECT_EQ(r.status, AofReadStatus::corrupt);
    EXPECT_EQ(r.error_offset, c.offset);
    EXPECT_EQ(r.message, c.message);
    EXPECT_EQ(r.valid_bytes, 0u);
  }
}

TEST(AofReader, LeadingZerosInNumbersAreAccepted) {
  std::vector<Unit> units;
  const AofReadResult r = read("*01\r\n$004\r\nPING\r\n", units);
  EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
  EXPECT_EQ(units, (std::vector<Unit>{{{"PING"}}}));
}

TEST(AofReader, LimitsComeFromTheOptions) {
  AofReadOptions options;
  options.max_args = 2;
  options.max_bulk_len = 3;
  EXPECT_EQ(read(cmd({"DEL", "k"}), options).status, AofReadStatus::ok);
  const AofReadResult many = read(cmd({"DEL", "a", "b"}), options);
  EXPECT_EQ(many.status, AofReadStatus::corrupt);
  EXPECT_EQ(many.message, "argument count over the limit 2 at offset 0");
  const AofReadResult big = read(cmd({"PING"}), options);
  EXPECT_EQ(big.status, AofReadStatus::corrupt);
  EXPECT_EQ(big.message, "bulk length over the limit 3 at offset 4");
  // The largest limit cannot overflow the arithmetic.
  options.max_bulk_len = UINT64_MAX;
  const AofReadResult huge = read("*1\r\n$99999999999999999999\r\n", options);
  EXPECT_EQ(huge.status, AofReadStatus::corrupt);
  EXPECT_EQ(huge.error_offset, 4u);
  EXPECT_EQ(read("*1\r\n$18446744073709551615\r\nxx", options).status, AofReadStatus::truncated);
}

TEST(AofReader, NestedMultiIsCorrupt) {
  const std::string head = cmd({"SET", "a", "1"});
  const std::string data = head + multi() + cmd({"SET", "b", "2"}) + multi() + exec();
  const AofReadResult r = read(data);
  EXPECT_EQ(r.status, AofReadStatus::corrupt);
  EXPECT_EQ(r.valid_bytes, head.size());
  const std::size_t second = head.size() + multi().size() + cmd({"SET", "b", "2"}).size();
  EXPECT_EQ(r.error_offset, second);
  EXPECT_EQ(r.message, "nested MULTI at offset " + std::to_string(second));
}

TEST(AofReader, ExecWithoutMultiIsCorrupt) {
  const std::string head = cmd({"SET", "a", "1"});
  const AofReadResult r = read(head + exec());
  EXPECT_EQ(r.status, AofReadStatus::corrupt);
  EXPECT_EQ(r.error_offset, head.size());
  EXPECT_EQ(r.message, "EXEC without MULTI at offset " + std::to_string(head.size()));
}

TEST(AofReader, RejectedUnitStopsTheRead) {
  const std::string first = cmd({"SET", "a", "1"});
  const std::string data = first + multi() + cmd({"BAD"}) + exec() + cmd({"SET", "b", "2"});
  int calls = 0;
  const AofReadResult r = read_aof(data, [&](std::span<const AofCommand> unit) {
    ++calls;
    return unit.size() == 1;
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r.status, AofReadStatus::corrupt);
  EXPECT_EQ(r.units, 1u);
  EXPECT_EQ(r.commands, 1u);
  EXPECT_EQ(r.valid_bytes, first.size());
  EXPECT_EQ(r.error_offset, first.size());
  EXPECT_EQ(r.message, "command rejected at offset " + std::to_string(first.size()));
}

TEST(AofReader, AnnotationsAreSkipped) {
  const std::string data = "#TS:1700000000\r\n" + cmd({"SET", "a", "1"}) + multi() +
                           "#TS:1700000001\r\n" + cmd({"INCR", "a"}) + exec() + "#TS:2\r\n";
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
  EXPECT_EQ(r.valid_bytes, data.size());
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[1], (Unit{{"MULTI"}, {"INCR", "a"}, {"EXEC"}}));
}

TEST(AofReader, CutAnnotationIsTruncatedAndLongOneCorrupt) {
  const std::string head = cmd({"SET", "a", "1"});
  const AofReadResult cut = read(head + "#TS:17000");
  EXPECT_EQ(cut.status, AofReadStatus::truncated);
  EXPECT_EQ(cut.valid_bytes, head.size());
  EXPECT_EQ(cut.message,
            "unexpected end of file in an annotation at offset " + std::to_string(head.size()));
  const AofReadResult in_multi = read(head + multi() + "#TS:17000");
  EXPECT_EQ(in_multi.status, AofReadStatus::truncated);
  EXPECT_EQ(in_multi.valid_bytes, head.size());
  const AofReadResult longer = read(head + "#" + std::string(kAofMaxAnnotation, 'x') + "\r\n");
  EXPECT_EQ(longer.status, AofReadStatus::corrupt);
  EXPECT_EQ(longer.error_offset, head.size());
  const std::string fits = "#" + std::string(kAofMaxAnnotation - 3, 'x') + "\r\n";
  EXPECT_EQ(read(head + fits + head).status, AofReadStatus::ok);
}

// The checksum line of `covered` (what kvd's writer ends each write with).
std::string checksum(std::string_view covered) {
  char line[kAofChecksumLine];
  format_aof_checksum(crc64(0, covered), line);
  return {line, kAofChecksumLine};
}

TEST(AofReader, ChecksumLinesAreCheckedAndSkipped) {
  const std::string a = cmd({"SET", "a", "1"}) + cmd({"SET", "b", "2"});
  const std::string b = multi() + cmd({"INCR", "a"}) + exec();
  const std::string tail = cmd({"DEL", "b"});  // Not yet under a line: read as it is.
  const std::string data = a + checksum(a) + b + checksum(b) + tail;
  EXPECT_EQ(checksum(a).size(), kAofChecksumLine);
  EXPECT_TRUE(checksum(a).starts_with("#C:")) << checksum(a);
  EXPECT_TRUE(checksum(a).ends_with("\r\n")) << checksum(a);
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok) << r.message;
  EXPECT_EQ(r.valid_bytes, data.size());
  EXPECT_EQ(r.unchecked_from, data.size() - tail.size());
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[3], (Unit{{"DEL", "b"}}));
  // After a start offset (an RDB preamble), the first line covers the bytes from there.
  const std::string preamble = "REDIS0010...rdb...";
  AofReadOptions options;
  options.start = preamble.size();
  EXPECT_EQ(read(preamble + a + checksum(a), options).status, AofReadStatus::ok);
}

TEST(AofReader, AChangedByteUnderAChecksumLineIsCorrupt) {
  const std::string a = cmd({"SET", "a", "1"});
  const std::string b = cmd({"SET", "key", "value"}) + cmd({"SET", "c", "3"});
  const std::string good = a + checksum(a) + b + checksum(b);
  // Every byte of b's values and keys: framing still fine, only the checksum tells.
  for (const std::size_t at : {b.find("key"), b.find("value") + 2, b.rfind('3')}) {
    std::string bad = good;
    const std::size_t offset = a.size() + kAofChecksumLine + at;
    bad[offset] ^= 0x20;
    const AofReadResult r = read(bad);
    EXPECT_EQ(r.status, AofReadStatus::corrupt) << at;
    EXPECT_EQ(r.error_offset, a.size() + kAofChecksumLine) << r.message;  // Where b starts.
    EXPECT_NE(r.message.find("checksum mismatch"), std::string::npos) << r.message;
  }
  // A changed digit of the line itself, and a line cut to a wrong length.
  std::string bad_line = good;
  bad_line[a.size() + 5] = bad_line[a.size() + 5] == '0' ? '1' : '0';
  EXPECT_EQ(read(bad_line).status, AofReadStatus::corrupt);
  std::string short_line = good;
  short_line.erase(a.size() + 5, 1);
  EXPECT_EQ(read(short_line).status, AofReadStatus::corrupt);
  // A line cut off by the end of the file is a truncated tail, as any annotation.
  const AofReadResult cut = read(a + checksum(a).substr(0, 10));
  EXPECT_EQ(cut.status, AofReadStatus::truncated);
  EXPECT_EQ(cut.valid_bytes, a.size());
}

TEST(AofReader, StartsAtTheGivenOffsetAndReportsOffsetsInTheBuffer) {
  const std::string preamble = "REDIS0010...rdb...";
  const std::string data = preamble + cmd({"SET", "a", "1"}) + "*1\r\n$4\r\nPI";
  AofReadOptions options;
  options.start = preamble.size();
  std::vector<Unit> units;
  const AofReadResult r = read(data, units, options);
  EXPECT_EQ(r.status, AofReadStatus::truncated);
  EXPECT_EQ(units.size(), 1u);
  EXPECT_EQ(r.valid_bytes, preamble.size() + cmd({"SET", "a", "1"}).size());
  EXPECT_EQ(read(preamble, options).valid_bytes, preamble.size());
}

TEST(AofReader, LargeBulkIsReadInPlace) {
  const std::string big(3 * 1024 * 1024, 'v');
  const std::string data = cmd({"SET", "big", big}) + cmd({"GET", "big"});
  std::vector<Unit> units;
  const AofReadResult r = read(data, units);
  EXPECT_EQ(r.status, AofReadStatus::ok);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0][0][2].size(), big.size());
}

}  // namespace
}  // namespace kv::persist
