// Turns `kv set` arguments into one SET or MSET command, loading values from files and stdin.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace kv::cli {

/// The command for `kv set ARGS`: {"SET", key, value} for exactly two arguments the first of
/// which has no '=', else {"MSET", k1, v1, ...} with each argument split at its first '='.
/// Values "@PATH" are read from the file and "-" from stdin (binary-safe), after the whole line
/// was checked, so bad usage never waits on stdin. Throws UsageError for malformed arguments and
/// InputError for an unreadable file or stdin.
std::vector<std::string> set_command(std::span<const std::string> args);

}  // namespace kv::cli
