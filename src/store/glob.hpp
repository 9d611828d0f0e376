// Redis's glob-style pattern matching (KEYS, SCAN MATCH, CONFIG GET).
#pragma once

#include <string_view>

namespace kv::store {

/// Whether `str` matches `pattern` under Redis's rules: `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
/// Runs in O(|pattern| * |str|) time whatever the pattern: a star only ever backtracks to the
/// most recent star, which is enough because every other token matches exactly one byte. Quirks
/// kept from Redis: an empty `str` matches only an empty pattern.
bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace kv::store
