// The string family's reads and writes: GET, SET and its variants, MGET, MSET, MSETNX.
#include <cstdint>
#include <optional>
#include <string>

#include "cmd/args.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"

namespace kv::cmd {
namespace {

void count_read(Call& c, bool hit) {
  c.server.stats.add(hit ? kStatKeyspaceHits : kStatKeyspaceMisses);
}

void get_cmd(Call& c) {
  const bool hit = c.db().get(c.args[1], [&](std::string_view v) { c.out.bulk(v); });
  if (!hit) c.out.null();
  count_read(c, hit);
}

// The options SET and GETEX share, parsed the way Redis 7.0's parseExtendedStringArguments does:
// an option may repeat, and each excludes only the options it conflicts with.
struct SetOptions {
  enum class Expire { none, ex, px, exat, pxat };
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keepttl = false;
  bool persist = false;
  Expire expire = Expire::none;
  std::string_view expire_arg;
};

bool is(std::string_view a, std::string_view b) { return NameEq{}(a, b); }

// Parses c.args from `first`; on a bad option replies Redis's syntax error and returns false.
bool parse_set_options(Call& c, std::size_t first, bool getex, SetOptions& o) {
  using E = SetOptions::Expire;
  for (std::size_t j = first; j < c.args.size(); ++j) {
    const std::string_view opt = c.args[j];
    const bool has_next = j + 1 < c.args.size();
    const bool has_expire = o.expire != E::none;
    auto expire_ok = [&](E kind) {
      return !o.keepttl && !o.persist && (!has_expire || o.expire == kind) && has_next;
    };
    if (!getex && is(opt, "nx") && !o.xx) {
      o.nx = true;
    } else if (!getex && is(opt, "xx") && !o.nx) {
      o.xx = true;
    } else if (!getex && is(opt, "get")) {
      o.get = true;
    } else if (!getex && is(opt, "keepttl") && !has_expire) {
      o.keepttl = true;
    } else if (getex && is(opt, "persist") && !has_expire) {
      o.persist = true;
    } else if (is(opt, "ex") && expire_ok(E::ex)) {
      o.expire = E::ex;
      o.expire_arg = c.args[++j];
    } else if (is(opt, "px") && expire_ok(E::px)) {
      o.expire = E::px;
      o.expire_arg = c.args[++j];
    } else if (is(opt, "exat") && expire_ok(E::exat)) {
      o.expire = E::exat;
      o.expire_arg = c.args[++j];
    } else if (is(opt, "pxat") && expire_ok(E::pxat)) {
      o.expire = E::pxat;
      o.expire_arg = c.args[++j];
    } else {
      c.out.error(kErrSyntax);
      return false;
    }
  }
  return true;
}

// The absolute deadline an expire argument asks for (Unix ms), as Redis's
// getExpireMillisecondsOrReply computes it; replies the error and returns nothing if invalid.
std::optional<std::int64_t> deadline_or_reply(Call& c, std::string_view arg, bool seconds,
                                              bool relative) {
  const auto parsed = int64_arg_or_reply(c, arg);
  if (!parsed) return std::nullopt;
  std::int64_t n = *parsed;
  const auto invalid = [&] {
    c.out.error("ERR invalid expire time in '" + std::string(c.spec.name) + "' command");
    return std::nullopt;
  };
  if (n <= 0 || (seconds && n > INT64_MAX / 1000)) return invalid();
  if (seconds) n *= 1000;
  if (relative) {
    const std::int64_t now = c.db().clock().now_ms();
    if (n > INT64_MAX - now) return invalid();
    n += now;
  }
  return n;
}

std::optional<std::int64_t> deadline_or_reply(Call& c, const SetOptions& o) {
  using E = SetOptions::Expire;
  return deadline_or_reply(c, o.expire_arg, o.expire == E::ex || o.expire == E::exat,
                           o.expire == E::ex || o.expire == E::px);
}

// Parses SET's or GETEX's options from `first`; returns the deadline they ask for (0: none), or
// nothing after replying Redis's error.
std::optional<std::int64_t> options_or_reply(Call& c, std::size_t first, bool getex,
                                             SetOptions& o) {
  if (!parse_set_options(c, first, getex, o)) return std::nullopt;
  if (o.expire == SetOptions::Expire::none) return 0;
  return deadline_or_reply(c, o);
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
void set_cmd(Call& c) {
  if (c.args.size() == 3) {  // The common case has its own allocation-free path.
    c.db().set(c.args[1], c.args[2]);
    c.out.ok();
    return;
  }
  SetOptions o;
  const auto parsed = options_or_reply(c, 3, false, o);
  if (!parsed) return;
  const std::int64_t deadline = *parsed;
  if (deadline != 0 && c.logging()) {
    // Logged with the absolute deadline, so a replay at any later time gives the same key.
    std::vector<std::string> logged{"SET", std::string(c.args[1]), std::string(c.args[2])};
    if (o.nx) logged.emplace_back("NX");
    if (o.xx) logged.emplace_back("XX");
    if (o.get) logged.emplace_back("GET");
    logged.emplace_back("PXAT");
    logged.push_back(std::to_string(deadline));
    c.log_as(std::move(logged));
  }
  c.db().update(c.args[1], [&](store::KeyRef& k) {
    if (o.get) {
      if (k.exists()) {
        c.out.bulk(k.value());
      } else {
        c.out.null();
      }
    }
    if ((o.nx && k.exists()) || (o.xx && !k.exists())) {
      if (!o.get) c.out.null();
      return;
    }
    k.set(c.args[2], o.keepttl ? k.expire_at() : deadline);
    if (!o.get) c.out.ok();
  });
}

// SETNX, SETEX and PSETEX: SET with one option, and their own replies and error names.
void setnx_cmd(Call& c) {
  const bool set = c.db().update(c.args[1], [&](store::KeyRef& k) {
    if (k.exists()) return false;
    k.set(c.args[2], 0);
    return true;
  });
  c.out.integer(set ? 1 : 0);
}

void setex_generic(Call& c, bool seconds) {
  const auto deadline = deadline_or_reply(c, c.args[2], seconds, true);
  if (!deadline) return;
  if (c.logging()) {
    c.log_as(
        {"SET", std::string(c.args[1]), std::string(c.args[3]), "PXAT", std::to_string(*deadline)});
  }
  c.db().update(c.args[1], [&](store::KeyRef& k) { k.set(c.args[3], *deadline); });
  c.out.ok();
}

void setex_cmd(Call& c) { setex_generic(c, true); }
void psetex_cmd(Call& c) { setex_generic(c, false); }

void getset_cmd(Call& c) {
  c.db().update(c.args[1], [&](store::KeyRef& k) {
    count_read(c, k.exists());
    if (k.exists()) {
      c.out.bulk(k.value());
    } else {
      c.out.null();
    }
    k.set(c.args[2], 0);
  });
}

void getdel_cmd(Call& c) {
  c.db().update(c.args[1], [&](store::KeyRef& k) {
    count_read(c, k.exists());
    if (!k.exists()) {
      c.out.null();
      return;
    }
    c.out.bulk(k.value());
    k.erase();
  });
}

// GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]
void getex_cmd(Call& c) {
  SetOptions o;
  const auto parsed = options_or_reply(c, 2, true, o);
  if (!parsed) return;
  const std::int64_t deadline = *parsed;
  if (deadline != 0 && c.logging()) {
    c.log_as({"PEXPIREAT", std::string(c.args[1]), std::to_string(deadline)});
  } else if (o.persist && c.logging()) {
    c.log_as({"PERSIST", std::string(c.args[1])});
  }
  c.db().update(c.args[1], [&](store::KeyRef& k) {
    count_read(c, k.exists());
    if (!k.exists()) {
      c.out.null();
      return;
    }
    c.out.bulk(k.value());
    if (deadline != 0 && deadline <= k.now()) {
      k.erase();  // An absolute deadline already past deletes the key, as in Redis.
    } else if (deadline != 0) {
      k.expire(deadline);
    } else if (o.persist) {
      k.expire(0);
    }
  });
}

void mget_cmd(Call& c) {
  const auto keys = c.args.subspan(1);
  c.out.array(keys.size());
  std::size_t hits = 0;
  c.db().mget(keys, [&](std::optional<std::string_view> v) {
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
  c.db().mset(c.args.subspan(1));
  c.out.ok();
}

void msetnx_cmd(Call& c) {
  if (!pairs_ok(c)) return;
  c.out.integer(c.db().msetnx(c.args.subspan(1)) ? 1 : 0);
}

const CommandSpec kCommands[] = {
    {"get", 2, kReadonly | kFast, "@read @string @fast", 1, 1, 1, get_cmd, "string",
     "Returns the string value of a key."},
    {"set", -3, kWrite | kDenyOom, "@write @string @slow", 1, 1, 1, set_cmd, "string",
     "Sets the string value of a key."},
    {"setnx", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, setnx_cmd, "string",
     "Set the value of a key, only if the key does not exist."},
    {"setex", 4, kWrite | kDenyOom, "@write @string @slow", 1, 1, 1, setex_cmd, "string",
     "Set the value and expiration of a key."},
    {"psetex", 4, kWrite | kDenyOom, "@write @string @slow", 1, 1, 1, psetex_cmd, "string",
     "Set the value and expiration in milliseconds of a key."},
    {"getset", 3, kWrite | kDenyOom | kFast, "@write @string @fast", 1, 1, 1, getset_cmd, "string",
     "Set the string value of a key and return its old value."},
    {"getdel", 2, kWrite | kFast, "@write @string @fast", 1, 1, 1, getdel_cmd, "string",
     "Get the value of a key and delete the key."},
    {"getex", -2, kWrite | kFast, "@write @string @fast", 1, 1, 1, getex_cmd, "string",
     "Get the value of a key and optionally set its expiration."},
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
