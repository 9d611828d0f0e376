// The AOF writer: buffer -> write() -> fsync, each stage under its own lock, one writer thread
// for fsyncs, retries and group commit.
#include "persist/aof_writer.hpp"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <limits>
#include <utility>

#include "persist/aof_reader.hpp"
#include "persist/crc64.hpp"

namespace kv::persist {
namespace {

thread_local std::uint64_t t_last_lsn = 0;

// Steady-clock nanoseconds; never 0, so 0 can mean "none".
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t to_ns(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

// A write buffer bigger than this is freed once written rather than kept for reuse, so one burst
// does not pin its memory for the writer's life.
constexpr std::size_t kKeepCapacity = 4 << 20;

void append_select(std::string& out, int db) {
  char digits[16];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, db);
  const auto n = static_cast<std::size_t>(end - digits);
  out += "*2\r\n$6\r\nSELECT\r\n$";
  out += static_cast<char>('0' + n);  // An int has at most 10 digits.
  out += "\r\n";
  out.append(digits, n);
  out += "\r\n";
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

}  // namespace

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view s) {
  for (FsyncPolicy p : {FsyncPolicy::always, FsyncPolicy::everysec, FsyncPolicy::no}) {
    if (iequals(s, fsync_policy_name(p))) return p;
  }
  return std::nullopt;
}

std::string_view fsync_policy_name(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::always:
      return "always";
    case FsyncPolicy::everysec:
      return "everysec";
    case FsyncPolicy::no:
      return "no";
  }
  return "";
}

AofWriter::AofWriter(FsyncPolicy policy, AofWriterTiming timing)
    : timing_(timing), policy_(policy), thread_([this] { run(); }) {}

AofWriter::~AofWriter() {
  close();
  {
    std::lock_guard lock(wait_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  complete_waiters();
}

std::uint64_t AofWriter::open(std::unique_ptr<LogFile> file, std::uint64_t size,
                              std::uint64_t tail_crc) {
  assert(file != nullptr);
  std::uint64_t at;
  {
    std::lock_guard lock(append_mu_);
    at = appended_lsn_.load(std::memory_order_relaxed);
    switches_.push_back({at, std::move(file), size, tail_crc});
    file_db_ = -1;
    open_.store(true, std::memory_order_release);
  }
  {
    // No I/O: if the previous file has nothing left to write, switch now so stats() shows the
    // new file at once.
    std::lock_guard lock(write_mu_);
    absorb_locked();
    switch_files_locked();
    retired_ = false;  // Woken just below.
  }
  wake();
  return at;
}

bool AofWriter::close() {
  {
    std::lock_guard lock(append_mu_);
    if (open_.load(std::memory_order_relaxed)) {
      switches_.push_back({appended_lsn_.load(std::memory_order_relaxed), nullptr, 0});
      file_db_ = -1;
      open_.store(false, std::memory_order_release);
    }
  }
  const bool ok = write_pending() && sync_files(true);
  // Every waiter this made durable has been called when close() returns, whichever thread
  // calls it.
  complete_waiters();
  wake();
  return ok;
}

void AofWriter::drop_waiters() {
  std::vector<Waiter> dropped;  // Destroyed after the locks are released.
  {
    std::lock_guard calling(complete_mu_);
    std::lock_guard lock(wait_mu_);
    dropped.swap(waiters_);
  }
}

void AofWriter::set_policy(FsyncPolicy p) {
  {
    std::lock_guard lock(write_mu_);
    policy_.store(p, std::memory_order_relaxed);
    if (file_ != nullptr) file_->set_zero_fill(p == FsyncPolicy::always);
  }
  wake();
}

std::uint64_t AofWriter::append(int db, std::string_view resp) {
  std::uint64_t lsn;
  {
    std::lock_guard lock(append_mu_);
    if (!open_.load(std::memory_order_relaxed)) return 0;
    const std::size_t before = buffer_.size();
    if (db >= 0 && db != file_db_) {
      append_select(buffer_, db);
      file_db_ = db;
    }
    buffer_.append(resp);
    lsn = appended_lsn_.load(std::memory_order_relaxed) + (buffer_.size() - before);
    appended_lsn_.store(lsn, std::memory_order_release);
  }
  t_last_lsn = lsn;
  return lsn;
}

std::uint64_t AofWriter::thread_lsn() { return t_last_lsn; }

bool AofWriter::durable(std::uint64_t lsn) const {
  if (lsn == 0) return true;
  const auto& done =
      policy_.load(std::memory_order_relaxed) == FsyncPolicy::always ? synced_lsn_ : written_lsn_;
  return done.load(std::memory_order_acquire) >= lsn;
}

bool AofWriter::try_write(std::uint64_t lsn) {
  if (durable(lsn)) return true;
  const FsyncPolicy p = policy_.load(std::memory_order_relaxed);
  if (p == FsyncPolicy::always || write_failed_.load(std::memory_order_acquire)) return false;
  if (p == FsyncPolicy::everysec) {
    // Redis's rule: a write() behind a stuck fsync would block the event loop, so after 2 s
    // writes queue instead (and the replies wait).
    const std::int64_t started = fsync_started_ns_.load(std::memory_order_relaxed);
    if (started != 0 && now_ns() - started > to_ns(timing_.slow_fsync)) {
      delayed_fsync_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  bool retired;
  {
    std::lock_guard lock(write_mu_);
    // Whoever held the lock before may have written these bytes already: group write.
    if (durable(lsn)) return true;
    if (write_failed_.load(std::memory_order_relaxed)) return false;
    write_locked();
    retired = std::exchange(retired_, false);
  }
  if (retired) wake();
  return durable(lsn);
}

void AofWriter::when_ready(std::uint64_t lsn, std::uint64_t own, std::function<void()> done) {
  bool queued = false;
  if (!ready(lsn, own)) {
    std::lock_guard lock(wait_mu_);
    // Checked again under the lock: the writer advances the LSNs (and sets a failure) before it
    // takes wait_mu_ to scan the waiters, so either it sees this waiter or this sees its
    // progress.
    if (!ready(lsn, own)) {
      waiters_.push_back({lsn, own, std::move(done)});
      wake_ = true;
      queued = true;
    }
  }
  if (queued) {
    cv_.notify_one();
  } else {
    done();
  }
}

std::uint64_t AofWriter::rotate(std::unique_ptr<LogFile> next) {
  std::uint64_t at;
  {
    std::lock_guard lock(append_mu_);
    if (!open_.load(std::memory_order_relaxed)) return 0;
    at = appended_lsn_.load(std::memory_order_relaxed);
    switches_.push_back({at, std::move(next), 0});
    file_db_ = -1;
  }
  wake();
  return at;
}

void AofWriter::covered(std::uint64_t lsn) {
  std::vector<Retired> dropped;         // Closed after the locks are released.
  std::lock_guard sync_lock(sync_mu_);  // No fsync runs, so retiring_ may be popped.
  bool cleared = false;
  {
    std::lock_guard lock(write_mu_);
    absorb_locked();
    const std::uint64_t written = written_lsn_.load(std::memory_order_relaxed);
    if (lsn > written) {
      // Never written (writes failing): the base holds these bytes, so they are not written now.
      out_pos_ += lsn - written;
      written_lsn_.store(lsn, std::memory_order_release);
    }
    switch_files_locked();
    retired_ = false;  // Woken below.
    const auto end = std::find_if(retiring_.begin(), retiring_.end(),
                                  [&](const Retired& r) { return r.end_lsn > lsn; });
    dropped.assign(std::make_move_iterator(retiring_.begin()), std::make_move_iterator(end));
    retiring_.erase(retiring_.begin(), end);
    if (lsn > synced_lsn_.load(std::memory_order_relaxed)) {
      synced_lsn_.store(lsn, std::memory_order_release);
    }
    write_retry_at_ns_.store(0, std::memory_order_relaxed);  // If still failing: retry at once.
    cleared = failed_file_ != nullptr && failed_file_ != file_ &&
              std::none_of(retiring_.begin(), retiring_.end(),
                           [&](const Retired& r) { return r.file == failed_file_; });
  }
  if (cleared) {
    failed_file_.reset();
    set_status(fsync_failed_, false, 0);
  }
  wake();  // The writer thread writes and fsyncs what follows and calls the waiters.
}

bool AofWriter::flush_and_sync() {
  const std::uint64_t target = appended_lsn_.load(std::memory_order_acquire);
  const bool ok = write_pending() && sync_files(true);
  wake();
  return ok && synced_lsn_.load(std::memory_order_acquire) >= target;
}

AofWriterStats AofWriter::stats() const {
  AofWriterStats s;
  s.fsync_failed = fsync_failed_.load(std::memory_order_relaxed);
  s.write_ok = !write_failed_.load(std::memory_order_relaxed) && !s.fsync_failed;
  s.last_errno = last_errno_.load(std::memory_order_relaxed);
  s.file_size = file_size_stat_.load(std::memory_order_relaxed);
  // written first: appended only grows, so the difference cannot go negative.
  const std::uint64_t written = written_lsn_.load(std::memory_order_acquire);
  s.buffer_length = appended_lsn_.load(std::memory_order_acquire) - written;
  s.delayed_fsync = delayed_fsync_.load(std::memory_order_relaxed);
  s.fsync_in_progress = fsync_started_ns_.load(std::memory_order_relaxed) != 0;
  return s;
}

void AofWriter::set_status_callback(std::function<void(bool ok, int err)> cb) {
  std::lock_guard lock(status_mu_);
  status_cb_ = std::move(cb);
}

// ---- The writer thread.

void AofWriter::run() {
  using Clock = std::chrono::steady_clock;
  std::int64_t deadline = now_ns() + to_ns(timing_.period);
  std::unique_lock lock(wait_mu_);
  for (;;) {
    const Clock::time_point until{
        std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(deadline))};
    cv_.wait_until(lock, until, [this] { return stop_ || wake_; });
    if (stop_) return;
    wake_ = false;
    lock.unlock();
    deadline = cycle();
    lock.lock();
  }
}

// One round of the writer thread: write what is pending (or retry a failed write once its time
// has come), fsync what the policy asks for plus retired files (nothing after a failed fsync,
// until covered()), call the waiters now durable. Returns when the next round is due, in
// now_ns() time.
std::int64_t AofWriter::cycle() {
  const std::int64_t period = to_ns(timing_.period);
  const FsyncPolicy p = policy_.load(std::memory_order_relaxed);
  std::int64_t now = now_ns();
  if (!write_failed_.load(std::memory_order_acquire) ||
      now >= write_retry_at_ns_.load(std::memory_order_relaxed)) {
    write_pending();
  }
  // everysec and no: a write is enough, so waiters (held back by a slow fsync, or by failing
  // writes) go now rather than after the fsync below.
  if (p != FsyncPolicy::always) complete_waiters();
  if (!fsync_failed_.load(std::memory_order_acquire)) {
    const bool current =
        p == FsyncPolicy::always || (p == FsyncPolicy::everysec &&
                                     now - last_sync_ns_.load(std::memory_order_relaxed) >= period);
    sync_files(current);
  }
  complete_waiters();

  now = now_ns();
  std::int64_t next = now + period;
  if (write_failed_.load(std::memory_order_relaxed)) {
    next = std::min(next, write_retry_at_ns_.load(std::memory_order_relaxed));
  }
  if (!fsync_failed_.load(std::memory_order_relaxed) && p == FsyncPolicy::everysec &&
      synced_lsn_.load(std::memory_order_relaxed) < written_lsn_.load(std::memory_order_relaxed)) {
    next = std::min(next, last_sync_ns_.load(std::memory_order_relaxed) + period);
  }
  return std::max(next, now + 1'000'000);  // Never spin.
}

void AofWriter::wake() {
  {
    std::lock_guard lock(wait_mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void AofWriter::complete_waiters() {
  std::lock_guard calling(complete_mu_);
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(wait_mu_);
    auto keep = waiters_.begin();
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (ready(it->lsn, it->own)) {
        due.push_back(std::move(it->done));
      } else {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      }
    }
    waiters_.erase(keep, waiters_.end());
  }
  for (auto& done : due) done();
}

void AofWriter::set_status(std::atomic<bool>& failed_flag, bool failed, int err) {
  bool went_bad;
  {
    std::lock_guard lock(status_mu_);
    const bool was_ok = healthy();
    if (failed) last_errno_.store(err, std::memory_order_relaxed);
    failed_flag.store(failed, std::memory_order_release);
    const bool is_ok = healthy();
    if (was_ok != is_ok && status_cb_) status_cb_(is_ok, is_ok ? 0 : err);
    went_bad = was_ok && !is_ok;
  }
  // Waiters that wait only for their own writes while the log fails may go now (ready()).
  if (went_bad) wake();
}

// ---- Writing.

bool AofWriter::write_pending() {
  bool ok;
  bool retired;
  {
    std::lock_guard lock(write_mu_);
    ok = write_locked();
    retired = std::exchange(retired_, false);
  }
  if (retired) wake();
  return ok;
}

// Writes everything taken from the append side, file by file. Each write() ends where an
// append or a file ends, so a failed one can be cut back to whole records.
bool AofWriter::write_locked() {
  absorb_locked();
  for (;;) {
    // A checksum line a failed write cut short is finished before the file is left, even if no
    // write follows it.
    if (!line_left_.empty() && (out_pos_ == out_.size() || next_at_written_locked()) &&
        !finish_line_locked()) {
      return false;
    }
    switch_files_locked();
    const std::uint64_t pending = out_.size() - out_pos_;
    if (pending == 0) break;
    std::uint64_t n = pending;
    if (!next_.empty()) n = std::min(n, next_.front().lsn - written_lsn_.load());
    // Bytes are only appended while a file is open, so bytes always have a file to go to.
    assert(file_ != nullptr && n > 0);
    if (!write_to_file_locked(n)) return false;
  }
  if (out_.capacity() > kKeepCapacity) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  out_pos_ = 0;
  if (write_failed_.load(std::memory_order_relaxed)) set_status(write_failed_, false, 0);
  return true;
}

// Takes the append side's bytes and switches: a swap of buffers when nothing is left over (the
// common case), so appenders wait only for that.
void AofWriter::absorb_locked() {
  if (out_pos_ > 0) {  // Left over after a write that failed part-way: compact outside the lock.
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  std::lock_guard lock(append_mu_);
  if (!buffer_.empty()) {
    if (out_.empty()) {
      out_.swap(buffer_);
    } else {
      out_.append(buffer_);
      buffer_.clear();
    }
  }
  for (Switch& s : switches_) next_.push_back(std::move(s));
  switches_.clear();
}

// Makes every switch due at written_lsn_: the old file joins retiring_ for its final fsync.
void AofWriter::switch_files_locked() {
  const std::uint64_t at = written_lsn_.load(std::memory_order_relaxed);
  while (!next_.empty() && next_.front().lsn <= at) {
    Switch& s = next_.front();
    if (file_ != nullptr) {
      retiring_.push_back({std::move(file_), at});
      retired_ = true;
    }
    file_ = std::move(s.file);
    // Zero-filled space makes each fsync cheaper; only `always` fsyncs often enough to gain.
    if (file_ != nullptr) {  // Null: close().
      file_->set_zero_fill(policy_.load(std::memory_order_relaxed) == FsyncPolicy::always);
    }
    file_size_ = s.size;
    file_size_stat_.store(file_size_, std::memory_order_relaxed);
    chunk_crc_ = s.tail_crc;
    line_left_.clear();
    next_.pop_front();
  }
}

bool AofWriter::next_at_written_locked() const {
  return !next_.empty() && next_.front().lsn <= written_lsn_.load(std::memory_order_relaxed);
}

// Writes the rest of a checksum line that a failed write cut short (line_left_).
bool AofWriter::finish_line_locked() {
  int err = 0;
  const std::int64_t r = file_->write(line_left_.data(), line_left_.size(), err);
  if (r > 0) {  // The bytes written stay: a line is never cut back.
    file_size_ += static_cast<std::uint64_t>(r);
    file_size_stat_.store(file_size_, std::memory_order_relaxed);
    line_left_.erase(0, static_cast<std::size_t>(r));
  }
  if (line_left_.empty()) return true;
  if (err == 0) err = ENOSPC;
  write_retry_at_ns_.store(now_ns() + to_ns(timing_.period), std::memory_order_relaxed);
  set_status(write_failed_, true, err);
  return false;
}

// Writes n bytes of out_ and, in the same system call, the checksum line that covers them and
// the bytes since the file's last checksum line: a loader then refuses any byte changed on the
// disk, and Redis's tools skip the line as an annotation.
bool AofWriter::write_to_file_locked(std::uint64_t n) {
  const std::string_view data(out_.data() + out_pos_, n);
  char line[kAofChecksumLine];
  format_aof_checksum(crc64(chunk_crc_, data), line);
  const std::string_view parts[] = {line_left_, data, {line, kAofChecksumLine}};
  const std::uint64_t total = line_left_.size() + n + kAofChecksumLine;
  int err = 0;
  const std::int64_t r = file_->write(parts, err);
  if (r == static_cast<std::int64_t>(total)) {
    file_size_ += line_left_.size() + kAofChecksumLine;
    line_left_.clear();
    chunk_crc_ = 0;
    advance_locked(n);
    return true;
  }
  if (r > 0) {
    // A partial record must not stay in the file (a loader would stop there): cut back to the
    // last good size and keep all n bytes for the retry.
    int truncate_err = 0;
    if (!file_->truncate(file_size_, truncate_err)) {
      // The partial bytes stay; count them as written so the retry continues right after them
      // and the record ends up whole, not duplicated (as Redis does). A checksum line cut short
      // is finished first by the next write.
      auto left = static_cast<std::uint64_t>(r);
      const auto take = [&left](std::uint64_t size) {
        const std::uint64_t k = std::min(left, size);
        left -= k;
        return k;
      };
      const std::uint64_t old_line = take(line_left_.size());
      const std::uint64_t written = take(n);
      const std::uint64_t new_line = take(kAofChecksumLine);
      line_left_.erase(0, old_line);
      chunk_crc_ = crc64(chunk_crc_, data.substr(0, written));
      if (new_line > 0) {
        line_left_.assign(line + new_line, kAofChecksumLine - new_line);
        chunk_crc_ = 0;
      }
      file_size_ += old_line + new_line;
      advance_locked(written);
    }
  }
  if (err == 0) err = ENOSPC;  // A short write without errno: the disk is full.
  write_retry_at_ns_.store(now_ns() + to_ns(timing_.period), std::memory_order_relaxed);
  set_status(write_failed_, true, err);
  return false;
}

void AofWriter::advance_locked(std::uint64_t n) {
  out_pos_ += n;
  file_size_ += n;
  file_size_stat_.store(file_size_, std::memory_order_relaxed);
  written_lsn_.store(written_lsn_.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

// ---- Syncing.

// Fsyncs the retired files (oldest first; each is closed once synced) and, if include_current,
// the current file, without holding write_mu_ during the fsync. synced_lsn_ advances to the end
// of the last file synced in order, or to everything written before the call. After a failed
// fsync it does nothing and returns false until covered() clears the failure.
bool AofWriter::sync_files(bool include_current) {
  std::lock_guard sync_lock(sync_mu_);
  if (fsync_failed_.load(std::memory_order_relaxed)) return false;
  std::vector<Retired> retired;
  std::shared_ptr<LogFile> current;
  std::uint64_t target;
  {
    std::lock_guard lock(write_mu_);
    retired = retiring_;
    current = file_;
    target = written_lsn_.load(std::memory_order_relaxed);
  }
  const std::uint64_t synced = synced_lsn_.load(std::memory_order_relaxed);
  const bool current_due = include_current && current != nullptr && synced < target;
  if (retired.empty() && !current_due) return true;

  const std::int64_t started = now_ns();
  fsync_started_ns_.store(started, std::memory_order_relaxed);
  std::uint64_t upto = synced;
  std::size_t closed = 0;
  int err = 0;
  bool ok = true;
  std::shared_ptr<LogFile> failed;
  for (const Retired& r : retired) {
    if (!r.file->sync(err)) {
      failed = r.file;
      ok = false;
      break;
    }
    upto = r.end_lsn;
    ++closed;
  }
  if (ok && current == nullptr) upto = target;  // Every written byte was in a retired file.
  if (ok && current_due) {
    last_sync_ns_.store(started, std::memory_order_relaxed);
    if (current->sync(err)) {
      upto = target;
    } else {
      failed = current;
      ok = false;
    }
  }
  fsync_started_ns_.store(0, std::memory_order_relaxed);
  if (upto > synced) synced_lsn_.store(upto, std::memory_order_release);

  std::vector<Retired> done;
  if (closed > 0) {
    std::lock_guard lock(write_mu_);
    const auto end = retiring_.begin() + static_cast<std::ptrdiff_t>(closed);
    done.assign(std::make_move_iterator(retiring_.begin()), std::make_move_iterator(end));
    retiring_.erase(retiring_.begin(), end);
  }
  retired.clear();
  done.clear();  // The last references: the files close here, outside write_mu_.

  if (!ok) {
    failed_file_ = std::move(failed);
    set_status(fsync_failed_, true, err);
  }
  return ok;
}

}  // namespace kv::persist
