// The append-only file's writer: many threads append RESP commands, and they are written with
// group commit and fsynced as Redis's appendfsync says, surviving a full disk without losing or
// reordering a byte.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "persist/log_file.hpp"

namespace kv::persist {

/// Redis's appendfsync policies.
enum class FsyncPolicy : std::uint8_t { always, everysec, no };

/// "always", "everysec" or "no" in any case; nullopt for anything else.
std::optional<FsyncPolicy> parse_fsync_policy(std::string_view s);
/// The policy's name as CONFIG GET appendfsync shows it.
std::string_view fsync_policy_name(FsyncPolicy p);

/// What INFO persistence and the MISCONF check need.
struct AofWriterStats {
  bool write_ok = true;             ///< aof_last_write_status: false while writes or fsyncs fail
  bool fsync_failed = false;        ///< An fsync failed; only covered() clears it (a rewrite)
  int last_errno = 0;               ///< errno of the last failure (for MISCONF's strerror)
  std::uint64_t file_size = 0;      ///< bytes in the current file (aof_current_size)
  std::uint64_t buffer_length = 0;  ///< bytes appended but not yet written (aof_buffer_length)
  std::uint64_t delayed_fsync = 0;  ///< times writes waited for a slow fsync (aof_delayed_fsync)
  bool fsync_in_progress = false;   ///< an fsync is running (aof_pending_bio_fsync)
};

/// The writer's clock; tests shorten it.
struct AofWriterTiming {
  /// The writer thread's period: everysec fsyncs, retries of failed writes.
  std::chrono::milliseconds period{1000};
  /// everysec: once an fsync has run longer than this, writes wait for it (Redis's 2 s).
  std::chrono::milliseconds slow_fsync{2000};
};

/// The write-ahead log writer of the append-only file.
///
/// Bytes flow through three stages, each with its own lock, taken in this order when nested:
/// sync_mu_ (fsync; held while an fsync runs) -> write_mu_ (write(); held while a write runs) ->
/// append_mu_ (the in-memory buffer; held only to copy or swap bytes). wait_mu_ (waiters, the
/// writer thread's wake-ups) and status_mu_ are leaves. So append() never waits for I/O, and
/// try_write() never waits for an fsync.
///
/// An LSN is the count of bytes ever appended (SELECTs included), monotonic over the writer's
/// life, across files. written_lsn_ <= appended LSN always, and synced_lsn_ <= written_lsn_;
/// every byte between synced_lsn_ and written_lsn_ is in the current file or in a retired file
/// still waiting for its final fsync. A failed write leaves the file at its last good size (whole
/// records only) and keeps the bytes; nothing is dropped or reordered while the writer lives,
/// except bytes that covered() says a base file holds.
///
/// A failed fsync is final for the bytes it covered: Linux may have dropped their dirty pages, so
/// a later fsync of the same file that succeeds proves nothing about them. From then on the
/// writer fsyncs nothing and synced_lsn_ stays where it was, until covered() says that a new
/// base holds every byte up to a file switch past the failed file (a log rewrite).
///
/// Thread-safe. Owns its writer thread. Destroying it closes it (one attempt to write and fsync
/// everything); what still cannot be written then is dropped, and waiters not durable by then
/// are destroyed without being called.
class AofWriter {
 public:
  /// A closed writer (appends are ignored until open()) with its writer thread running.
  explicit AofWriter(FsyncPolicy policy, AofWriterTiming timing = {});
  ~AofWriter();
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  /// Starts logging to `file` (non-null), which already holds `size` bytes, the last of them
  /// not yet under a checksum line having the CRC-64 `tail_crc` (see kAofChecksumTag: each write
  /// ends with a checksum line covering the bytes since the previous one). The file's selected
  /// database is unknown, so the next db-specific append writes a SELECT first. On an open
  /// writer this switches files as rotate() does. Returns the LSN where `file` starts.
  std::uint64_t open(std::unique_ptr<LogFile> file, std::uint64_t size, std::uint64_t tail_crc = 0);
  /// Stops accepting appends, then writes and fsyncs everything appended and closes the file(s).
  /// Returns false if that failed: the bytes then stay buffered and the files open (not
  /// acknowledged), and the writer thread keeps retrying every period until they are written and
  /// synced (after a failed fsync: covered()) and the files closed; a later close() retries at
  /// once, and the destructor gives up.
  /// Every waiter (when_durable) that is durable by then has been called when it returns.
  bool close();
  /// Forgets every waiter without calling it, after any call in progress has returned: none is
  /// called from then on. For the end of a shutdown, once the waiters' owners stop existing.
  void drop_waiters();
  /// Whether appends are accepted (between open() and close()).
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  /// Changes the fsync policy; waiters are judged by the new one from now on.
  void set_policy(FsyncPolicy p);
  /// The current fsync policy.
  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }

  /// Appends `resp` (whole RESP commands) to the in-memory buffer, preceded by a SELECT if
  /// `db` >= 0 differs from the file's current database (db -1: any database). No I/O; an
  /// O(size) copy under append_mu_. Returns the LSN just past these bytes and remembers it as
  /// the calling thread's last LSN; returns 0 and does nothing while closed.
  std::uint64_t append(int db, std::string_view resp);
  /// The LSN of the calling thread's last append, on any writer (0 if none).
  static std::uint64_t thread_lsn();
  /// The LSN just past every byte appended so far, by any thread. A change to the store is
  /// appended before it becomes visible, so this covers every write a reply could show.
  std::uint64_t appended() const { return appended_lsn_.load(std::memory_order_acquire); }
  /// False while writes or fsyncs fail (stats().write_ok, with two loads).
  bool healthy() const {
    return !write_failed_.load(std::memory_order_relaxed) &&
           !fsync_failed_.load(std::memory_order_relaxed);
  }
  /// Whether every byte up to `lsn` may be acknowledged: written (everysec, no), written and
  /// fsynced (always). True for lsn 0, and for every LSN once a close() has succeeded.
  bool durable(std::uint64_t lsn) const;
  /// Whether a reply that could show every write up to `lsn`, and acknowledges its own client's
  /// writes up to `own` (<= lsn), may be sent: durable(lsn), or while writes or fsyncs fail,
  /// durable(own), so that a failing log holds back only its own writers' replies.
  bool ready(std::uint64_t lsn, std::uint64_t own) const {
    return durable(lsn) || (!healthy() && durable(own));
  }
  /// everysec and no: writes everything pending from the calling thread (one write() for all
  /// threads' appends: group write) and returns durable(lsn). Returns false without writing in
  /// always mode, while writes are failing (the writer thread retries them), or while an fsync
  /// has run longer than timing.slow_fsync (everysec); the caller then uses when_durable().
  /// Takes no lock when durable(lsn) already holds.
  bool try_write(std::uint64_t lsn);
  /// Calls done() once durable(lsn) holds: at once on the calling thread if it already does,
  /// else later on the writer thread (which, in always mode, writes everything pending and
  /// fsyncs once for all waiters: group commit) or in close(). After a failed fsync, a waiter
  /// for bytes it covered is called only once covered() includes them. done() must be quick,
  /// must not throw and must not call back into the writer.
  void when_durable(std::uint64_t lsn, std::function<void()> done) {
    when_ready(lsn, lsn, std::move(done));
  }
  /// As when_durable, once ready(lsn, own) holds; a failure of the log makes the writer thread
  /// check its waiters again at once.
  void when_ready(std::uint64_t lsn, std::uint64_t own, std::function<void()> done);
  /// Switches files at the current end of the buffer: bytes appended before go to the current
  /// file (which the writer writes, fsyncs and closes), bytes after go to `next` (empty, no
  /// database selected). No I/O and no wait for I/O: callable under every store lock. Ignored
  /// (`next` is closed) while the writer is closed. Returns the LSN where `next` starts (0 if
  /// ignored).
  std::uint64_t rotate(std::unique_ptr<LogFile> next);
  /// Every byte before `lsn`, a switch that open() or rotate() returned, is durable elsewhere: a
  /// base file written from the store at that switch is on disk and the manifest no longer names
  /// the files before it. Counts those bytes as written and synced (any not yet written are
  /// never written), closes the files that end by `lsn` without fsyncing them, and clears a
  /// failed fsync if its file was one of them; the writer thread then resumes fsyncs and calls
  /// the waiters now durable. No I/O.
  void covered(std::uint64_t lsn);
  /// Blocks until everything appended before the call is written and fsynced; false if a write
  /// or fsync failed (one attempt each; the bytes stay buffered) or had failed before.
  bool flush_and_sync();
  /// Counters and status for INFO; lock-free.
  AofWriterStats stats() const;
  /// Called when the status changes: ok=false with errno at the first failed write or fsync,
  /// ok=true once both work again. Runs on whichever thread noticed, under an internal lock: it
  /// must not call into the writer except stats(). Set before use.
  void set_status_callback(std::function<void(bool ok, int err)> cb);

 private:
  // From `lsn` on, bytes go to `file` (null: the writer was closed there).
  struct Switch {
    std::uint64_t lsn;
    std::shared_ptr<LogFile> file;
    std::uint64_t size;
    std::uint64_t tail_crc = 0;
  };
  // A file written up to `end_lsn` that needs its final fsync before it is closed.
  struct Retired {
    std::shared_ptr<LogFile> file;
    std::uint64_t end_lsn;
  };
  struct Waiter {
    std::uint64_t lsn;
    std::uint64_t own;
    std::function<void()> done;
  };

  void run();
  std::int64_t cycle();
  bool write_pending();
  bool write_locked();
  void absorb_locked();
  void switch_files_locked();
  bool write_to_file_locked(std::uint64_t n);
  bool finish_line_locked();
  bool next_at_written_locked() const;
  void advance_locked(std::uint64_t n);
  bool sync_files(bool include_current);
  void complete_waiters();
  void wake();
  void set_status(std::atomic<bool>& failed_flag, bool failed, int err);

  const AofWriterTiming timing_;
  std::atomic<FsyncPolicy> policy_;

  // Append side, under append_mu_ (the atomics are written under it and read anywhere).
  mutable std::mutex append_mu_;
  std::string buffer_;            // Appended, not yet taken by a writer.
  std::vector<Switch> switches_;  // File switches inside or at the end of buffer_, in order.
  int file_db_ = -1;              // The database last SELECTed at the end of buffer_.
  std::atomic<bool> open_{false};
  std::atomic<std::uint64_t> appended_lsn_{0};

  // Write side, under write_mu_.
  std::mutex write_mu_;
  std::string out_;  // Bytes [written_lsn_, ...) from out_pos_ on: taken, not yet written.
  std::size_t out_pos_ = 0;
  std::shared_ptr<LogFile> file_;  // Being written; null while closed.
  std::uint64_t file_size_ = 0;    // Bytes in file_ (its last good size).
  std::uint64_t chunk_crc_ = 0;    // CRC-64 of file_'s bytes since its last checksum line.
  std::string line_left_;          // The end of a checksum line a failed write cut short.
  std::deque<Switch> next_;        // Switches taken from the append side, at or after written.
  std::vector<Retired> retiring_;  // Oldest first; popped only under sync_mu_.
  bool retired_ = false;           // A file was retired since the writer thread was last woken.
  std::atomic<std::uint64_t> written_lsn_{0};
  std::atomic<bool> write_failed_{false};
  std::atomic<std::int64_t> write_retry_at_ns_{0};
  std::atomic<std::uint64_t> file_size_stat_{0};

  // Sync side, under sync_mu_.
  std::mutex sync_mu_;
  std::atomic<std::uint64_t> synced_lsn_{0};
  std::atomic<std::int64_t> fsync_started_ns_{0};  // 0 when no fsync runs.
  std::atomic<std::int64_t> last_sync_ns_{0};      // Last fsync of the current file.
  std::atomic<bool> fsync_failed_{false};          // Set with failed_file_; cleared by covered().
  std::shared_ptr<LogFile> failed_file_;           // The file whose fsync failed.

  // Status.
  std::mutex status_mu_;
  std::function<void(bool, int)> status_cb_;
  std::atomic<int> last_errno_{0};
  std::atomic<std::uint64_t> delayed_fsync_{0};

  // Held while waiters are taken and called, so close() and drop_waiters() return only after
  // the writer thread's calls. Taken before wait_mu_.
  std::mutex complete_mu_;
  // Waiters and the writer thread, under wait_mu_.
  std::mutex wait_mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;  // Last: starts once everything above is constructed.
};

}  // namespace kv::persist
