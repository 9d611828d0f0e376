// Single-threaded unit tests for Store: every operation, binary safety, and exact metrics.
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv::store {
namespace {

using namespace std::string_literals;
using Views = std::vector<std::string_view>;

std::optional<std::string> get(const Store& s, std::string_view key) {
  std::optional<std::string> out;
  const bool found = s.get(key, [&](std::string_view v) { out = std::string(v); });
  EXPECT_EQ(found, out.has_value());
  return out;
}

// MGET as a vector, with "<nil>" for missing keys.
std::vector<std::string> mget(const Store& s, const Views& keys) {
  std::vector<std::string> out;
  s.mget(keys, [&](std::optional<std::string_view> v) {
    out.push_back(v ? std::string(*v) : std::string("<nil>"));
  });
  return out;
}

// Sums the value sizes of `keys` by reading them back.
std::uint64_t bytes_of(const Store& s, const std::vector<std::string>& keys) {
  std::uint64_t total = 0;
  for (const auto& k : keys) {
    if (auto v = get(s, k)) total += v->size();
  }
  return total;
}

// Runs every test on a two-stripe store (many keys share a stripe) and a default one.
class StoreTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  Store store_{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Stripes, StoreTest, ::testing::Values(2, 4, kDefaultStripes));

TEST_P(StoreTest, GetMissingThenSetThenGet) {
  EXPECT_EQ(get(store_, "k"), std::nullopt);
  store_.set("k", "v");
  EXPECT_EQ(get(store_, "k"), "v");
  EXPECT_EQ(store_.size(), 1u);
}

TEST_P(StoreTest, OverwriteWithSameAndDifferentSizes) {
  store_.set("k", "abc");
  store_.set("k", "xyz");  // Same size: rewritten in place.
  EXPECT_EQ(get(store_, "k"), "xyz");
  store_.set("k", "a much longer value");
  EXPECT_EQ(get(store_, "k"), "a much longer value");
  store_.set("k", "");
  EXPECT_EQ(get(store_, "k"), "");
  store_.set("k", "q");
  EXPECT_EQ(get(store_, "k"), "q");
  EXPECT_EQ(store_.size(), 1u);
}

TEST_P(StoreTest, BinarySafeKeysAndValues) {
  const std::string k1 = "a\0b"s;
  const std::string k2 = "a\0c"s;
  const std::string k3 = "a"s;
  const std::string crlf_key = "line\r\nbreak"s;
  const std::string v1 = "\0\0\0"s;
  const std::string v2 = "val\r\n$3\r\nfoo\r\n"s;
  const std::string v3 = std::string("\xff\x00\x80", 3);
  store_.set(k1, v1);
  store_.set(k2, v2);
  store_.set(k3, v3);
  store_.set(crlf_key, "\r\n");
  EXPECT_EQ(get(store_, k1), v1);
  EXPECT_EQ(get(store_, k2), v2);
  EXPECT_EQ(get(store_, k3), v3);
  EXPECT_EQ(get(store_, crlf_key), "\r\n");
  EXPECT_EQ(get(store_, "a\0"s), std::nullopt);
  EXPECT_EQ(store_.size(), 4u);
  EXPECT_EQ(mget(store_, {k3, k1, "a\0d"s, crlf_key}),
            (std::vector<std::string>{v3, v1, "<nil>", "\r\n"}));
  const std::string a_nul = "a\0"s;
  const Views dels = {k1, a_nul};
  EXPECT_EQ(store_.del(dels), 1u);
  EXPECT_EQ(get(store_, k2), v2);
  EXPECT_EQ(store_.metrics().value_bytes, v2.size() + v3.size() + 2);
}

TEST_P(StoreTest, EmptyKeyAndEmptyValue) {
  store_.set("", "");
  EXPECT_EQ(get(store_, ""), "");
  EXPECT_EQ(store_.size(), 1u);
  const Views one = {""};
  EXPECT_EQ(store_.exists(one), 1u);
  store_.set("", "filled");
  EXPECT_EQ(get(store_, ""), "filled");
  store_.set("e", "");
  EXPECT_EQ(mget(store_, {"", "e", "x"}), (std::vector<std::string>{"filled", "", "<nil>"}));
  EXPECT_EQ(store_.del(one), 1u);
  EXPECT_EQ(get(store_, ""), std::nullopt);
  EXPECT_EQ(get(store_, "e"), "");
}

TEST_P(StoreTest, MgetKeepsOrderAndRepeats) {
  store_.set("a", "1");
  store_.set("b", "2");
  EXPECT_EQ(mget(store_, {"b", "missing", "a", "b", "a"}),
            (std::vector<std::string>{"2", "<nil>", "1", "2", "1"}));
  EXPECT_EQ(mget(store_, {}), std::vector<std::string>{});
}

TEST_P(StoreTest, MsetSetsAllAndLaterPairsWin) {
  const Views pairs = {"a", "1", "b", "2", "a", "3", "c", ""};
  store_.mset(pairs);
  EXPECT_EQ(mget(store_, {"a", "b", "c"}), (std::vector<std::string>{"3", "2", ""}));
  EXPECT_EQ(store_.size(), 3u);
  EXPECT_EQ(store_.metrics().value_bytes, 2u);
  const Views again = {"b", "22", "d", "4"};
  store_.mset(again);
  EXPECT_EQ(mget(store_, {"a", "b", "c", "d"}), (std::vector<std::string>{"3", "22", "", "4"}));
  EXPECT_EQ(store_.metrics().value_bytes, 4u);
}

TEST_P(StoreTest, MsetnxIsAllOrNothing) {
  const Views first = {"a", "1", "b", "2"};
  EXPECT_TRUE(store_.msetnx(first));
  EXPECT_EQ(mget(store_, {"a", "b"}), (std::vector<std::string>{"1", "2"}));

  // "b" exists, so neither "c" nor "b" changes, wherever "b" is in the list.
  const Views blocked = {"c", "3", "b", "new"};
  EXPECT_FALSE(store_.msetnx(blocked));
  const Views blocked_last = {"c", "3", "d", "4", "a", "x"};
  EXPECT_FALSE(store_.msetnx(blocked_last));
  EXPECT_EQ(mget(store_, {"a", "b", "c", "d"}),
            (std::vector<std::string>{"1", "2", "<nil>", "<nil>"}));
  EXPECT_EQ(store_.size(), 2u);
  EXPECT_EQ(store_.metrics().value_bytes, 2u);
}

TEST_P(StoreTest, MsetnxWithRepeatedNewKeyKeepsTheLast) {
  // Redis: MSETNX k 1 k 2 returns 1 and leaves "2".
  const Views pairs = {"k", "1", "k", "22"};
  EXPECT_TRUE(store_.msetnx(pairs));
  EXPECT_EQ(get(store_, "k"), "22");
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.metrics().value_bytes, 2u);
  EXPECT_FALSE(store_.msetnx(pairs));
}

TEST_P(StoreTest, DelCountsKeysThatExistedOnce) {
  store_.set("a", "1");
  store_.set("b", "2");
  store_.set("c", "3");
  const Views keys = {"a", "a", "missing", "b", "b"};
  EXPECT_EQ(store_.del(keys), 2u);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(get(store_, "c"), "3");
  EXPECT_EQ(store_.del(keys), 0u);
}

TEST_P(StoreTest, ExistsCountsRepeats) {
  store_.set("a", "1");
  const Views keys = {"a", "a", "b", "a"};
  EXPECT_EQ(store_.exists(keys), 3u);
  const Views none = {"x", "y"};
  EXPECT_EQ(store_.exists(none), 0u);
}

TEST_P(StoreTest, ClearEmptiesEverything) {
  for (int i = 0; i < 500; ++i) store_.set("k" + std::to_string(i), "value");
  EXPECT_EQ(store_.size(), 500u);
  store_.clear();
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(get(store_, "k1"), std::nullopt);
  EXPECT_EQ(store_.metrics().value_bytes, 0u);
  store_.set("k1", "back");
  EXPECT_EQ(get(store_, "k1"), "back");
  EXPECT_EQ(store_.size(), 1u);
  store_.clear();
  store_.clear();  // Clearing an empty store is fine.
  EXPECT_EQ(store_.size(), 0u);
}

TEST_P(StoreTest, ManyKeysAcrossStripes) {
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("many:" + std::to_string(i));
  // MSET in batches of 100 pairs (each batch spans many stripes, several keys per stripe).
  for (std::size_t i = 0; i < keys.size(); i += 100) {
    std::vector<std::string> values;
    Views pairs;
    for (std::size_t j = i; j < i + 100; ++j) values.push_back(std::to_string(j * 2));
    for (std::size_t j = i; j < i + 100; ++j) {
      pairs.push_back(keys[j]);
      pairs.push_back(values[j - i]);
    }
    store_.mset(pairs);
  }
  EXPECT_EQ(store_.size(), 5000u);
  const Views all(keys.begin(), keys.end());
  const auto values = mget(store_, all);
  for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(values[i], std::to_string(i * 2));
  const Views evens = [&] {
    Views v;
    for (std::size_t i = 0; i < keys.size(); i += 2) v.push_back(keys[i]);
    return v;
  }();
  EXPECT_EQ(store_.del(evens), 2500u);
  EXPECT_EQ(store_.size(), 2500u);
  EXPECT_EQ(store_.exists(all), 2500u);
  EXPECT_EQ(store_.metrics().value_bytes, bytes_of(store_, keys));
}

TEST_P(StoreTest, ValueBytesFollowsOverwritesAndDeletes) {
  store_.set("a", "123");         // 3
  store_.set("b", "1234567890");  // 13
  EXPECT_EQ(store_.metrics().value_bytes, 13u);
  store_.set("a", "xyz");  // Same size: 13.
  EXPECT_EQ(store_.metrics().value_bytes, 13u);
  store_.set("a", "1234567");  // +4: 17.
  EXPECT_EQ(store_.metrics().value_bytes, 17u);
  store_.set("b", "1");  // -9: 8.
  EXPECT_EQ(store_.metrics().value_bytes, 8u);
  const Views mset_pairs = {"a", "", "c", "12345"};  // a: 7 -> 0, c: +5: 6.
  store_.mset(mset_pairs);
  EXPECT_EQ(store_.metrics().value_bytes, 6u);
  const Views del_a = {"a", "b"};  // a: 0, b: 1 -> 5.
  EXPECT_EQ(store_.del(del_a), 2u);
  EXPECT_EQ(store_.metrics().value_bytes, 5u);
  const Views nx = {"d", "1234", "d", "12"};  // d ends at "12": 7.
  EXPECT_TRUE(store_.msetnx(nx));
  EXPECT_EQ(store_.metrics().value_bytes, 7u);
  EXPECT_EQ(store_.metrics().keys, 2u);
  store_.clear();
  EXPECT_EQ(store_.metrics().value_bytes, 0u);
  EXPECT_EQ(store_.metrics().keys, 0u);
}

TEST_P(StoreTest, OperationCountersCountOncePerKey) {
  const auto m0 = store_.metrics();
  EXPECT_EQ(m0.gets, 0u);
  EXPECT_EQ(m0.sets, 0u);
  EXPECT_EQ(m0.deletes, 0u);
  EXPECT_EQ(m0.keys, 0u);

  store_.set("a", "1");           // sets 1
  store_.set("a", "2");           // sets 2 (in-place overwrite)
  store_.set("a", "22");          // sets 3
  get(store_, "a");               // gets 1
  get(store_, "missing");         // gets 2 (misses count too)
  mget(store_, {"a", "b", "a"});  // gets 5: three keys
  const Views mset_pairs = {"b", "1", "c", "2", "b", "3"};
  store_.mset(mset_pairs);  // sets 6: three pairs
  const Views nx_ok = {"d", "1", "e", "2"};
  EXPECT_TRUE(store_.msetnx(nx_ok));  // sets 8
  const Views nx_fail = {"f", "1", "a", "2"};
  EXPECT_FALSE(store_.msetnx(nx_fail));  // sets 8: nothing written
  const Views exists_keys = {"a", "b"};
  store_.exists(exists_keys);  // not counted
  const Views del_keys = {"a", "a", "nope", "b"};
  EXPECT_EQ(store_.del(del_keys), 2u);  // deletes 4: every key named
  store_.clear();                       // not counted
  const auto m = store_.metrics();
  EXPECT_EQ(m.gets, 5u);
  EXPECT_EQ(m.sets, 8u);
  EXPECT_EQ(m.deletes, 4u);
  EXPECT_EQ(m.keys, 0u);
  EXPECT_EQ(m.value_bytes, 0u);
}

TEST_P(StoreTest, KeysMetricMatchesSize) {
  for (int i = 0; i < 300; ++i) store_.set("m" + std::to_string(i), std::string(i % 7, 'x'));
  const Views gone = {"m1", "m2", "m3"};
  store_.del(gone);
  EXPECT_EQ(store_.metrics().keys, 297u);
  EXPECT_EQ(store_.size(), 297u);
}

TEST(Store, StripeCountIsAPowerOfTwoWithinBounds) {
  EXPECT_EQ(Store(0).stripe_count(), 2u);
  EXPECT_EQ(Store(1).stripe_count(), 2u);
  EXPECT_EQ(Store(2).stripe_count(), 2u);
  EXPECT_EQ(Store(3).stripe_count(), 4u);
  EXPECT_EQ(Store(1000).stripe_count(), 1024u);
  EXPECT_EQ(Store().stripe_count(), kDefaultStripes);
  EXPECT_EQ(Store(1 << 20).stripe_count(), 65536u);
}

TEST(Store, KeysSpreadOverStripes) {
  Store s(4);
  std::vector<int> per(4, 0);
  for (int i = 0; i < 400; ++i) {
    const std::size_t idx = s.stripe_of("spread:" + std::to_string(i));
    ASSERT_LT(idx, 4u);
    ++per[idx];
  }
  for (int n : per) EXPECT_GT(n, 40);
  EXPECT_EQ(s.stripe_of("same"), s.stripe_of("same"));
}

}  // namespace
}  // namespace kv::store
