// `kv serve`: becomes the kvd that sits next to the kv executable.
#pragma once

#include "cli/options.hpp"

namespace kv::cli {

/// Replaces this process with kvd (exec), passing --port/--bind for -p/-h when they were given
/// and then `inv.args` unchanged. Returns only by throwing, when kvd cannot be started.
[[noreturn]] void serve(const Invocation& inv);

}  // namespace kv::cli
