// Unit tests for the RDB writer and reader: encodings byte by byte, round trips, damaged files,
// and hand-built files holding the other value types.
#include "persist/rdb.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "persist/crc64.hpp"

namespace kv::persist {
namespace {

using namespace std::string_literals;

struct Key {
  std::uint64_t db;
  std::string key, value;
  std::optional<std::int64_t> expire;
  bool operator==(const Key&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Key& k) {
  return os << "{db " << k.db << ", " << k.key.size() << "-byte key, " << k.value.size()
            << "-byte value, expire " << k.expire.value_or(-1) << "}";
}

// Writes `keys` (consecutive keys of one db share a SELECTDB) to a string.
std::string write(const std::vector<Key>& keys, RdbWriterOptions options = {}) {
  std::string file;
  RdbWriter w([&](std::string_view b) { file.append(b); }, options);
  w.begin();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i == 0 || keys[i].db != keys[i - 1].db) w.select_db(keys[i].db, 1, 0);
    w.put(keys[i].key, keys[i].value, keys[i].expire.value_or(0));
  }
  w.finish();
  EXPECT_EQ(w.bytes_written(), file.size());
  return file;
}

RdbStatus read(std::string_view file, std::vector<Key>& out, RdbReaderOptions options = {},
               RdbStats* stats = nullptr) {
  RdbReader reader(options);
  const RdbStatus st = reader.read(file, [&](const RdbEntry& e) {
    out.push_back({e.db, std::string(e.key), std::string(e.value), e.expire_at_ms});
  });
  if (stats != nullptr) *stats = reader.stats();
  return st;
}

// A version 10 file around `body` (opcodes and keys), with EOF and a correct checksum.
std::string wrap(std::string_view body, std::string_view version = "0010") {
  std::string f = "REDIS"s + std::string(version) + std::string(body) + "\xff";
  const std::uint64_t crc = crc64(0, f);
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>(crc >> (8 * i)));
  return f;
}

std::string str(std::string_view s) {
  std::string out, scratch;
  rdb_append_string(out, s, true, scratch);
  return out;
}

std::string len(std::uint64_t n) {
  std::string out;
  rdb_append_length(out, n);
  return out;
}

TEST(RdbEncoding, LengthsUseRedisFourForms) {
  EXPECT_EQ(len(0), "\x00"s);
  EXPECT_EQ(len(63), "\x3f");
  EXPECT_EQ(len(64), "\x40\x40");
  EXPECT_EQ(len(16383), "\x7f\xff");
  EXPECT_EQ(len(16384), "\x80\x00\x00\x40\x00"s);
  EXPECT_EQ(len(0xffffffffULL), "\x80\xff\xff\xff\xff");
  EXPECT_EQ(len(0x100000000ULL), "\x81\x00\x00\x00\x01\x00\x00\x00\x00"s);
}

TEST(RdbEncoding, CanonicalIntegersAreIntegerEncodedAtEachWidth) {
  EXPECT_EQ(str("0"), "\xc0\x00"s);
  EXPECT_EQ(str("-1"), "\xc0\xff");
  EXPECT_EQ(str("127"), "\xc0\x7f");
  EXPECT_EQ(str("-128"), "\xc0\x80");
  EXPECT_EQ(str("128"), "\xc1\x80\x00"s);
  EXPECT_EQ(str("-129"), "\xc1\x7f\xff");
  EXPECT_EQ(str("32767"), "\xc1\xff\x7f");
  EXPECT_EQ(str("-32768"), "\xc1\x00\x80"s);
  EXPECT_EQ(str("32768"), "\xc2\x00\x80\x00\x00"s);
  EXPECT_EQ(str("2147483647"), "\xc2\xff\xff\xff\x7f");
  EXPECT_EQ(str("-2147483648"), "\xc2\x00\x00\x00\x80"s);
  for (const char* s : {"2147483648", "-2147483649", "-0", "01", "+1", " 1", "1 ", "1a", "-",
                        "12345678901", "00"}) {
    EXPECT_EQ(str(s), len(std::string_view(s).size()) + s) << s;
  }
}

TEST(RdbEncoding, LongCompressibleStringsAreLzf) {
  EXPECT_EQ(str(std::string(20, 'a')), len(20) + std::string(20, 'a'));  // 20: never compressed.
  const std::string s = str(std::string(21, 'a'));
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0xc3);
  EXPECT_LT(s.size(), 21u);
  const std::string random = "q8Zr1LmX0pWv7ne4Tk2JsYb";  // 23 bytes, nothing repeats.
  EXPECT_EQ(str(random), len(random.size()) + random);
  std::string out, scratch;
  rdb_append_string(out, std::string(100, 'a'), false, scratch);
  EXPECT_EQ(out, len(100) + std::string(100, 'a'));
}

TEST(RdbWriter, HeaderAndAuxFieldsAreRedis70s) {
  const std::string f = write({}, {.compress = true, .ctime_s = 1700000000, .used_mem = 123456});
  EXPECT_EQ(f.substr(0, 9), "REDIS0010");
  std::vector<std::pair<std::string, std::string>> aux;
  RdbReader reader;
  const RdbStatus st = reader.read(
      f, [](const RdbEntry&) {},
      [&](std::string_view n, std::string_view v) { aux.emplace_back(n, v); });
  ASSERT_TRUE(st.ok()) << st.message;
  const std::vector<std::pair<std::string, std::string>> want = {{"redis-ver", "7.0.15"},
                                                                 {"redis-bits", "64"},
                                                                 {"ctime", "1700000000"},
                                                                 {"used-mem", "123456"},
                                                                 {"aof-base", "0"}};
  EXPECT_EQ(aux, want);
  EXPECT_EQ(reader.stats().aux, 5u);
  EXPECT_TRUE(reader.stats().checksum_verified);
}

std::vector<Key> sample_keys() {
  std::mt19937 rng(3);
  std::string random(5000, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  std::string text;
  while (text.size() < 300000) text += "the quick brown fox " + std::to_string(text.size() % 97);
  std::vector<Key> keys = {
      {0, "plain", "value", {}},
      {0, "", "empty key", {}},
      {0, "empty value", "", {}},
      {0, "bin\0key\xff"s, "\0\x01\x02\xff\r\n"s, {}},
      {0, "compressible", std::string(1000, 'z'), {}},
      {0, "random", random, {}},
      {0, "big text", text, {}},
      {0, "big random", random + random + random + random + random + random + random, {}},
      {0, "12345", "-2147483648", {}},
      {0, "ttl", "v", 1893456000000},
      {0, "ttl past", "v", 1},
      {3, "in db 3", "x", {}},
      {3, "ttl 3", std::string(30, 'y'), 4102444800000},
      {15, "in db 15", "y", {}},
      {100000, "in db 100000", "z", {}},
  };
  for (const char* v :
       {"0", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768", "-32769", "2147483647",
        "-2147483648", "2147483648", "-2147483649", "-0", "007", "+5", "9223372036854775807"}) {
    keys.push_back({100000, std::string("int ") + v, v, {}});
    keys.push_back({100000, v, "key is " + std::string(v), {}});
  }
  return keys;
}

TEST(RdbRoundTrip, EveryKindOfKeyComesBackExactly) {
  for (bool compress : {true, false}) {
    const std::vector<Key> keys = sample_keys();
    const std::string f = write(keys, {.compress = compress});
    std::vector<Key> got;
    RdbStats stats;
    const RdbStatus st = read(f, got, {}, &stats);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(got, keys);
    EXPECT_EQ(stats.keys, keys.size());
    EXPECT_EQ(stats.version, 10);
  }
}

TEST(RdbRoundTrip, CompressionShrinksTheFile) {
  const std::vector<Key> keys = sample_keys();
  EXPECT_LT(write(keys, {.compress = true}).size() + 200000,
            write(keys, {.compress = false}).size());
}

TEST(RdbRoundTrip, SinkSeesBoundedChunksAndBigValuesDirectly) {
  std::vector<std::size_t> chunks;
  const std::string big(1 << 20, 'b');
  RdbWriter w([&](std::string_view b) { chunks.push_back(b.size()); }, {.compress = false});
  w.begin();
  w.select_db(0, 1, 0);
  w.put("k", big);
  w.finish();
  // Header and key prefix, the value itself, EOF, the checksum.
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[1], big.size());
  EXPECT_EQ(chunks[2], 1u);
  EXPECT_EQ(chunks[3], 8u);
}

TEST(RdbReader, EveryTruncationIsAnErrorNeverACrash) {
  const std::vector<Key> keys = {{0, "a", "1", {}},
                                 {0, "b", std::string(50, 'c'), 1893456000000},
                                 {2, "long", "x"s + std::string(100, 'y'), {}},
                                 {2, "n", "-40000", {}}};
  const std::string f = write(keys);
  for (std::size_t n = 0; n < f.size(); ++n) {
    const std::vector<char> exact(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<Key> got;
    const RdbStatus st = read(std::string_view(exact.data(), n), got);
    ASSERT_FALSE(st.ok()) << n;
    ASSERT_LE(st.offset, n);
    ASSERT_EQ(st.error, n < 9 ? RdbError::bad_magic : RdbError::truncated) << n << st.message;
  }
}

TEST(RdbReader, FlippedByteIsACorruptionError) {
  const std::string f = write({{0, "key", "some value here", {}}, {0, "n", "42", {}}});
  const std::size_t at = f.find("some value");
  std::string bad = f;
  bad[at] ^= 0x20;
  std::vector<Key> got;
  RdbStatus st = read(bad, got);
  EXPECT_EQ(st.error, RdbError::bad_checksum);
  EXPECT_EQ(st.offset, f.size() - 8);  // Where the stored checksum is.
  EXPECT_NE(st.message.find("checksum"), std::string::npos);
  got.clear();
  ASSERT_TRUE(read(bad, got, {.verify_checksum = false}).ok());
  EXPECT_EQ(got[0].value, "Some value here");
  // Any single flipped byte is detected, one way or another.
  for (std::size_t i = 0; i < f.size(); ++i) {
    bad = f;
    bad[i] ^= 0x01;
    got.clear();
    EXPECT_FALSE(read(bad, got).ok()) << i;
  }
}

TEST(RdbReader, ZeroChecksumIsNotVerified) {
  std::string f = write({{0, "k", "v", {}}});
  f.replace(f.size() - 8, 8, 8, '\0');
  std::vector<Key> got;
  RdbStats stats;
  ASSERT_TRUE(read(f, got, {}, &stats).ok());
  EXPECT_FALSE(stats.checksum_verified);
  EXPECT_EQ(got.size(), 1u);
}

TEST(RdbReader, RejectsBadHeadersAndTrailingBytes) {
  std::vector<Key> got;
  EXPECT_EQ(read("RADIS0010", got).error, RdbError::bad_magic);
  EXPECT_EQ(read("REDIS00x0", got).error, RdbError::bad_magic);
  EXPECT_EQ(read(wrap("", "0012"), got).error, RdbError::bad_version);
  EXPECT_EQ(read(wrap("", "0000"), got).error, RdbError::bad_version);
  EXPECT_EQ(read(wrap("") + "x", got).error, RdbError::trailing_data);
  EXPECT_TRUE(read(wrap(""), got).ok());
}

TEST(RdbReader, ReadsOlderOpcodesAndVersions) {
  // EXPIRETIME in seconds, IDLE and FREQ before keys; a version 4 file has no checksum.
  const std::string body = "\xfe\x01"s + "\xfd\x10\x00\x00\x00"s + "\x00"s + str("s") + str("1") +
                           "\xf8\x05"s + "\xf9\x07"s + "\x00"s + str("t") + str("2");
  std::vector<Key> got;
  const std::string v4 = "REDIS0004"s + body + "\xff";
  const RdbStatus st = read(v4, got);
  ASSERT_TRUE(st.ok()) << st.message;
  const std::vector<Key> want = {{1, "s", "1", 16000}, {1, "t", "2", {}}};
  EXPECT_EQ(got, want);
}

TEST(RdbReader, RejectsModuleAuxAndFunctions) {
  std::vector<Key> got;
  for (const char* op : {"\xf7", "\xf6", "\xf5"}) {
    const RdbStatus st = read(wrap(std::string(op) + "\x01"), got);
    EXPECT_EQ(st.error, RdbError::unsupported);
    EXPECT_EQ(st.offset, 9u);
  }
  EXPECT_EQ(read(wrap("\x08"s + str("k")), got).error, RdbError::bad_opcode);
  EXPECT_EQ(read(wrap("\x16"s + str("k")), got).error, RdbError::bad_opcode);
}

TEST(RdbReader, RejectsBadStringEncodings) {
  std::vector<Key> got;
  EXPECT_EQ(read(wrap("\x00\xc4"s), got).error, RdbError::bad_encoding);
  EXPECT_EQ(read(wrap("\x00\x82"s), got).error, RdbError::bad_length);
  // LZF whose data decompresses to fewer bytes than stated, or refers before its start.
  EXPECT_EQ(read(wrap("\x00\xc3\x02\x05\x00z"s + str("v")), got).error, RdbError::bad_lzf);
  EXPECT_EQ(read(wrap("\x00\xc3\x02\x05\x20\x00"s + str("v")), got).error, RdbError::bad_lzf);
  // A stated length no LZF data of that size could produce.
  EXPECT_EQ(read(wrap("\x00\xc3\x02\x81\x00\x00\x00\x10\x00\x00\x00\x00\x00z"s), got).error,
            RdbError::bad_lzf);
}

// One key of each type Redis 7.0 (and 7.2) can write besides strings, then a string key.
std::vector<std::string> other_type_bodies() {
  const std::string blob = str("opaque ziplist/listpack/intset bytes");
  return {
      "\x01"s + str("list") + len(2) + str("a") + str("12"),
      "\x02"s + str("set") + len(1) + str(std::string(40, 'm')),
      "\x03"s + str("zset") + len(3) + str("a") +
          "\x03"
          "1.5" +
          str("b") + "\xfe" + str("c") + "\xfd",
      "\x04"s + str("hash") + len(1) + str("f") + str("v"),
      "\x05"s + str("zset2") + len(1) + str("a") + std::string(8, '\x01'),
      "\x09"s + str("zipmap") + blob,
      "\x0a"s + str("ziplist") + blob,
      "\x0b"s + str("intset") + blob,
      "\x0c"s + str("zset ziplist") + blob,
      "\x0d"s + str("hash ziplist") + blob,
      "\x0e"s + str("quicklist") + len(2) + blob + blob,
      "\x10"s + str("hash listpack") + blob,
      "\x11"s + str("zset listpack") + blob,
      "\x12"s + str("quicklist2") + len(2) + len(2) + blob + len(1) + blob,
      "\x14"s + str("set listpack") + blob,
  };
}

TEST(RdbReader, OtherTypesAreErrorsNamingKeyAndType) {
  std::vector<Key> got;
  const RdbStatus st = read(wrap("\xfe\x00"s + "\x12"s + str("my\nlist") + len(0)), got);
  EXPECT_EQ(st.error, RdbError::unsupported_type);
  EXPECT_EQ(st.offset, 11u);
  EXPECT_NE(st.message.find("key \"my\\x0alist\" has type list (RDB type 18)"), std::string::npos)
      << st.message;
  for (const std::string& body : other_type_bodies()) {
    EXPECT_EQ(read(wrap(body), got).error, RdbError::unsupported_type);
  }
}

TEST(RdbReader, SkipsOtherTypesWhenAskedAndCountsThem) {
  std::string body = "\xfe\x02"s;
  for (const std::string& b : other_type_bodies()) body += b + "\x00"s + str("after") + str("ok");
  std::vector<Key> got;
  RdbStats stats;
  const RdbStatus st = read(wrap(body), got, {.skip_unsupported_types = true}, &stats);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(stats.skipped, other_type_bodies().size());
  EXPECT_EQ(stats.keys, other_type_bodies().size());
  for (const Key& k : got) EXPECT_EQ(k, (Key{2, "after", "ok", {}}));
}

TEST(RdbReader, StreamsAndModulesCannotBeSkipped) {
  std::vector<Key> got;
  for (const char* type : {"\x06", "\x07", "\x0f", "\x13", "\x15"}) {
    const RdbStatus st =
        read(wrap(std::string(type) + str("s") + len(0)), got, {.skip_unsupported_types = true});
    EXPECT_EQ(st.error, RdbError::unsupported_type);
    EXPECT_NE(st.message.find("skipping this type is not implemented"), std::string::npos);
  }
}

TEST(RdbReader, RandomDamageNeverCrashes) {
  const std::string f = write(sample_keys());
  std::mt19937 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string bad = f;
    for (int k = 0; k < 1 + iter % 4; ++k)
      bad[9 + rng() % (bad.size() - 9)] = static_cast<char>(rng());
    std::vector<Key> got;
    read(bad, got, {.skip_unsupported_types = iter % 2 == 0, .verify_checksum = false});
  }
}

}  // namespace
}  // namespace kv::persist
