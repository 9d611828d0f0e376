// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// EXEC takes, up front, the stripe locks of every key its queued commands name (in the global
// lock order), or every stripe of every database if a queued command touches the store without
// naming keys. While they are held no other client can see or change those keys, so the
// transaction is atomic; the commands run with the locks installed as the thread's HeldLocks.
// WATCH registers the key with its stripe, whose write paths set the client's flag; EXEC checks
// the flag after taking its locks, so a watched key it touches cannot change unseen.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/command_log.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"
#include "store/databases.hpp"

namespace kv::cmd {
namespace {

void multi_cmd(Call& c) {
  if (c.session.txn.active) {
    c.out.error("ERR MULTI calls can not be nested");
    return;
  }
  c.session.txn.active = true;
  c.out.ok();
}

void discard_cmd(Call& c) {
  if (!c.session.txn.active) {
    c.out.error("ERR DISCARD without MULTI");
    return;
  }
  Dispatcher(c.server).release(c.session);
  c.out.ok();
}

void watch_cmd(Call& c) {
  if (c.session.txn.active) {
    c.out.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  store::Store& db = c.db();
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    bool seen = false;
    for (const auto& w : c.session.txn.watched)
      seen = seen || (w.store == &db && w.key == c.args[i]);
    if (seen) continue;
    c.session.txn.watched.push_back({&db, std::string(c.args[i]), db.expired_entry(c.args[i])});
    db.watch(c.args[i], &c.session.txn.flag);
  }
  c.out.ok();
}

void unwatch_cmd(Call& c) {
  unwatch_all(c.session);
  c.out.ok();
}

// Adds the locks the queued commands need: their keys' stripes, following SELECTs as they will
// run; or every stripe of every database.
// Returns whether every stripe is needed.
bool plan_locks(Call& c, store::TransactionLocks& locks) {
  std::size_t db = static_cast<std::size_t>(c.session.db);
  bool all = false;
  for (const auto& command : c.session.txn.queued) {
    const std::vector<std::string_view> args(command.begin(), command.end());
    std::string error;
    const CommandSpec* help_for = nullptr;
    const CommandSpec* spec = CommandTable::get().resolve(args, error, help_for);
    if (spec == nullptr || help_for != nullptr) continue;
    if (spec->name == "select") {
      std::int64_t n = 0;
      if (proto::parse_int64(args[1], n) && n >= 0 &&
          static_cast<std::size_t>(n) < c.server.databases.count()) {
        db = static_cast<std::size_t>(n);
      }
      continue;
    }
    if ((spec->flags & kNoStore) != 0) continue;
    if (spec->first_key <= 0 || (spec->flags & kCrossDb) != 0) {
      all = true;
      break;
    }
    const auto argc = static_cast<int>(args.size());
    const int last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
    for (int k = spec->first_key; k <= last && k < argc; k += spec->step) {
      locks.add_key(c.server.databases.db(db), args[static_cast<std::size_t>(k)]);
    }
  }
  if (all) {
    c.server.databases.for_each([&](std::size_t, store::Store& s) { locks.add_store(s); });
  }
  return all;
}

void exec_cmd(Call& c) {
  Transaction& t = c.session.txn;
  if (!t.active) {
    c.out.error("ERR EXEC without MULTI");
    return;
  }
  Dispatcher dispatcher(c.server);
  if (t.failed) {
    dispatcher.release(c.session);
    c.out.error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  // A watched key that has expired since WATCH counts as changed (Redis 7). Checked before the
  // locks: the check takes stripe locks of its own.
  bool changed = false;
  for (const auto& w : t.watched) {
    changed = changed || (!w.expired_at_watch && w.store->expired_entry(w.key));
  }
  {
    // The layout lock comes before any stripe lock; a transaction that needs every stripe may
    // run FLUSHALL, SWAPDB, MOVE or COPY ... DB, so it takes the layout lock exclusively first.
    std::optional<store::LayoutLock> layout;
    store::TransactionLocks locks;
    if (!changed) {
      if (plan_locks(c, locks)) layout.emplace(c.server.databases, true);
      locks.acquire();
      // Acquire: a mark is stored after its write's log record, so the reply's wait covers it.
      changed = t.flag.dirty.load(std::memory_order_acquire);
    }
    const std::vector<std::vector<std::string>> queued = std::move(t.queued);
    t.queued.clear();
    t.active = false;
    if (changed) {
      c.out.null_array();
    } else {
      // The commands' log records are collected and logged as one MULTI ... EXEC unit while
      // the locks are still held: recovery applies all of it or none.
      CommandLog::Transaction log(c.server.persistence);
      c.out.array(queued.size());
      for (const auto& command : queued) {
        const std::vector<std::string_view> args(command.begin(), command.end());
        dispatcher.dispatch(c.session, args, c.out);
      }
      log.commit();
    }
  }
  // Unwatching takes stripe locks, so only after the transaction's are released.
  unwatch_all(c.session);
}

const CommandSpec kCommands[] = {
    {"multi", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoStore | kTxnControl,
     "@fast @transaction", 0, 0, 0, multi_cmd, "transactions", "Starts a transaction."},
    {"exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog | kNoStore | kTxnControl,
     "@slow @transaction", 0, 0, 0, exec_cmd, "transactions",
     "Executes all commands in a transaction."},
    {"discard", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoStore | kTxnControl,
     "@fast @transaction", 0, 0, 0, discard_cmd, "transactions", "Discards a transaction."},
    {"watch", -2, kNoScript | kLoading | kStale | kFast | kAllowBusy | kTxnControl,
     "@fast @transaction", 1, -1, 1, watch_cmd, "transactions",
     "Monitors changes to keys to determine the execution of a transaction."},
    {"unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoStore,
     "@fast @transaction", 0, 0, 0, unwatch_cmd, "transactions",
     "Forgets about watched keys of a transaction."},
};

}  // namespace

std::span<const CommandSpec> transaction_commands() { return kCommands; }

}  // namespace kv::cmd
