// kvd's options: the command line and a redis.conf-style file, with the same names.
#pragma once

#include <string>

#include "cmd/context.hpp"

namespace kv::server {

/// What main should do after reading the options.
enum class OptionsOutcome { run, exit_ok, exit_error };

/// Reads argv (and the --config file it names, whose values the command line overrides) into
/// `settings`. Prints help, the version, or errors to stdout/stderr itself.
OptionsOutcome parse_options(int argc, char** argv, cmd::Settings& settings);

/// The kvd version string.
inline constexpr const char* kVersion = "0.1.0";

}  // namespace kv::server
