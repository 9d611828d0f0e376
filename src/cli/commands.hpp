// kv's subcommands: set, get, del, metrics, ping, shutdown, serve.
#pragma once

#include "cli/options.hpp"

namespace kv::cli {

/// Runs `inv.subcommand` and returns kv's exit status. Output goes to stdout. Throws UsageError,
/// InputError, ServerError, NetError or another std::exception, which main() reports.
int run_subcommand(const Invocation& inv);

}  // namespace kv::cli
