// Commands over the whole keyspace: DEL, UNLINK, EXISTS, DBSIZE, FLUSHDB, FLUSHALL.
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"

namespace kv::cmd {
namespace {

void del_cmd(Call& c) {
  c.out.integer(static_cast<std::int64_t>(c.server.store.del(c.args.subspan(1))));
}

void exists_cmd(Call& c) {
  c.out.integer(static_cast<std::int64_t>(c.server.store.exists(c.args.subspan(1))));
}

void dbsize_cmd(Call& c) { c.out.integer(static_cast<std::int64_t>(c.server.store.size())); }

// FLUSHDB and FLUSHALL [ASYNC|SYNC]: both modes empty the keyspace before replying; entries are
// freed after the stripe locks are released, so other clients wait only for the swap.
void flush_cmd(Call& c) {
  if (c.args.size() > 2 ||
      (c.args.size() == 2 && !NameEq{}(c.args[1], "async") && !NameEq{}(c.args[1], "sync"))) {
    c.out.error(kErrSyntax);
    return;
  }
  c.server.store.clear();
  c.out.ok();
}

const CommandSpec kCommands[] = {
    {"del", -2, kWrite, "@keyspace @write @slow", 1, -1, 1, del_cmd, "generic",
     "Deletes one or more keys."},
    {"unlink", -2, kWrite | kFast, "@keyspace @write @fast", 1, -1, 1, del_cmd, "generic",
     "Asynchronously deletes one or more keys."},
    {"exists", -2, kReadonly | kFast, "@keyspace @read @fast", 1, -1, 1, exists_cmd, "generic",
     "Determines whether one or more keys exist."},
    {"dbsize", 1, kReadonly | kFast, "@keyspace @read @fast", 0, 0, 0, dbsize_cmd, "server",
     "Returns the number of keys in the database."},
    {"flushdb", -1, kWrite, "@keyspace @write @slow @dangerous", 0, 0, 0, flush_cmd, "server",
     "Removes all keys from the current database."},
    {"flushall", -1, kWrite, "@keyspace @write @slow @dangerous", 0, 0, 0, flush_cmd, "server",
     "Removes all keys from all databases."},
};

}  // namespace

std::span<const CommandSpec> keyspace_commands() { return kCommands; }

}  // namespace kv::cmd
