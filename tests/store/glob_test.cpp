// Unit tests for glob_match against Redis's stringmatchlen rules (checked against redis-server
// 7.0.15 with KEYS and CONFIG GET where the rule is observable).
#include "store/glob.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kv::store {
namespace {

bool match(std::string_view pattern, std::string_view str) { return glob_match(pattern, str); }
bool imatch(std::string_view pattern, std::string_view str) {
  return glob_match(pattern, str, true);
}

TEST(Glob, LiteralsMatchExactly) {
  EXPECT_TRUE(match("hello", "hello"));
  EXPECT_FALSE(match("hello", "hell"));
  EXPECT_FALSE(match("hell", "hello"));
  EXPECT_FALSE(match("hello", "Hello"));
  EXPECT_TRUE(match("", ""));
  EXPECT_FALSE(match("", "a"));
  EXPECT_FALSE(match("a", ""));
}

TEST(Glob, StarMatchesAnyRun) {
  EXPECT_TRUE(match("*", "anything"));
  EXPECT_TRUE(match("*", "x"));
  EXPECT_TRUE(match("h*o", "ho"));
  EXPECT_TRUE(match("h*o", "hello"));
  EXPECT_FALSE(match("h*o", "hellox"));
  EXPECT_TRUE(match("*llo", "hello"));
  EXPECT_TRUE(match("he*", "hello"));
  EXPECT_TRUE(match("**", "abc"));
  EXPECT_TRUE(match("a**b", "ab"));
  EXPECT_TRUE(match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(match("a*b*c", "axxbyy"));
  EXPECT_TRUE(match("*a*", "banana"));
  EXPECT_TRUE(match("*ana", "banana"));  // Needs backtracking past the first "ana".
  EXPECT_FALSE(match("*x*", "banana"));
  EXPECT_TRUE(match("a*", "a"));  // Trailing stars match nothing.
  EXPECT_TRUE(match("a***", "a"));
}

TEST(Glob, EmptySubjectMatchesOnlyEmptyPattern) {
  // Redis's stringmatchlen returns 0 for "*" or "**" against "" (its loop needs a byte); KEYS and
  // SCAN short-cut a lone "*" so they still list an empty key. The matcher itself agrees.
  EXPECT_FALSE(match("*", ""));
  EXPECT_FALSE(match("**", ""));
  EXPECT_FALSE(match("?*", ""));
  EXPECT_TRUE(match("", ""));
}

TEST(Glob, QuestionMarkMatchesOneByte) {
  EXPECT_TRUE(match("h?llo", "hello"));
  EXPECT_TRUE(match("h?llo", "hallo"));
  EXPECT_FALSE(match("h?llo", "hllo"));
  EXPECT_FALSE(match("h?llo", "heello"));
  EXPECT_TRUE(match("???", "abc"));
  EXPECT_FALSE(match("???", "ab"));
  EXPECT_TRUE(match("?", std::string(1, '\0')));
  EXPECT_TRUE(match("?*", "a"));
}

TEST(Glob, BracketClasses) {
  EXPECT_TRUE(match("h[ae]llo", "hello"));
  EXPECT_TRUE(match("h[ae]llo", "hallo"));
  EXPECT_FALSE(match("h[ae]llo", "hillo"));
  EXPECT_FALSE(match("h[ae]llo", "hllo"));
  EXPECT_TRUE(match("[a-z]", "m"));
  EXPECT_TRUE(match("[a-z]", "a"));
  EXPECT_TRUE(match("[a-z]", "z"));
  EXPECT_FALSE(match("[a-z]", "A"));
  EXPECT_FALSE(match("[a-z]", "0"));
  EXPECT_TRUE(match("[0-9a-f]x", "7x"));
  EXPECT_TRUE(match("[0-9a-f]x", "cx"));
  EXPECT_FALSE(match("[0-9a-f]x", "gx"));
  EXPECT_TRUE(match("key[0-9]*", "key7suffix"));
  EXPECT_FALSE(match("[]", "a"));  // An empty class matches nothing.
  EXPECT_FALSE(match("[]", "]"));
  EXPECT_FALSE(match("[]a]", "a]"));  // "[]" needs a byte it can never match.
  EXPECT_FALSE(match("[]a]", "]a]"));
}

TEST(Glob, NegatedClasses) {
  EXPECT_TRUE(match("h[^e]llo", "hallo"));
  EXPECT_FALSE(match("h[^e]llo", "hello"));
  EXPECT_FALSE(match("h[^e]llo", "hllo"));  // Still needs one byte.
  EXPECT_TRUE(match("[^a-c]", "d"));
  EXPECT_FALSE(match("[^a-c]", "b"));
  EXPECT_TRUE(match("[a^]", "^"));  // '^' is literal after the first position.
  EXPECT_TRUE(match("[a^]", "a"));
  EXPECT_FALSE(match("[a^]", "b"));
}

TEST(Glob, ReversedRangesAreSwapped) {
  EXPECT_TRUE(match("[z-a]", "m"));
  EXPECT_TRUE(match("[z-a]", "a"));
  EXPECT_TRUE(match("[z-a]", "z"));
  EXPECT_FALSE(match("[z-a]", "A"));
  EXPECT_TRUE(match("[9-0]", "5"));
  // KEYS [Z-a] on redis-server matches "a" but not "A": the range is 'Z'..'a'.
  EXPECT_TRUE(match("[Z-a]", "a"));
  EXPECT_TRUE(match("[Z-a]", "_"));
  EXPECT_FALSE(match("[Z-a]", "A"));
  EXPECT_TRUE(match("[a-Z]", "a"));
  EXPECT_FALSE(match("[a-Z]", "A"));
}

TEST(Glob, RangeEdgeForms) {
  // "[a-]": the range runs from 'a' to ']' (swapped), and the class is then unterminated.
  EXPECT_TRUE(match("[a-]", "_"));
  EXPECT_TRUE(match("[a-]", "a"));
  EXPECT_FALSE(match("[a-]", "b"));
  EXPECT_FALSE(match("[a-]", "-"));
  // "[-a]": a leading '-' is literal.
  EXPECT_TRUE(match("[-a]", "-"));
  EXPECT_TRUE(match("[-a]", "a"));
  EXPECT_FALSE(match("[-a]", "b"));
}

TEST(Glob, Escapes) {
  EXPECT_TRUE(match("\\*", "*"));
  EXPECT_FALSE(match("\\*", "a"));
  EXPECT_FALSE(match("\\*", "**"));
  EXPECT_TRUE(match("a\\?c", "a?c"));
  EXPECT_FALSE(match("a\\?c", "abc"));
  EXPECT_TRUE(match("\\[a]", "[a]"));
  EXPECT_FALSE(match("\\[a]", "a"));
  EXPECT_TRUE(match("\\a", "a"));    // An escaped ordinary byte is itself.
  EXPECT_TRUE(match("a\\", "a\\"));  // A trailing backslash is literal.
  EXPECT_FALSE(match("a\\", "a"));
  EXPECT_TRUE(match("\\\\", "\\"));
  EXPECT_TRUE(match("[\\]]", "]"));  // Escapes work inside classes too.
  EXPECT_TRUE(match("[\\-]", "-"));
  EXPECT_FALSE(match("[\\-]", "\\"));
  EXPECT_TRUE(match("[a\\^]", "^"));
  EXPECT_TRUE(match("*\\*", "abc*"));
  EXPECT_FALSE(match("*\\*", "abc"));
}

TEST(Glob, UnterminatedClassRunsToTheEnd) {
  // KEYS [a on redis-server matches "a": the class takes the rest of the pattern.
  EXPECT_TRUE(match("[a", "a"));
  EXPECT_FALSE(match("[a", "b"));
  EXPECT_FALSE(match("[a", "a]"));
  EXPECT_TRUE(match("[abc", "c"));
  EXPECT_TRUE(match("x[abc", "xb"));
  EXPECT_FALSE(match("[", "a"));
  EXPECT_FALSE(match("[", ""));
  EXPECT_TRUE(match("[^", "z"));  // An empty negated class matches any one byte.
  EXPECT_FALSE(match("[^", "zz"));
  EXPECT_TRUE(match("[^b", "a"));
  EXPECT_FALSE(match("[^b", "b"));
  EXPECT_TRUE(match("[a-", "a"));  // Too short for a range: 'a' and '-' are literals.
  EXPECT_TRUE(match("[a-", "-"));
  EXPECT_FALSE(match("[a-", "b"));
}

TEST(Glob, NoCase) {
  EXPECT_TRUE(imatch("HELLO", "hello"));
  EXPECT_TRUE(imatch("hello", "HeLLo"));
  EXPECT_TRUE(imatch("MAX*", "maxclients"));
  EXPECT_TRUE(imatch("h?LLO", "Hello"));
  EXPECT_TRUE(imatch("[A-Z]x", "qX"));
  EXPECT_TRUE(imatch("[a-z]x", "QX"));
  EXPECT_TRUE(imatch("[L-N]axclients", "maxclients"));
  EXPECT_TRUE(imatch("[^M]", "a"));
  EXPECT_FALSE(imatch("[^M]", "m"));
  EXPECT_TRUE(imatch("[M]", "m"));
  EXPECT_TRUE(imatch("\\M", "m"));
  EXPECT_FALSE(imatch("hello", "help"));
  EXPECT_FALSE(match("HELLO", "hello"));  // Case matters without nocase.
}

// Redis quirks with nocase, observable through CONFIG GET on redis-server 7.0.15, which replies
// *0 to each of these patterns; kvd reproduces them.
TEST(Glob, RedisNoCaseRangeIsSwappedBeforeFolding) {
  // Redis swaps the raw bounds, then lowercases them: [M-a] becomes 'm'..'a', an empty range.
  EXPECT_FALSE(imatch("[M-a]axclients", "maxclients"));
  EXPECT_FALSE(imatch("[a-M]axclients", "maxclients"));
}
TEST(Glob, RedisEscapeInClassIgnoresNoCase) {
  EXPECT_FALSE(imatch("[\\M]axclients", "maxclients"));
}

TEST(Glob, BinaryBytes) {
  using namespace std::string_literals;
  EXPECT_TRUE(match("a\0*"s, "a\0bc"s));
  EXPECT_FALSE(match("a\0*"s, "abc"s));
  EXPECT_TRUE(match("*\r\n"s, "line\r\n"s));
  EXPECT_TRUE(match("[\x80-\xff]"s, "\x90"s));
  EXPECT_FALSE(match("[\x80-\xff]"s, "a"s));
}

TEST(Glob, PathologicalPatternIsCorrect) {
  // Exponential for naive backtracking; kvd's single-backtrack matcher is linear per star. The
  // test asserts results only; a regression would show up as a test timeout.
  const std::string as(10000, 'a');
  EXPECT_FALSE(match("a*a*a*a*a*a*a*a*a*a*b", as));
  EXPECT_TRUE(match("a*a*a*a*a*a*a*a*a*a*", as));
  EXPECT_TRUE(match("a*a*a*a*a*a*a*a*a*a*b", as + "b"));
  EXPECT_FALSE(match("*a*a*a*a*a*a*a*a*a*a*a*c*", as + "b"));
  EXPECT_TRUE(match("*?*?*?*?*?*?*?*?*?*?*?*", as));
  EXPECT_FALSE(match("*[b]*[b]*[b]*[b]*[b]*[b]*", as + "bbbbb"));
}

}  // namespace
}  // namespace kv::store
