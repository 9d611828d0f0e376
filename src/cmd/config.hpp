// Setting values as Redis spells them, shared by CONFIG SET and the kvd command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kv::cmd {

/// Parses a size in Redis's memory units: bytes, or k/kb/m/mb/g/gb (the b forms are powers of
/// 1024), case-insensitive. Empty on anything else.
std::optional<std::int64_t> parse_memory(std::string_view v);

/// Parses Redis's yes/no booleans, case-insensitive.
std::optional<bool> parse_yes_no(std::string_view v);

}  // namespace kv::cmd
