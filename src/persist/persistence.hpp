// Durability: the append-only log, snapshots, loading at start and the rules that drive them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "persist/aof_reader.hpp"
#include "persist/aof_writer.hpp"
#include "persist/manifest.hpp"
#include "persist/rdb.hpp"
#include "store/counters.hpp"
#include "store/databases.hpp"

namespace kv::persist {

/// One `save` rule: snapshot when at least `changes` writes happened in `seconds`.
struct SaveRule {
  std::int64_t seconds = 0;  ///< Interval.
  std::int64_t changes = 0;  ///< Writes needed in it.
  bool operator==(const SaveRule&) const = default;
};

/// Parses Redis's spelling "3600 1 300 100 60 10000" ("" for none); nullopt if malformed.
std::optional<std::vector<SaveRule>> parse_save_rules(std::string_view text);
/// The rules as CONFIG GET save shows them.
std::string format_save_rules(const std::vector<SaveRule>& rules);

/// Persistence settings, with Redis's defaults. Changed through Persistence::configure.
struct PersistConfig {
  std::string dir = ".";                            ///< Data folder (Redis's dir).
  std::string dbfilename = "dump.rdb";              ///< Snapshot file name.
  bool appendonly = true;                           ///< Log every write.
  FsyncPolicy appendfsync = FsyncPolicy::everysec;  ///< When the log is fsynced.
  std::string appenddirname = "appendonlydir";      ///< Log folder, inside dir.
  std::string appendfilename = "appendonly.aof";    ///< Prefix of the log's file names.
  std::vector<SaveRule> save = {{3600, 1}, {300, 100}, {60, 10000}};  ///< Snapshot rules.
  bool aof_load_truncated = true;                  ///< Load a log whose last record is cut short.
  std::int64_t auto_aof_rewrite_percentage = 100;  ///< Rewrite when the log grew this much.
  std::int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;  ///< ... and is at least this big.
  bool stop_writes_on_bgsave_error = true;  ///< Refuse writes after a failed snapshot.
  bool rdbcompression = true;               ///< LZF in snapshots.
  bool rdbchecksum = true;                  ///< Verify snapshot checksums when loading.
  bool skip_unsupported_types = false;      ///< Load a snapshot, skipping other types' keys.
};

/// Sets the parameter `name` (CONFIG SET's name, lower case) of `config` from its text, as
/// the command line, the config file and CONFIG SET spell it. False with Redis's reason if the
/// value is invalid; false with an empty reason if `name` is not a persistence parameter.
bool set_config_value(PersistConfig& config, std::string_view name, std::string_view value,
                      std::string& error);

/// How a snapshot request went (BGSAVE, BGREWRITEAOF).
enum class JobStart : std::uint8_t {
  started,          ///< Running now.
  scheduled,        ///< Will run when the job in progress ends.
  already_running,  ///< The same job is running.
  busy,             ///< Another job is running (BGSAVE without SCHEDULE during a rewrite).
};

/// Owns kvd's files: the multi-part append-only log (manifest, base and incremental files, as
/// Redis 7.0 lays them out) and RDB snapshots, and the threads that keep them: the log writer's
/// (group commit, see AofWriter), one job thread that takes snapshots and rewrites the log, and
/// a cron thread (save rules, automatic rewrite, retries).
///
/// A snapshot is fork-less: the job thread takes a WorldLock for an instant (the cut), starts a
/// snapshot of every database, rotates the log if it is rewriting it, and releases; then it saves
/// one stripe at a time while clients keep writing (Store::save_stripe).
///
/// Thread-safe unless a member says otherwise. Lifetime: `dbs` outlives it; call shutdown()
/// before destroying the event loops whose callbacks the log writer may still post.
class Persistence {
 public:
  /// Replays one unit of the log (one command, or MULTI ... EXEC) against the store.
  using Replay = std::function<bool(std::span<const AofCommand>)>;
  /// Receives log lines: level 0 notice, 1 warning.
  using Logger = std::function<void(int level, const std::string&)>;
  /// Opens a log file for appending (open_log_file; tests pass one whose disk fails on demand).
  using LogOpener = std::function<std::unique_ptr<LogFile>(const std::string& path, int& err)>;

  Persistence(
      store::Databases& dbs, PersistConfig config, Logger log,
      LogOpener open_log = [](const std::string& path, int& err) {
        return open_log_file(path, err);
      });
  ~Persistence();
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  /// Loads the data at start: the log when appendonly is on and its manifest exists, else the
  /// snapshot file if there is one. Throws std::runtime_error naming the file and the offset if
  /// a file is damaged. INFO shows loading:1 meanwhile. Call once, before start(), while the
  /// store's clock holds deadlines (no key may expire during a replay).
  void load(const Replay& replay);
  /// Opens the log (creating its first base and incremental file if there is none) and starts
  /// the job and cron threads. Throws std::runtime_error if the files cannot be created.
  void start();
  /// Stops the threads, writes and fsyncs the log, and takes a snapshot if `save` says so (by
  /// default: when save rules are set). Returns false if the snapshot failed. Call it after the
  /// event loops have stopped: log waiters it does not make durable are dropped uncalled.
  bool shutdown(std::optional<bool> save = std::nullopt);

  /// The log writer (its append() is what commands call through cmd's command log).
  AofWriter& writer() { return writer_; }
  /// The log writer, read-only.
  const AofWriter& writer() const { return writer_; }
  /// Whether every write goes to the log.
  bool aof_on() const { return aof_on_.load(std::memory_order_relaxed); }
  /// Counts `n` changes for the save rules and rdb_changes_since_last_save.
  void add_changes(std::size_t n) { changes_.add(0, n); }
  /// The writer's thread observer for keys that active expiry deletes (logs a DEL).
  store::WriteObserver* expiry_observer() { return &expiry_observer_; }

  /// Redis's MISCONF error (without the leading '-') if writes must be refused now, else empty.
  std::string write_refusal() const;
  /// Whether kvd is still loading: from construction until start() returns (commands without
  /// the loading flag get -LOADING meanwhile, so no write can slip in before the log is open).
  bool loading() const { return loading_.load(std::memory_order_relaxed); }

  /// SAVE: a snapshot now, returning when it is on disk; false if it failed or a BGSAVE is
  /// running (`error` says which).
  bool save(std::string& error);
  /// BGSAVE [SCHEDULE].
  JobStart bgsave(bool schedule);
  /// BGREWRITEAOF.
  JobStart bgrewriteaof();
  /// LASTSAVE: Unix time of the last successful snapshot (or of start).
  std::int64_t lastsave() const { return last_save_s_.load(std::memory_order_relaxed); }
  /// Appends INFO's "# Persistence" section body (field:value lines, CRLF).
  void info(std::string& out) const;

  /// The settings now.
  PersistConfig config() const;
  /// CONFIG SET of a persistence parameter (`name` lower case): checks `value`, and applies it
  /// if `apply`. Returns false with Redis's error text if the value is invalid (or applying it
  /// failed: turning appendonly on writes a new log). Unknown names: false, empty error.
  bool configure(std::string_view name, std::string_view value, bool apply, std::string& error);
  /// CONFIG GET of a persistence parameter; nullopt if `name` is not one.
  std::optional<std::string> get(std::string_view name) const;
  /// Names of the parameters get() knows.
  static std::span<const std::string_view> parameter_names();

 private:
  enum class Job : std::uint8_t { none, rdb, rewrite, enable };

  // Logs the DEL of keys that active expiry deletes.
  struct ExpiryObserver final : store::WriteObserver {
    Persistence* owner = nullptr;
    void on_change(const store::Store&, std::size_t n) override { owner->add_changes(n); }
    void on_expire(const store::Store& store, std::string_view key) override;
  };

  void job_loop();
  void cron_loop();
  void cron_tick();
  bool run_job(Job job);
  bool snapshot_to(const std::string& path, const std::function<void()>& at_cut,
                   std::string& error);
  bool switch_log(bool open, std::string& error);
  bool reopen_log(std::string& error);
  void load_rdb_file(const std::string& path);
  // Stores a key read from a snapshot or a log's base; false if its database does not exist.
  bool put_loaded(const RdbEntry& e);
  std::string aof_dir() const;
  JobStart request(Job job, bool schedule);
  // Hands `job` to the job thread as running now; under job_mu_, with no job running.
  void start_locked(Job job);
  std::uint64_t changes() const { return changes_.sum(0); }

  store::Databases& dbs_;
  Logger log_;
  LogOpener open_log_;
  AofWriter writer_;
  ExpiryObserver expiry_observer_;

  mutable std::mutex config_mu_;
  PersistConfig config_;
  // Held while CONFIG SET appendonly applies (through its config_ update) and while an enable
  // job that has opened the log checks it is still wanted, so a `no` that lands while the log is
  // being turned on is never lost. Taken before job_mu_ and config_mu_.
  std::mutex switch_mu_;

  std::atomic<bool> aof_on_{false};
  std::atomic<bool> loading_{true};  // From construction until start() has opened the log.
  std::atomic<bool> rdb_failed_{false};
  std::atomic<bool> aof_write_failed_{false};  // Mirrors the writer's status, for a cheap check.
  store::PerThreadCounters<1> changes_;
  std::atomic<std::uint64_t> changes_at_save_{0};
  std::atomic<std::int64_t> last_save_s_{0};

  // Loading progress (INFO).
  std::atomic<std::int64_t> loading_start_s_{0};
  std::atomic<std::uint64_t> loading_total_{0};
  std::atomic<std::uint64_t> loading_done_{0};
  std::atomic<std::uint64_t> loaded_keys_{0};
  std::atomic<std::uint64_t> loaded_expired_{0};

  // Jobs: guarded by job_mu_.
  mutable std::mutex job_mu_;
  std::condition_variable job_cv_;
  Job running_ = Job::none;
  Job claimed_ = Job::none;  // Started by a request (already running_), for the job thread.
  bool rdb_scheduled_ = false;
  bool rewrite_scheduled_ = false;
  bool enable_scheduled_ = false;  // CONFIG SET appendonly yes: start a fresh log.
  bool stopping_ = false;
  std::int64_t job_started_ms_ = 0;
  std::int64_t last_rdb_try_ms_ = 0;
  std::int64_t last_rdb_duration_s_ = -1;
  std::int64_t last_rewrite_duration_s_ = -1;
  std::int64_t last_rewrite_try_ms_ = 0;
  bool last_rewrite_ok_ = true;
  std::uint64_t rdb_saves_ = 0;
  std::uint64_t rewrites_ = 0;
  std::uint64_t rewrite_failures_in_a_row_ = 0;
  // Rewrites started by failed fsyncs, for their backoff (cron_tick).
  std::uint64_t fsync_rewrites_in_a_row_ = 0;
  std::uint64_t snapshot_keys_total_ = 0;
  std::atomic<std::uint64_t> snapshot_keys_done_{0};

  // The log's files, guarded by job_mu_ (changed by the job thread and start()).
  AofManifest manifest_;
  std::uint64_t aof_base_size_ = 0;     // Bytes of the base file.
  std::uint64_t aof_older_incrs_ = 0;   // Bytes of the incremental files before the current one.
  std::uint64_t aof_rewrite_base_ = 0;  // Log size after the last rewrite (auto rewrite's 100%).
  std::uint64_t log_tail_crc_ = 0;      // Of the loaded log's last incr file (AofLoadResult).

  std::thread job_thread_;
  std::thread cron_thread_;
};

}  // namespace kv::persist
