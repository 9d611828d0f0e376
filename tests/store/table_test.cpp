// Unit tests for the open-addressing Table: lookups, replacement, growth and shrink, and
// backward-shift deletion checked against std::unordered_map.
#include "store/table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/entry.hpp"
#include "store/hash.hpp"

namespace kv::store {
namespace {

constexpr std::uint64_t kSeed = 0x5eed'1234'abcd'0042ULL;

std::uint64_t hash_of(std::string_view key) { return hash_bytes(key, kSeed); }

// A Table that destroys the entries its operations hand back, so tests cannot leak.
class TableTest : public ::testing::Test {
 protected:
  // Inserts or replaces; returns whether the key was new.
  bool put(std::string_view key, std::string_view value) {
    Entry* old = table_.upsert(Entry::create(key, value), hash_of(key));
    const bool fresh = old == nullptr;
    Entry::destroy(old);
    return fresh;
  }
  // Removes; returns whether the key was there.
  bool erase(std::string_view key) {
    Entry* e = table_.extract(key, hash_of(key));
    if (e != nullptr) {
      EXPECT_EQ(e->key(), key);
    }
    const bool found = e != nullptr;
    Entry::destroy(e);
    return found;
  }
  // The value of `key`, or "<missing>".
  std::string value_of(std::string_view key) const {
    const Entry* e = table_.find(key, hash_of(key));
    return e == nullptr ? std::string("<missing>") : std::string(e->value());
  }
  // Checks that the table holds exactly `model`.
  void expect_same(const std::unordered_map<std::string, std::string>& model) const {
    ASSERT_EQ(table_.size(), model.size());
    for (const auto& [k, v] : model) ASSERT_EQ(value_of(k), v) << "key " << k;
    std::size_t seen = 0;
    table_.for_each([&](const Entry& e) {
      ++seen;
      auto it = model.find(std::string(e.key()));
      ASSERT_NE(it, model.end()) << "stray key " << e.key();
      EXPECT_EQ(e.value(), it->second);
    });
    EXPECT_EQ(seen, model.size());
  }
  // Keys "k<n>" whose home slot in a table of `capacity` slots is `home`.
  static std::vector<std::string> keys_with_home(std::size_t home, std::size_t capacity,
                                                 std::size_t count, const std::string& prefix) {
    std::vector<std::string> out;
    for (int n = 0; out.size() < count; ++n) {
      std::string k = prefix + std::to_string(n);
      if ((hash_of(k) & (capacity - 1)) == home) out.push_back(std::move(k));
    }
    return out;
  }

  Table table_{kSeed};
};

TEST_F(TableTest, EmptyTableFindsNothingAndHasNoSlots) {
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.capacity(), 0u);
  EXPECT_EQ(table_.find("a", hash_of("a")), nullptr);
  EXPECT_EQ(table_.extract("a", hash_of("a")), nullptr);
}

TEST_F(TableTest, InsertFindReplaceExtract) {
  EXPECT_TRUE(put("alpha", "1"));
  EXPECT_TRUE(put("beta", "22"));
  EXPECT_EQ(table_.size(), 2u);
  EXPECT_EQ(value_of("alpha"), "1");
  EXPECT_EQ(value_of("beta"), "22");
  EXPECT_EQ(value_of("gamma"), "<missing>");

  // A replacement hands back the old entry and keeps the size.
  Entry* fresh = Entry::create("alpha", "one");
  Entry* old = table_.upsert(fresh, hash_of("alpha"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->key(), "alpha");
  EXPECT_EQ(old->value(), "1");
  Entry::destroy(old);
  EXPECT_EQ(table_.size(), 2u);
  EXPECT_EQ(table_.find("alpha", hash_of("alpha")), fresh);
  EXPECT_EQ(value_of("alpha"), "one");

  Entry* taken = table_.extract("alpha", hash_of("alpha"));
  ASSERT_EQ(taken, fresh);
  Entry::destroy(taken);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(value_of("alpha"), "<missing>");
  EXPECT_FALSE(erase("alpha"));
  EXPECT_EQ(value_of("beta"), "22");
}

TEST_F(TableTest, LastExtractReleasesTheSlots) {
  put("x", "1");
  EXPECT_GT(table_.capacity(), 0u);
  EXPECT_TRUE(erase("x"));
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.capacity(), 0u);
  EXPECT_TRUE(put("x", "2"));
  EXPECT_EQ(value_of("x"), "2");
}

TEST_F(TableTest, EmptyKeyAndEmptyValue) {
  EXPECT_TRUE(put("", ""));
  EXPECT_EQ(value_of(""), "");
  EXPECT_NE(table_.find("", hash_of("")), nullptr);
  EXPECT_TRUE(put("k", ""));
  EXPECT_EQ(value_of("k"), "");
  EXPECT_FALSE(put("", "now set"));
  EXPECT_EQ(value_of(""), "now set");
  EXPECT_TRUE(erase(""));
  EXPECT_EQ(value_of(""), "<missing>");
  EXPECT_EQ(value_of("k"), "");
}

TEST_F(TableTest, BinaryKeysAreDistinctByEveryByte) {
  using namespace std::string_literals;
  const std::vector<std::string> keys = {"a\0b"s,
                                         "a\0c"s,
                                         "a"s,
                                         "a\0"s,
                                         "\0"s,
                                         "\0\0"s,
                                         "\r\n"s,
                                         "\n\r"s,
                                         "\xff\xfe"s,
                                         "\x80"s,
                                         "key\0with\0nuls"s,
                                         "key\0with\0nulz"s,
                                         std::string(40, '\0'),
                                         std::string(41, '\0')};
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(put(keys[i], std::to_string(i)));
  EXPECT_EQ(table_.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(value_of(keys[i]), std::to_string(i));
  EXPECT_TRUE(erase("a\0b"s));
  EXPECT_EQ(value_of("a\0b"s), "<missing>");
  EXPECT_EQ(value_of("a\0c"s), "1");
  EXPECT_EQ(value_of("a"s), "2");
}

TEST_F(TableTest, KeysOfEveryLengthUpTo64) {
  // Covers each branch of the hash (0, 1-3, 4-7, 8-16 bytes and the 16-byte blocks).
  std::unordered_map<std::string, std::string> model;
  for (std::size_t len = 0; len <= 64; ++len) {
    std::string k(len, 'q');
    for (std::size_t i = 0; i < len; ++i) k[i] = static_cast<char>('a' + (i * 7 + len) % 26);
    model[k] = "v" + std::to_string(len);
    put(k, model[k]);
  }
  expect_same(model);
}

TEST_F(TableTest, GrowsKeepingLoadAtMostThreeQuarters) {
  std::unordered_map<std::string, std::string> model;
  std::size_t last_capacity = 0;
  std::set<std::size_t> capacities;
  for (int i = 0; i < 20000; ++i) {
    const std::string k = "key:" + std::to_string(i);
    ASSERT_TRUE(put(k, std::to_string(i * 3)));
    model[k] = std::to_string(i * 3);
    const std::size_t cap = table_.capacity();
    ASSERT_EQ(cap & (cap - 1), 0u) << "capacity " << cap << " is not a power of two";
    ASSERT_LE(table_.size() * 4, cap * 3) << "at " << i;
    ASSERT_GE(cap, last_capacity);
    last_capacity = cap;
    capacities.insert(cap);
  }
  EXPECT_GE(capacities.size(), 10u);  // 8 ... 32768: it really grew, step by step.
  expect_same(model);
}

TEST_F(TableTest, ShrinksAsKeysAreExtracted) {
  std::unordered_map<std::string, std::string> model;
  for (int i = 0; i < 10000; ++i) {
    const std::string k = "s" + std::to_string(i);
    put(k, k);
    model[k] = k;
  }
  const std::size_t big = table_.capacity();
  for (int i = 0; i < 9990; ++i) {
    const std::string k = "s" + std::to_string(i);
    ASSERT_TRUE(erase(k));
    model.erase(k);
    // Never sparser than 1/8 once past the minimum (the shrink keeps it at most 1/4 after).
    if (table_.capacity() > 8) {
      ASSERT_GE(table_.size() * 8, table_.capacity()) << "at " << i;
    }
  }
  EXPECT_LT(table_.capacity(), big / 64);
  EXPECT_EQ(table_.size(), 10u);
  expect_same(model);
}

TEST_F(TableTest, ExtractShiftsBackACollidingRun) {
  // Six keys in a table of 8 slots (it grows at the seventh): four share home slot 2 and two
  // have home 3, so the run is 2,3,4,5,6,7. Removing from the front must pull the rest back.
  const auto at2 = keys_with_home(2, 8, 4, "h2-");
  const auto at3 = keys_with_home(3, 8, 2, "h3-");
  std::unordered_map<std::string, std::string> model;
  for (const auto& k : {at2[0], at3[0], at2[1], at2[2], at3[1], at2[3]}) {
    ASSERT_TRUE(put(k, "v" + k));
    model[k] = "v" + k;
  }
  ASSERT_EQ(table_.capacity(), 8u);
  for (const auto& k : {at2[0], at3[0], at2[2]}) {
    ASSERT_TRUE(erase(k));
    model.erase(k);
    expect_same(model);
  }
}

TEST_F(TableTest, ExtractShiftsBackAcrossTheWrapAround) {
  // Home slots 6 and 7 overflow into slots 0 and 1; a key whose home is 0 must not be moved
  // before its home when the hole is at 7.
  const auto at7 = keys_with_home(7, 8, 3, "w7-");
  const auto at6 = keys_with_home(6, 8, 1, "w6-");
  const auto at0 = keys_with_home(0, 8, 2, "w0-");
  std::unordered_map<std::string, std::string> model;
  for (const auto& k : {at6[0], at7[0], at7[1], at0[0], at7[2], at0[1]}) {
    ASSERT_TRUE(put(k, k));
    model[k] = k;
  }
  ASSERT_EQ(table_.capacity(), 8u);
  for (const auto& k : {at7[0], at6[0], at0[0], at7[2]}) {
    ASSERT_TRUE(erase(k));
    model.erase(k);
    expect_same(model);
    ASSERT_TRUE(put(k, "again"));  // Reinsert into the shifted layout, then take it out again.
    model[k] = "again";
    expect_same(model);
    ASSERT_TRUE(erase(k));
    model.erase(k);
  }
}

TEST_F(TableTest, RandomInsertEraseMatchesUnorderedMap) {
  // A small key universe keeps the table dense and its runs long; sizes swing so the table
  // grows and shrinks many times.
  std::mt19937_64 rng(12345);
  std::unordered_map<std::string, std::string> model;
  for (int phase = 0; phase < 6; ++phase) {
    const int universe = phase % 2 == 0 ? 3000 : 60;
    const int insert_percent = phase % 3 == 2 ? 30 : 65;
    for (int step = 0; step < 40000; ++step) {
      const std::string k = "r" + std::to_string(rng() % universe);
      if (static_cast<int>(rng() % 100) < insert_percent) {
        const std::string v = std::to_string(rng() % 1000);
        ASSERT_EQ(put(k, v), model.count(k) == 0) << "step " << step;
        model[k] = v;
      } else {
        ASSERT_EQ(erase(k), model.erase(k) == 1) << "step " << step;
      }
      if (step % 4999 == 0) expect_same(model);
      ASSERT_EQ(table_.size(), model.size());
    }
    expect_same(model);
  }
  // Then drain it completely.
  std::vector<std::string> keys;
  for (const auto& kv : model) keys.push_back(kv.first);
  for (const auto& k : keys) {
    ASSERT_TRUE(erase(k));
    model.erase(k);
  }
  expect_same(model);
  EXPECT_EQ(table_.capacity(), 0u);
}

TEST_F(TableTest, MoveTransfersEntries) {
  put("a", "1");
  put("b", "2");
  Table moved(std::move(table_));
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(table_.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty.
  EXPECT_EQ(table_.capacity(), 0u);
  ASSERT_NE(moved.find("a", hash_of("a")), nullptr);
  EXPECT_EQ(moved.find("a", hash_of("a"))->value(), "1");

  Table other(kSeed);
  Entry::destroy(other.upsert(Entry::create("z", "9"), hash_of("z")));
  other = std::move(moved);  // Frees "z", takes "a" and "b".
  EXPECT_EQ(other.size(), 2u);
  EXPECT_EQ(other.find("z", hash_of("z")), nullptr);
  EXPECT_NE(other.find("b", hash_of("b")), nullptr);
}

TEST(Entry, HoldsKeyAndValueBytes) {
  using namespace std::string_literals;
  Entry* e = Entry::create("k\0ey"s, "v\r\nal\0"s);
  EXPECT_EQ(e->key(), "k\0ey"s);
  EXPECT_EQ(e->value(), "v\r\nal\0"s);
  e->overwrite_value("123456"s);
  EXPECT_EQ(e->value(), "123456");
  EXPECT_EQ(e->key(), "k\0ey"s);
  Entry::destroy(e);
  Entry* empty = Entry::create("", "");
  EXPECT_EQ(empty->key(), "");
  EXPECT_EQ(empty->value(), "");
  Entry::destroy(empty);
  Entry::destroy(nullptr);
}

}  // namespace
}  // namespace kv::store
