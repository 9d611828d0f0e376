// The command table's types: one CommandSpec per command, as in Redis's command table.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cmd/command_log.hpp"
#include "cmd/context.hpp"
#include "cmd/session.hpp"
#include "proto/reply_writer.hpp"

namespace kv::cmd {

/// Command flags, reported by COMMAND INFO with Redis's names.
enum Flag : std::uint32_t {
  kWrite = 1 << 0,
  kReadonly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kNoScript = 1 << 4,
  kLoading = 1 << 5,
  kStale = 1 << 6,
  kFast = 1 << 7,
  kNoAuth = 1 << 8,
  kNoMulti = 1 << 9,
  kAllowBusy = 1 << 10,
  kSkipSlowlog = 1 << 11,
  // kvd's own flags, not shown by COMMAND INFO:
  kNoStore = 1 << 20,     ///< Touches no keys (EXEC takes no locks for it).
  kTxnControl = 1 << 21,  ///< Runs at once inside MULTI instead of being queued.
  kCrossDb = 1 << 22,     ///< May touch another database than the selected one (MOVE, COPY).
};

struct CommandSpec;

/// One command being executed: its arguments, its client, the server, and where replies go.
struct Call {
  ServerContext& server;                   ///< Shared server state.
  Session& session;                        ///< The calling client.
  std::span<const std::string_view> args;  ///< The command name and its arguments.
  proto::ReplyWriter& out;                 ///< Replies go here.
  const CommandSpec& spec;                 ///< The table row being run.
  /// The database the client has SELECTed, resolved once per command (SWAPDB may renumber).
  store::Store& db() {
    if (db_ == nullptr) db_ = &server.databases.db(static_cast<std::size_t>(session.db));
    return *db_;
  }

  /// Whether this command's change goes to the log (then a handler whose arguments hold
  /// relative times says what to log instead, with log_as()).
  bool logging() const { return log != nullptr && log->logging(); }
  /// Logs `args` instead of the command's arguments (for a write command; call before the change).
  void log_as(std::vector<std::string> logged) {
    if (log != nullptr) log->log_as(std::move(logged));
  }

  store::Store* db_ = nullptr;  ///< Cache for db().
  CommandLog* log = nullptr;    ///< The write-ahead log's view of this command, for writes.
};

/// A command handler. It parses its arguments, calls the store, and writes exactly one reply
/// (or none, for SHUTDOWN). The dispatcher has already checked the arity.
using Handler = void (*)(Call& call);

/// One row of the command table.
struct CommandSpec {
  std::string_view name;     ///< Lower case; "container|sub" for subcommands.
  int arity;                 ///< Redis's arity: N exactly, or -N at least N, the name included.
  std::uint32_t flags;       ///< Flag bits.
  std::string_view acl;      ///< ACL categories as Redis lists them, such as "@read @fast".
  int first_key;             ///< Position of the first key, 0 if none.
  int last_key;              ///< Position of the last key; -1 is the last argument.
  int step;                  ///< Distance between keys.
  Handler fn;                ///< The handler (null for a container that needs a subcommand).
  std::string_view group;    ///< COMMAND DOCS group, such as "string".
  std::string_view summary;  ///< COMMAND DOCS summary.
  std::span<const CommandSpec> subcommands = {};  ///< Subcommands of a container command.
};

}  // namespace kv::cmd
