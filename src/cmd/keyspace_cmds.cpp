// Commands over keys as keys: DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME,
// RENAMENX, COPY, MOVE, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cmd/args.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"
#include "store/glob.hpp"

namespace kv::cmd {
namespace {

void del_cmd(Call& c) { c.out.integer(static_cast<std::int64_t>(c.db().del(c.args.subspan(1)))); }

// Lookups count as keyspace hits and misses, one per key named, as in Redis.
void count_lookups(Call& c, std::size_t found, std::size_t named) {
  c.server.stats.add(kStatKeyspaceHits, found);
  c.server.stats.add(kStatKeyspaceMisses, named - found);
}

void exists_cmd(Call& c) {
  const std::size_t found = c.db().exists(c.args.subspan(1));
  count_lookups(c, found, c.args.size() - 1);
  c.out.integer(static_cast<std::int64_t>(found));
}

void dbsize_cmd(Call& c) { c.out.integer(static_cast<std::int64_t>(c.db().size())); }

// FLUSHDB marks the watchers of the keys that existed, as Redis's touchAllWatchedKeysInDb does,
// once the flush is done (and logged).
void flush(store::Store& db) {
  std::vector<store::WatchFlag*> existed;
  for (const auto& [key, flag] : db.watched_keys()) {
    const std::string_view k[] = {key};
    if (db.exists(k) > 0) existed.push_back(flag);
  }
  db.clear();
  for (store::WatchFlag* flag : existed) flag->dirty.store(true, std::memory_order_release);
}

// FLUSHDB and FLUSHALL [ASYNC|SYNC]: both modes empty the keyspace before replying; entries are
// freed after the stripe locks are released, so other clients wait only for the swap.
void flush_cmd(Call& c) {
  if (c.args.size() > 2 ||
      (c.args.size() == 2 && !NameEq{}(c.args[1], "async") && !NameEq{}(c.args[1], "sync"))) {
    c.out.error(kErrSyntax);
    return;
  }
  if (NameEq{}(c.args[0], "flushall")) {
    // Every stripe of every database: no write anywhere can slip past the flush (in memory or in
    // the log), and no MOVE, COPY ... DB or SWAPDB runs meanwhile.
    store::WorldLock world(c.server.databases);
    c.server.databases.for_each([](std::size_t, store::Store& db) { flush(db); });
  } else {
    flush(c.db());
  }
  c.out.ok();
}

void type_cmd(Call& c) {
  const bool found = c.db().read(c.args[1], [](const store::KeyView* v) { return v != nullptr; });
  count_lookups(c, found ? 1 : 0, 1);
  c.out.simple(found ? "string" : "none");
}

void touch_cmd(Call& c) {
  const std::size_t found = c.db().exists(c.args.subspan(1));
  count_lookups(c, found, c.args.size() - 1);
  c.out.integer(static_cast<std::int64_t>(found));
}

// KEYS pattern: a lone "*" matches every key, the empty one included (Redis short-cuts it).
void keys_cmd(Call& c) {
  const std::string_view pattern = c.args[1];
  const bool all = pattern == "*";
  std::vector<std::string> keys;
  c.db().for_each_key([&](std::string_view key) {
    if (all || store::glob_match(pattern, key)) keys.emplace_back(key);
  });
  c.out.array(keys.size());
  for (const auto& k : keys) c.out.bulk(k);
}

// Parses a SCAN cursor as Redis does with strtoull: optional sign, digits, nothing else.
std::optional<std::uint64_t> parse_cursor(std::string_view s) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size() && !s.empty()) return std::nullopt;  // A sign alone.
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return negative ? 0 - v : v;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void scan_cmd(Call& c) {
  const auto cursor = parse_cursor(c.args[1]);
  if (!cursor) {
    c.out.error("ERR invalid cursor");
    return;
  }
  std::string_view pattern = "*";
  std::int64_t count = 10;
  std::string_view type;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (i + 1 >= c.args.size()) {
      c.out.error(kErrSyntax);
      return;
    }
    if (NameEq{}(c.args[i], "count")) {
      const auto n = int64_arg_or_reply(c, c.args[i + 1]);
      if (!n) return;
      count = *n;
      if (count < 1) {
        c.out.error(kErrSyntax);
        return;
      }
    } else if (NameEq{}(c.args[i], "match")) {
      pattern = c.args[i + 1];
    } else if (NameEq{}(c.args[i], "type")) {
      type = c.args[i + 1];
    } else {
      c.out.error(kErrSyntax);
      return;
    }
  }
  // Every key is a string; any other type name matches nothing, as in Redis.
  const bool type_ok = type.empty() || NameEq{}(type, "string");
  const bool all = pattern == "*";
  std::vector<std::string> keys;
  const std::uint64_t next =
      c.db().scan(*cursor, static_cast<std::size_t>(std::min<std::int64_t>(count, 1 << 20)),
                  [&](std::string_view key) {
                    if (type_ok && (all || store::glob_match(pattern, key))) keys.emplace_back(key);
                  });
  c.out.array(2);
  c.out.bulk(std::to_string(next));
  c.out.array(keys.size());
  for (const auto& k : keys) c.out.bulk(k);
}

void randomkey_cmd(Call& c) {
  if (!c.db().random_key([&](std::string_view key) { c.out.bulk(key); })) c.out.null();
}

// RENAME and RENAMENX: the value and its deadline move in one step under both keys' locks.
void rename_generic(Call& c, bool nx) {
  const std::string_view src = c.args[1];
  const std::string_view dst = c.args[2];
  if (src == dst) {
    const bool exists = c.db().exists(c.args.subspan(1, 1)) > 0;
    if (!exists) {
      c.out.error("ERR no such key");
    } else if (nx) {
      c.out.integer(0);
    } else {
      c.out.ok();
    }
    return;
  }
  c.db().update2(src, dst, [&](store::KeyRef& from, store::KeyRef& to) {
    if (!from.exists()) {
      c.out.error("ERR no such key");
      return;
    }
    if (nx && to.exists()) {
      c.out.integer(0);
      return;
    }
    to.set(from.value(), from.expire_at());
    from.erase();
    if (nx) {
      c.out.integer(1);
    } else {
      c.out.ok();
    }
  });
}

void rename_cmd(Call& c) { rename_generic(c, false); }
void renamenx_cmd(Call& c) { rename_generic(c, true); }

// COPY source destination [DB destination-db] [REPLACE]
void copy_cmd(Call& c) {
  bool replace = false;
  int dst_index = c.session.db;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    if (NameEq{}(c.args[i], "replace")) {
      replace = true;
    } else if (NameEq{}(c.args[i], "db") && i + 1 < c.args.size()) {
      const auto db = db_arg_or_reply(c, c.args[++i]);
      if (!db) return;
      dst_index = *db;
    } else {
      c.out.error(kErrSyntax);
      return;
    }
  }
  // Both databases resolved under the shared layout lock: SWAPDB cannot renumber them meanwhile.
  store::LayoutLock layout(c.server.databases, false);
  const bool same_db = dst_index == c.session.db;
  store::Store& src_db = c.server.databases.db(static_cast<std::size_t>(c.session.db));
  store::Store* dst_db = &c.server.databases.db(static_cast<std::size_t>(dst_index));
  if (same_db && c.args[1] == c.args[2]) {
    c.out.error("ERR source and destination objects are the same");
    return;
  }
  auto copy = [&](store::KeyRef& from, store::KeyRef& to) {
    count_lookups(c, from.exists() ? 1 : 0, 1);
    if (!from.exists() || (to.exists() && !replace)) return false;
    to.set(from.value(), from.expire_at());
    return true;
  };
  const bool copied =
      same_db ? src_db.update2(c.args[1], c.args[2], copy)
              : store::Store::update_across(src_db, c.args[1], *dst_db, c.args[2], copy);
  c.out.integer(copied ? 1 : 0);
}

// MOVE key db: the key and its deadline move unless the target database has the key.
void move_cmd(Call& c) {
  const auto db = db_arg_or_reply(c, c.args[2]);
  if (!db) return;
  if (*db == c.session.db) {
    c.out.error("ERR source and destination objects are the same");
    return;
  }
  // Both databases resolved under the shared layout lock: FLUSHALL and SWAPDB wait for the move.
  store::LayoutLock layout(c.server.databases, false);
  store::Store& src = c.server.databases.db(static_cast<std::size_t>(c.session.db));
  store::Store& dst = c.server.databases.db(static_cast<std::size_t>(*db));
  const bool moved = store::Store::update_across(src, c.args[1], dst, c.args[1],
                                                 [](store::KeyRef& from, store::KeyRef& to) {
                                                   if (!from.exists() || to.exists()) return false;
                                                   to.set(from.value(), from.expire_at());
                                                   from.erase();
                                                   return true;
                                                 });
  c.out.integer(moved ? 1 : 0);
}

void swapdb_cmd(Call& c) {
  const auto a = int_arg_or_reply(c, c.args[1], "invalid first DB index");
  if (!a) return;
  const auto b = int_arg_or_reply(c, c.args[2], "invalid second DB index");
  if (!b) return;
  const auto count = static_cast<int>(c.server.databases.count());
  if (*a < 0 || *a >= count || *b < 0 || *b >= count) {
    c.out.error(kErrDbIndex);
    return;
  }
  // Every stripe: no write to either database is in flight while their numbers change, so the
  // log records each write under the number its store had when it changed.
  store::WorldLock world(c.server.databases);
  store::Store& first = c.server.databases.db(static_cast<std::size_t>(*a));
  store::Store& second = c.server.databases.db(static_cast<std::size_t>(*b));
  // WATCH is bound to the database object, while Redis watches a number: after the swap a watch
  // would follow the wrong data. Every watcher of either database is marked, a superset of
  // Redis's rule (which spares keys that exist in neither), so no change can go unseen.
  // Marked after the swap is logged, as every write marks after its record.
  c.server.databases.swap(static_cast<std::size_t>(*a), static_cast<std::size_t>(*b));
  if (c.log != nullptr) c.log->log_now(-1);  // No key changes, so the store does not call it.
  for (store::Store* db : {&first, &second}) {
    for (const auto& [key, flag] : db->watched_keys())
      flag->dirty.store(true, std::memory_order_release);
  }
  c.out.ok();
}

// OBJECT ENCODING, FREQ, REFCOUNT. Encodings follow what Redis picks when it stores a string:
// "int" for a 64-bit integer of at most 20 characters, "embstr" up to 44 bytes, "raw" beyond.
// IDLETIME is not offered: kvd keeps no per-key access clock.
void object_encoding(Call& c) {
  const bool found = c.db().read(c.args[2], [&](const store::KeyView* v) {
    if (v == nullptr) return false;
    std::int64_t n = 0;
    if (v->value.size() <= 20 && proto::parse_int64(v->value, n)) {
      c.out.bulk("int");
    } else {
      c.out.bulk(v->value.size() <= 44 ? "embstr" : "raw");
    }
    return true;
  });
  if (!found) c.out.null();
}

void object_freq(Call& c) {
  const bool found = c.db().read(c.args[2], [](const store::KeyView* v) { return v != nullptr; });
  if (!found) {
    c.out.null();
    return;
  }
  c.out.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

// Redis shares the objects of the integers 0..9999, which report INT_MAX references.
void object_refcount(Call& c) {
  const std::int64_t refs = c.db().read(c.args[2], [](const store::KeyView* v) -> std::int64_t {
    if (v == nullptr) return -1;
    std::int64_t n = 0;
    const bool shared =
        v->value.size() <= 20 && proto::parse_int64(v->value, n) && n >= 0 && n < 10000;
    return shared ? 2147483647 : 1;
  });
  if (refs < 0) {
    c.out.null();
  } else {
    c.out.integer(refs);
  }
}

const CommandSpec kObjectSubcommands[] = {
    {"object|encoding", 3, kReadonly, "@keyspace @read @slow", 2, 2, 1, object_encoding, "generic",
     "Inspects the internal encoding of a Redis object."},
    {"object|freq", 3, kReadonly, "@keyspace @read @slow", 2, 2, 1, object_freq, "generic",
     "Returns the logarithmic access frequency counter of a Redis object."},
    {"object|refcount", 3, kReadonly, "@keyspace @read @slow", 2, 2, 1, object_refcount, "generic",
     "Returns the reference count of a value of a key."},
};

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
    {"type", 2, kReadonly | kFast, "@keyspace @read @fast", 1, 1, 1, type_cmd, "generic",
     "Determine the type stored at key."},
    {"touch", -2, kReadonly | kFast, "@keyspace @read @fast", 1, -1, 1, touch_cmd, "generic",
     "Alters the last access time of a key(s). Returns the number of existing keys specified."},
    {"keys", 2, kReadonly, "@keyspace @read @slow @dangerous", 0, 0, 0, keys_cmd, "generic",
     "Find all keys matching the given pattern."},
    {"scan", -2, kReadonly, "@keyspace @read @slow", 0, 0, 0, scan_cmd, "generic",
     "Incrementally iterate the keys space."},
    {"randomkey", 1, kReadonly, "@keyspace @read @slow", 0, 0, 0, randomkey_cmd, "generic",
     "Return a random key from the keyspace."},
    {"rename", 3, kWrite, "@keyspace @write @slow", 1, 2, 1, rename_cmd, "generic",
     "Rename a key."},
    {"renamenx", 3, kWrite | kFast, "@keyspace @write @fast", 1, 2, 1, renamenx_cmd, "generic",
     "Rename a key, only if the new key does not exist."},
    {"copy", -3, kWrite | kDenyOom | kCrossDb, "@keyspace @write @slow", 1, 2, 1, copy_cmd,
     "generic", "Copy a key."},
    {"move", 3, kWrite | kFast | kCrossDb, "@keyspace @write @fast", 1, 1, 1, move_cmd, "generic",
     "Move a key to another database."},
    {"swapdb", 3, kWrite | kFast, "@keyspace @write @fast @dangerous", 0, 0, 0, swapdb_cmd,
     "server", "Swaps two Redis databases."},
    {"object", -2, 0, "@slow", 0, 0, 0, nullptr, "generic",
     "A container for object introspection commands.", kObjectSubcommands},
};

}  // namespace

std::span<const CommandSpec> keyspace_commands() { return kCommands; }

}  // namespace kv::cmd
