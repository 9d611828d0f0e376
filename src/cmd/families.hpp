// The command families; each lives in its own file and adds its rows to the table.
#pragma once

#include <span>

#include "cmd/command.hpp"

namespace kv::cmd {

/// GET, SET, MGET, MSET, MSETNX.
std::span<const CommandSpec> string_commands();
/// APPEND, STRLEN, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, GETRANGE, SUBSTR, SETRANGE, LCS.
std::span<const CommandSpec> string_ops_commands();
/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
std::span<const CommandSpec> expire_commands();
/// DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, DBSIZE,
/// MOVE, SWAPDB, FLUSHDB, FLUSHALL.
std::span<const CommandSpec> keyspace_commands();
/// PING, ECHO, SELECT, HELLO, QUIT, RESET, CLIENT.
std::span<const CommandSpec> connection_commands();
/// INFO, CONFIG, SHUTDOWN.
std::span<const CommandSpec> server_commands();
/// CONFIG GET, SET and RESETSTAT (rows of the CONFIG container).
std::span<const CommandSpec> config_subcommands();
/// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
std::span<const CommandSpec> transaction_commands();
/// COMMAND (it reads the table itself).
std::span<const CommandSpec> introspection_commands();
/// SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE.
std::span<const CommandSpec> persistence_commands();

}  // namespace kv::cmd
