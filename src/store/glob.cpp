#include "store/glob.hpp"

#include <cctype>
#include <utility>

namespace kv::store {
namespace {

char fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches a bracket class starting after '[' against `c`; sets `next` past the class. Unterminated
// classes run to the end of the pattern, as in Redis.
bool class_matches(std::string_view pat, std::size_t i, char c, bool nocase, std::size_t& next) {
  const std::size_t n = pat.size();
  bool negate = false;
  if (i < n && pat[i] == '^') {
    negate = true;
    ++i;
  }
  bool match = false;
  while (true) {
    if (i + 1 < n && pat[i] == '\\') {
      ++i;
      if (pat[i] == c) match = true;  // Redis compares escaped bytes exactly, even with nocase.
    } else if (i < n && pat[i] == ']') {
      break;
    } else if (i >= n) {
      --i;
      break;
    } else if (i + 2 < n && pat[i + 1] == '-') {
      // Redis orders the bounds first and folds case after, so [M-a] is [a-m] without case.
      char lo = pat[i];
      char hi = pat[i + 2];
      if (lo > hi) std::swap(lo, hi);
      lo = fold(lo, nocase);
      hi = fold(hi, nocase);
      const char folded = fold(c, nocase);
      if (folded >= lo && folded <= hi) match = true;
      i += 2;
    } else if (fold(pat[i], nocase) == fold(c, nocase)) {
      match = true;
    }
    ++i;
  }
  next = i + 1;
  return negate ? !match : match;
}

// Matches the one-byte token at pat[p] (anything but '*') against `c`.
bool token_matches(std::string_view pat, std::size_t p, char c, bool nocase, std::size_t& next) {
  if (p >= pat.size()) return false;
  switch (pat[p]) {
    case '?':
      next = p + 1;
      return true;
    case '[':
      return class_matches(pat, p + 1, c, nocase, next);
    case '\\':
      if (p + 1 < pat.size()) ++p;
      [[fallthrough]];
    default:
      next = p + 1;
      return fold(pat[p], nocase) == fold(c, nocase);
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  // Redis's matcher never runs its loop on an empty subject, so only an empty pattern matches
  // it: "*" does not match "" (KEYS special-cases a lone "*").
  if (str.empty()) return pattern.empty();
  constexpr std::size_t kNone = std::string_view::npos;
  std::size_t p = 0;
  std::size_t s = 0;
  std::size_t star_p = kNone;
  std::size_t star_s = 0;
  while (s < str.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_s = s;
      continue;
    }
    std::size_t next = 0;
    if (token_matches(pattern, p, str[s], nocase, next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kv::store
