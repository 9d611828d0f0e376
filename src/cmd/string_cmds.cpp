// The string family: GET, SET, MGET, MSET, MSETNX.
#include "cmd/errors.hpp"
#include "cmd/families.hpp"

namespace kv::cmd {
namespace {

void count_read(Call& c, bool hit) {
  c.server.stats.add(hit ? kStatKeyspaceHits : kStatKeyspaceMisses);
}

void get_cmd(Call& c) {
  const bool hit = c.server.store.get(c.args[1], [&](std::string_view v) { c.out.bulk(v); });
  if (!hit) c.out.null();
  count_read(c, hit);
}

void set_cmd(Call& c) {
  // Options (EX, PX, NX, XX, ...) are not supported yet: any extra argument is a syntax error,
  // never silently ignored.
  if (c.args.size() != 3) {
    c.out.error(kErrSyntax);
    return;
  }
  c.server.store.set(c.args[1], c.args[2]);
  c.out.ok();
}

void mget_cmd(Call& c) {
  const auto keys = c.args.subspan(1);
  c.out.array(keys.size());
  std::size_t hits = 0;
  c.server.store.mget(keys, [&](std::optional<std::string_view> v) {
    if (v) {
      c.out.bulk(*v);
      ++hits;
    } else {
      c.out.null();
    }
  });
  c.server.stats.add(kStatKeyspaceHits, hits);
  c.server.stats.add(kStatKeyspaceMisses, keys.size() - hits);
}

bool pairs_ok(Call& c) {
  if (c.args.size() % 2 == 1) return true;  // The name plus key-value pairs.
  c.out.error(wrong_args_error(c.spec.name));
  return false;
}

void mset_cmd(Call& c) {
  if (!pairs_ok(c)) return;
  c.server.store.mset(c.args.subspan(1));
  c.out.ok();
}

void msetnx_cmd(Call& c) {
  if (!pairs_ok(c)) return;
  c.out.integer(c.server.store.msetnx(c.args.subspan(1)) ? 1 : 0);
}

const CommandSpec kCommands[] = {
    {"get", 2, kReadonly | kFast, "@read @string @fast", 1, 1, 1, get_cmd, "string",
     "Returns the string value of a key."},
    {"set", -3, kWrite | kDenyOom, "@write @string @slow", 1, 1, 1, set_cmd, "string",
     "Sets the string value of a key."},
    {"mget", -2, kReadonly | kFast, "@read @string @fast", 1, -1, 1, mget_cmd, "string",
     "Atomically returns the string values of one or more keys."},
    {"mset", -3, kWrite | kDenyOom, "@write @string @slow", 1, -1, 2, mset_cmd, "string",
     "Atomically creates or modifies the string values of one or more keys."},
    {"msetnx", -3, kWrite | kDenyOom, "@write @string @slow", 1, -1, 2, msetnx_cmd, "string",
     "Atomically modifies the string values of one or more keys only when all keys don't exist."},
};

}  // namespace

std::span<const CommandSpec> string_commands() { return kCommands; }

}  // namespace kv::cmd
