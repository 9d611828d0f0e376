// The command table and the dispatcher: lookup, arity, errors and stats for every command.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cmd/command.hpp"

namespace kv::cmd {

/// Case-insensitive hash of an ASCII name.
struct NameHash {
  std::size_t operator()(std::string_view s) const;
};
/// Case-insensitive equality of ASCII names.
struct NameEq {
  bool operator()(std::string_view a, std::string_view b) const;
};

/// Every command kvd knows, built once from the family files; immutable, so thread-safe.
class CommandTable {
 public:
  /// The table.
  static const CommandTable& get();
  /// The command named `name` (any case), or null.
  const CommandSpec* find(std::string_view name) const;
  /// The subcommand `sub` (any case) of container `spec`, or null.
  static const CommandSpec* find_sub(const CommandSpec& spec, std::string_view sub);
  /// The row `args` names (a subcommand's row for a container), or null. Sets `error` to Redis's
  /// reply when the command cannot run (unknown, wrong arity), and `help_for` to the container
  /// for CONTAINER HELP.
  const CommandSpec* resolve(std::span<const std::string_view> args, std::string& error,
                             const CommandSpec*& help_for) const;
  /// All top-level commands, in table order.
  std::span<const CommandSpec* const> all() const { return all_; }

 private:
  CommandTable();
  std::vector<const CommandSpec*> all_;
  std::unordered_map<std::string_view, const CommandSpec*, NameHash, NameEq> by_name_;
};

/// Drops every WATCH of `session` (UNWATCH, EXEC, DISCARD, RESET, disconnect).
void unwatch_all(Session& session);

/// Runs commands for connections: the one entry point the network layer calls.
///
/// Thread-safe: any number of threads may dispatch at once, each for its own sessions.
class Dispatcher {
 public:
  /// `server` outlives the dispatcher.
  explicit Dispatcher(ServerContext& server) : server_(server) {}

  /// Runs the command in `args` (non-empty) for `session` and writes its reply to `out`.
  void dispatch(Session& session, std::span<const std::string_view> args, proto::ReplyWriter& out);

  /// Whether `session`'s replies written so far may be sent without any I/O (see
  /// replies_ready): true when nothing they acknowledge or show is waiting for the log.
  bool replies_logged(const Session& session) const;
  /// Whether `session`'s replies written so far may be sent: the log holds, as far as the fsync
  /// policy requires (handed to the OS; with appendfsync always, fsynced too), every write they
  /// could acknowledge or show: while the log is healthy, every write appended by any thread by
  /// the end of the session's last command; while writes or fsyncs fail, the session's own (so
  /// reads go on). May write the log (group write); never waits for an fsync.
  bool replies_ready(const Session& session);
  /// After replies_ready() returned false: calls `resume` once those replies may be sent, on the
  /// log writer's thread (or at once on the caller's, if they already may). `resume` must be
  /// quick and must not call back into the dispatcher.
  void when_replies_ready(const Session& session, std::function<void()> resume);

  /// Forgets `session`'s transaction and WATCHes; the connection calls it before the session
  /// goes away.
  void release(Session& session);

  /// The shared server state.
  ServerContext& server() { return server_; }

 private:
  bool persistence_allows(const CommandSpec& spec, proto::ReplyWriter& out);
  void queue(Session& session, std::span<const std::string_view> args, const CommandSpec* spec,
             const std::string& error, proto::ReplyWriter& out);

  ServerContext& server_;
};

}  // namespace kv::cmd
