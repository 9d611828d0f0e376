// The expiry family: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
// PERSIST. Deadlines are Unix milliseconds; the store reads 0 as "no deadline".
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "cmd/args.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"

namespace kv::cmd {
namespace {

using Millis = std::int64_t;
constexpr Millis kMaxMillis = std::numeric_limits<Millis>::max();
constexpr Millis kMinMillis = std::numeric_limits<Millis>::min();

/// The NX, XX, GT and LT conditions of the EXPIRE commands, as bits.
enum Condition : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

/// The unit of the time argument, and what it is counted from.
struct ExpireForm {
  bool seconds;   ///< The argument is in seconds, not milliseconds.
  bool relative;  ///< The argument is counted from now, not from the Unix epoch.
};

// Redis compares options with strcasecmp on C strings, so an option stops at its first NUL byte,
// in the comparison and in the error text alike.
std::string_view c_string(std::string_view s) { return s.substr(0, s.find('\0')); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Redis's parseExtendedExpireArgumentsOrReply: an unknown word fails at once, before the
// combinations are checked, and all of it before the time argument is parsed.
std::optional<unsigned> parse_conditions(Call& c) {
  static constexpr std::pair<std::string_view, Condition> kWords[] = {
      {"nx", kNx}, {"xx", kXx}, {"gt", kGt}, {"lt", kLt}};
  unsigned cond = 0;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string_view word = c_string(c.args[i]);
    unsigned bit = 0;
    for (const auto& [name, value] : kWords) {
      if (iequals(word, name)) bit = value;
    }
    if (bit == 0) {
      c.out.error(sanitize_error("ERR Unsupported option " + std::string(word)));
      return std::nullopt;
    }
    cond |= bit;
  }
  if ((cond & kNx) && (cond & (kXx | kGt | kLt))) {
    c.out.error(kErrExpireNxCombo);
    return std::nullopt;
  }
  if ((cond & kGt) && (cond & kLt)) {
    c.out.error(kErrExpireGtLt);
    return std::nullopt;
  }
  return cond;
}

// The absolute deadline the time argument names, or an error reply if it is not an integer or
// the deadline does not fit in 64 bits (Redis checks the unit conversion, then the addition).
std::optional<Millis> parse_deadline(Call& c, ExpireForm form) {
  const auto parsed = int64_arg_or_reply(c, c.args[2]);
  if (!parsed) return std::nullopt;
  Millis when = *parsed;
  const auto invalid = [&] {
    c.out.error("ERR invalid expire time in '" + std::string(c.spec.name) + "' command");
    return std::nullopt;
  };
  if (form.seconds) {
    if (when > kMaxMillis / 1000 || when < kMinMillis / 1000) return invalid();
    when *= 1000;
  }
  const Millis base = form.relative ? c.db().clock().now_ms() : 0;
  if (when > kMaxMillis - base) return invalid();
  return when + base;
}

// Whether the conditions allow replacing deadline `current` (0: none) with `when`. No deadline
// counts as infinite: GT never passes it, LT always does.
bool allowed(unsigned cond, Millis current, Millis when) {
  if ((cond & kNx) && current != 0) return false;
  if ((cond & kXx) && current == 0) return false;
  if ((cond & kGt) && (current == 0 || when <= current)) return false;
  if ((cond & kLt) && current != 0 && when >= current) return false;
  return true;
}

// The store operation: sets the deadline of `key` to `when` if it exists and the conditions
// allow; a deadline not after now deletes the key (Redis's checkAlreadyExpired). Returns whether
// the key was changed.
bool set_deadline(store::Store& store, std::string_view key, Millis when, unsigned cond) {
  return store.update(key, [&](store::KeyRef& k) {
    if (!k.exists() || !allowed(cond, k.expire_at(), when)) return false;
    if (when <= k.now()) {
      k.erase();
    } else {
      k.expire(when);
    }
    return true;
  });
}

template <ExpireForm kForm>
void expire_cmd(Call& c) {
  const std::optional<unsigned> cond = parse_conditions(c);
  if (!cond) return;
  const std::optional<Millis> when = parse_deadline(c, kForm);
  if (!when) return;
  if (c.logging()) c.log_as({"PEXPIREAT", std::string(c.args[1]), std::to_string(*when)});
  c.out.integer(set_deadline(c.db(), c.args[1], *when, *cond) ? 1 : 0);
}

/// What TTL and friends report.
struct TtlForm {
  bool millis;    ///< Milliseconds, not seconds.
  bool absolute;  ///< The deadline itself, not the time left.
};

// Redis's ttlGenericCommand: -2 missing, -1 no deadline, else the time left (or the deadline),
// never negative, seconds rounded to nearest. Redis's (ttl + 500) / 1000 overflows on a deadline
// near INT64_MAX, where redis-server replies what unsigned arithmetic gives; so does kvd.
template <TtlForm kForm>
void ttl_cmd(Call& c) {
  const store::Store& store = c.db();
  const std::optional<Millis> deadline = store.read(c.args[1], [](const store::KeyView* v) {
    return v == nullptr ? std::nullopt : std::optional<Millis>(v->expire_at);
  });
  // TTL and friends look their key up as a read, so they count as keyspace hits and misses.
  c.server.stats.add(deadline ? kStatKeyspaceHits : kStatKeyspaceMisses);
  if (!deadline) {
    c.out.integer(-2);
    return;
  }
  if (*deadline == 0) {
    c.out.integer(-1);
    return;
  }
  Millis t = kForm.absolute ? *deadline : *deadline - store.clock().now_ms();
  if (t < 0) t = 0;
  if (!kForm.millis) t = static_cast<Millis>((static_cast<std::uint64_t>(t) + 500) / 1000);
  c.out.integer(t);
}

void persist_cmd(Call& c) {
  const bool removed = c.db().update(c.args[1], [](store::KeyRef& k) {
    if (!k.exists() || k.expire_at() == 0) return false;
    k.expire(0);
    return true;
  });
  c.out.integer(removed ? 1 : 0);
}

constexpr auto kKeyWrite = kWrite | kFast;
constexpr auto kKeyRead = kReadonly | kFast;
constexpr std::string_view kWriteAcl = "@keyspace @write @fast";
constexpr std::string_view kReadAcl = "@keyspace @read @fast";

const CommandSpec kCommands[] = {
    {"expire", -3, kKeyWrite, kWriteAcl, 1, 1, 1, expire_cmd<ExpireForm{true, true}>, "generic",
     "Sets the expiration time of a key in seconds."},
    {"pexpire", -3, kKeyWrite, kWriteAcl, 1, 1, 1, expire_cmd<ExpireForm{false, true}>, "generic",
     "Sets the expiration time of a key in milliseconds."},
    {"expireat", -3, kKeyWrite, kWriteAcl, 1, 1, 1, expire_cmd<ExpireForm{true, false}>, "generic",
     "Sets the expiration time of a key to a Unix timestamp."},
    {"pexpireat", -3, kKeyWrite, kWriteAcl, 1, 1, 1, expire_cmd<ExpireForm{false, false}>,
     "generic", "Sets the expiration time of a key to a Unix milliseconds timestamp."},
    {"ttl", 2, kKeyRead, kReadAcl, 1, 1, 1, ttl_cmd<TtlForm{false, false}>, "generic",
     "Returns the expiration time in seconds of a key."},
    {"pttl", 2, kKeyRead, kReadAcl, 1, 1, 1, ttl_cmd<TtlForm{true, false}>, "generic",
     "Returns the expiration time in milliseconds of a key."},
    {"expiretime", 2, kKeyRead, kReadAcl, 1, 1, 1, ttl_cmd<TtlForm{false, true}>, "generic",
     "Returns the expiration time of a key as a Unix timestamp."},
    {"pexpiretime", 2, kKeyRead, kReadAcl, 1, 1, 1, ttl_cmd<TtlForm{true, true}>, "generic",
     "Returns the expiration time of a key as a Unix milliseconds timestamp."},
    {"persist", 2, kKeyWrite, kWriteAcl, 1, 1, 1, persist_cmd, "generic",
     "Removes the expiration time of a key."},
};

}  // namespace

std::span<const CommandSpec> expire_commands() { return kCommands; }

}  // namespace kv::cmd
