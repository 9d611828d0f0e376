// What commands can reach beyond their own connection: settings, the store, stats, hooks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "cmd/session.hpp"
#include "persist/persistence.hpp"
#include "store/counters.hpp"
#include "store/databases.hpp"
#include "store/store.hpp"

namespace kv::cmd {

/// kvd's settings. Those that can change while running (CONFIG SET) are atomics or guarded by
/// `mu`; the rest are fixed once the server starts.
struct Settings {
  std::string bind = "127.0.0.1";               ///< Listen address.
  int port = 6380;                              ///< Listen port.
  int threads = 1;                              ///< Event-loop threads.
  std::string logfile;                          ///< Log file; empty logs to stderr.
  bool daemonize = false;                       ///< Run in the background.
  std::string pidfile;                          ///< Where the daemon writes its pid.
  std::string config_file;                      ///< The --config file, if any.
  std::atomic<std::int64_t> maxclients{10000};  ///< Connection limit.
  std::atomic<std::int64_t> proto_max_bulk_len{512LL * 1024 * 1024};   ///< Largest bulk argument.
  std::atomic<std::int64_t> query_buffer_limit{1024LL * 1024 * 1024};  ///< Per-client input cap.
  int databases = 16;                  ///< Number of logical databases.
  persist::PersistConfig persistence;  ///< Start-up persistence settings (live: Persistence).

  mutable std::mutex mu;            ///< Guards the strings below.
  std::string loglevel = "notice";  ///< debug, verbose, notice or warning.
};

/// Indexes of the server-wide counters in ServerContext::stats.
enum Stat : std::size_t {
  kStatCommands,             ///< Commands processed.
  kStatConnections,          ///< Connections accepted.
  kStatRejectedConnections,  ///< Connections refused by maxclients.
  kStatNetInput,             ///< Bytes read from clients.
  kStatNetOutput,            ///< Bytes written to clients.
  kStatKeyspaceHits,         ///< Reads that found their key.
  kStatKeyspaceMisses,       ///< Reads that did not.
  kStatCount,
};

/// Everything shared by all connections; lives as long as the server. Thread-safe as documented
/// member by member; the hooks are set before the first connection and never changed.
struct ServerContext {
  /// `dbs` and `settings` outlive the context.
  ServerContext(store::Databases& dbs, Settings& cfg);

  store::Databases& databases;                  ///< The logical databases (SELECT).
  Settings& settings;                           ///< Settings, CONFIG GET/SET's view.
  ClientRegistry clients;                       ///< Live connections.
  store::PerThreadCounters<kStatCount> stats;   ///< Server-wide counters.
  std::int64_t start_ms;                        ///< Start time, steady clock.
  std::string run_id;                           ///< 40 random hex digits, as Redis's run_id.
  std::function<void()> request_shutdown;       ///< Begins a graceful shutdown.
  persist::Persistence* persistence = nullptr;  ///< The log and snapshots (null in some tests).
  std::atomic<int> shutdown_save{-1};  ///< SHUTDOWN's choice: 1 SAVE, 0 NOSAVE, -1 the rules.
  std::function<bool(std::string_view)> set_loglevel;  ///< Applies a loglevel; false if unknown.
};

}  // namespace kv::cmd
