// Per-connection client state, and the registry that lets CLIENT LIST see every connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace kv::cmd {

struct CommandSpec;

/// A client's MULTI/EXEC and WATCH state. Owner thread only.
struct Transaction {
  /// A WATCHed key.
  struct Watched {
    store::Store* store;    ///< The database object the key was watched in.
    std::string key;        ///< The key.
    bool expired_at_watch;  ///< It was already past its deadline when watched.
  };
  bool active = false;                           ///< Between MULTI and EXEC or DISCARD.
  bool failed = false;                           ///< A command failed to queue: EXEC will abort.
  std::vector<std::vector<std::string>> queued;  ///< Commands waiting for EXEC.
  store::WatchFlag flag;                         ///< Set by the store when a watched key changes.
  std::vector<Watched> watched;                  ///< The WATCHed keys.
};

/// The state of one client connection.
///
/// Owned by its connection and used by the connection's thread only, except through the
/// ClientRegistry: fields marked "shared" are written by the owner under the registry's lock
/// (ClientRegistry::update) and read by other threads under it; the owner may read them without it.
struct Session {
  std::uint64_t id = 0;            ///< CLIENT ID.
  std::string addr;                ///< Peer "ip:port".
  std::string laddr;               ///< Local "ip:port".
  int fd = -1;                     ///< Socket descriptor.
  std::int64_t created_ms = 0;     ///< When the connection was accepted (steady clock).
  bool close_after_reply = false;  ///< Owner only: close once the pending replies are written.
  bool loader = false;             ///< Replays the log at start: runs while loading, never refused.
  Transaction txn;                 ///< Owner only: MULTI/EXEC and WATCH.
  std::uint64_t log_lsn = 0;       ///< Owner only: log position just past its last write (0: none).
  std::uint64_t reply_lsn = 0;     ///< Owner only: log position at its last command's end.

  std::string name;      ///< shared: CLIENT SETNAME.
  std::string lib_name;  ///< shared: CLIENT SETINFO LIB-NAME.
  std::string lib_ver;   ///< shared: CLIENT SETINFO LIB-VER.
  int db = 0;            ///< shared: SELECT.
  int resp = 2;          ///< shared: HELLO.

  std::atomic<std::int64_t> last_ms{0};               ///< Last command time (steady clock).
  std::atomic<const CommandSpec*> last_cmd{nullptr};  ///< Last command run.
};

/// Every live session, for CLIENT LIST and the connected-clients count. Thread-safe.
class ClientRegistry {
 public:
  /// Assigns `s` its id and adds it; the caller keeps `s` alive until remove(s).
  void add(Session& s);
  /// Removes `s`.
  void remove(Session& s);
  /// Runs `change` (which writes shared fields of `s`) under the registry lock.
  void update(const std::function<void()>& change);
  /// Calls fn(const Session&) for every session, in id order, under the registry lock.
  void for_each(const std::function<void(const Session&)>& fn) const;
  /// Number of live sessions.
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  std::map<std::uint64_t, Session*> sessions_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::size_t> count_{0};
};

/// Milliseconds on the steady clock.
std::int64_t steady_ms();

}  // namespace kv::cmd
