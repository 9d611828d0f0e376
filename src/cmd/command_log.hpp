// The write-ahead log's view of one command: what to log, and when.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace kv::persist {
class Persistence;
}

namespace kv::cmd {

/// Logs one write command when it first changes the store, while the keys it changes are still
/// locked (a store::WriteObserver installed for the command's duration), so the log holds
/// conflicting commands in the order they changed memory. A key the command finds past its
/// deadline and deletes is logged first as a DEL, as Redis propagates expiry. A command that
/// changes nothing (SET NX on an existing key) is not logged.
///
/// What is logged is the command as the client sent it, unless the handler said otherwise with
/// log_as(): relative times become absolute ones (SET ... EX becomes SET ... PXAT), so replaying
/// the log at any later time gives the same data. Inside EXEC the records are collected and
/// logged together, MULTI ... EXEC, as one unit. One per command, on the executing thread.
class CommandLog final : public store::WriteObserver {
 public:
  /// `persistence` may be null (no durability: nothing is logged or counted).
  CommandLog(persist::Persistence* persistence, std::span<const std::string_view> args);
  ~CommandLog() override;
  CommandLog(const CommandLog&) = delete;
  CommandLog& operator=(const CommandLog&) = delete;

  /// Whether changes are being logged (so a handler builds log_as's arguments only then).
  bool logging() const;
  /// Logs `args` instead of the command's own arguments. Call before the change.
  void log_as(std::vector<std::string> args) { replacement_ = std::move(args); }
  /// Logs the command now, for database `db` (-1: any), if not yet logged: for changes that do
  /// not pass through a store write (SWAPDB).
  void log_now(int db);

  void on_change(const store::Store& store, std::size_t n) override;
  void on_expire(const store::Store& store, std::string_view key) override;

  /// Collects the records of an EXEC's commands; while one exists on a thread, CommandLogs on
  /// that thread hand their records to it. commit() logs them as one MULTI ... EXEC unit.
  class Transaction {
   public:
    explicit Transaction(persist::Persistence* persistence);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    /// Appends the collected records as one unit (nothing if there are none). Call while the
    /// transaction's locks are still held.
    void commit();
    /// Adds a record (RESP bytes) for database `db` (-1: any).
    void add(int db, std::string resp) { records_.emplace_back(db, std::move(resp)); }

   private:
    persist::Persistence* persistence_;
    Transaction* previous_;
    std::vector<std::pair<int, std::string>> records_;  // Database and RESP bytes.
  };

 private:
  // Counts `n` changes, and logs the command at the first for database `db`.
  void first_change(int db, std::size_t n);

  persist::Persistence* persistence_;
  std::span<const std::string_view> args_;
  std::vector<std::string> replacement_;
  bool logged_ = false;
  store::ObserverScope scope_;
};

}  // namespace kv::cmd
