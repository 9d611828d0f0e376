// Placeholder until the family's commands land.
#include "cmd/families.hpp"

namespace kv::cmd {

std::span<const CommandSpec> string_ops_commands() { return {}; }

}  // namespace kv::cmd
