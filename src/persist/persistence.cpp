#include "persist/persistence.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "persist/aof_loader.hpp"
#include "persist/rdb.hpp"
#include "proto/reply_writer.hpp"

namespace kv::persist {

namespace fs = std::filesystem;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_s() { return now_ms() / 1000; }

// Writes a snapshot to a file descriptor, remembering the first error.
struct FileSink {
  int fd = -1;
  int err = 0;
  void write(std::string_view bytes) {
    while (err == 0 && !bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
};

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::optional<std::vector<SaveRule>> parse_save_rules(std::string_view text) {
  std::vector<std::int64_t> numbers;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == text.size()) break;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + j, n);
    if (ec != std::errc() || end != text.data() + j || n < 0) return std::nullopt;
    numbers.push_back(n);
    i = j;
  }
  if (numbers.size() % 2 != 0) return std::nullopt;
  std::vector<SaveRule> rules;
  for (std::size_t k = 0; k < numbers.size(); k += 2) {
    if (numbers[k] < 1) return std::nullopt;  // As Redis: a rule's seconds are at least 1.
    rules.push_back({numbers[k], numbers[k + 1]});
  }
  return rules;
}

std::string format_save_rules(const std::vector<SaveRule>& rules) {
  std::string out;
  for (const SaveRule& r : rules) {
    if (!out.empty()) out += ' ';
    out += std::to_string(r.seconds) + " " + std::to_string(r.changes);
  }
  return out;
}

void Persistence::ExpiryObserver::on_expire(const store::Store& store, std::string_view key) {
  owner->add_changes(1);
  if (!owner->aof_on()) return;
  std::string resp;
  proto::ReplyWriter w(resp);
  w.array(2);
  w.bulk("DEL");
  w.bulk(key);
  owner->writer_.append(store.index(), resp);
}

Persistence::Persistence(store::Databases& dbs, PersistConfig config, Logger log,
                         LogOpener open_log)
    : dbs_(dbs),
      log_(std::move(log)),
      open_log_(std::move(open_log)),
      writer_(config.appendfsync),
      config_(std::move(config)) {
  expiry_observer_.owner = this;
  last_save_s_.store(now_s());
  writer_.set_status_callback([this](bool ok, int err) {
    aof_write_failed_.store(!ok);
    if (ok) {
      log_(0, "AOF write error is solved, the AOF file is written again");
    } else {
      log_(1, "Error writing to the AOF file: " + errno_text(err));
    }
  });
}

Persistence::~Persistence() { shutdown(false); }

std::string Persistence::aof_dir() const {
  std::lock_guard lock(config_mu_);
  return (fs::path(config_.dir) / config_.appenddirname).string();
}

PersistConfig Persistence::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

// ---- Loading ----

bool Persistence::put_loaded(const RdbEntry& e) {
  if (e.db >= dbs_.count()) return false;
  dbs_.db(e.db).update(e.key,
                       [&](store::KeyRef& r) { r.set(e.value, e.expire_at_ms.value_or(0)); });
  return true;
}

void Persistence::load_rdb_file(const std::string& path) {
  const PersistConfig cfg = config();
  std::string data;
  std::string error;
  if (!read_whole_file(path, data, error)) throw std::runtime_error(error);
  loading_total_.store(data.size());
  RdbReader reader({cfg.skip_unsupported_types, cfg.rdbchecksum});
  const std::int64_t now = now_ms();
  std::uint64_t expired = 0;
  std::int64_t last_report = now;
  const RdbStatus status = reader.read(data, [&](const RdbEntry& e) {
    if ((reader.stats().keys & 1023) == 0) {  // Progress for INFO, and in the log each second.
      loading_done_.store(e.end, std::memory_order_relaxed);
      if (const std::int64_t t = now_ms(); t - last_report >= 1000) {
        last_report = t;
        log_(0, "Loading the snapshot: " + std::to_string(e.end * 100 / data.size()) + "%");
      }
    }
    if (e.expire_at_ms && *e.expire_at_ms < now) {
      ++expired;  // Past its deadline: not loaded, as Redis does for a master.
      return;
    }
    put_loaded(e);
  });
  if (!status.ok()) {
    throw std::runtime_error("Bad snapshot " + path + ": " + status.message);
  }
  loading_done_.store(data.size());
  loaded_keys_.store(reader.stats().keys - expired);
  loaded_expired_.store(expired);
  std::string note = "DB loaded from disk: " + std::to_string(reader.stats().keys - expired) +
                     " keys from " + path;
  if (reader.stats().skipped > 0)
    note += " (" + std::to_string(reader.stats().skipped) + " keys of other types skipped)";
  log_(0, note);
}

void Persistence::load(const Replay& replay) {
  const PersistConfig cfg = config();
  loading_start_s_.store(now_s());

  if (cfg.appendonly) {
    AofLoadOptions options;
    options.load_truncated = cfg.aof_load_truncated;
    options.max_bulk_len = 0x7fffffff;  // The largest value kvd accepts (proto-max-bulk-len).
    options.skip_unsupported_types = cfg.skip_unsupported_types;
    AofLoadCallbacks callbacks;
    std::uint64_t keys = 0;
    // A log's base keeps keys past their deadline: a command after it may have found them alive.
    callbacks.on_key = [&](const RdbEntry& e) { keys += put_loaded(e) ? 1 : 0; };
    callbacks.on_unit = replay;
    std::int64_t last_report = 0;
    callbacks.on_progress = [&](std::uint64_t loaded, std::uint64_t total) {
      loading_total_.store(total);
      loading_done_.store(loaded);
      const std::int64_t t = now_ms();
      if (t - last_report >= 1000 && total > 0) {
        last_report = t;
        log_(0, "Loading the append only file: " + std::to_string(loaded * 100 / total) + "%");
      }
    };
    callbacks.on_warning = [&](const std::string& w) { log_(1, w); };
    AofLoadResult r = load_aof(cfg.dir, cfg.appenddirname, cfg.appendfilename, options, callbacks);
    if (!r.ok) throw std::runtime_error("Bad append only file: " + r.error);
    if (r.found) {
      std::lock_guard lock(job_mu_);
      manifest_ = r.manifest;
      log_tail_crc_ = r.tail_crc;
      aof_base_size_ = r.base_size;
      aof_older_incrs_ = r.incr_size;
      aof_rewrite_base_ = r.base_size + r.incr_size;
      loaded_keys_.store(keys);
      log_(0, "DB loaded from append only file: " + std::to_string(keys) + " keys, " +
                  std::to_string(r.commands) + " commands");
      if (r.preallocated_bytes > 0) {
        log_(0, "Cut " + std::to_string(r.preallocated_bytes) +
                    " bytes of zero-filled space from the end of the log (it was not closed)");
      }
      changes_at_save_.store(changes());
      return;
    }
  }
  const std::string rdb = (fs::path(cfg.dir) / cfg.dbfilename).string();
  std::error_code ec;
  if (fs::exists(rdb, ec)) load_rdb_file(rdb);
  changes_at_save_.store(changes());
}

// ---- Snapshots ----

// Cuts every database at one instant (a WorldLock: every stripe of every database), calls
// `at_cut` there (a rewrite switches the log to a new incremental file, so the new base plus
// that file hold every write exactly once), then saves one stripe at a time into `path` while
// clients keep going. The file is written to a temporary name, fsynced, renamed, and its folder
// fsynced.
bool Persistence::snapshot_to(const std::string& path, const std::function<void()>& at_cut,
                              std::string& error) {
  const PersistConfig cfg = config();
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "Failed opening " + tmp + " for saving: " + errno_text(errno);
    return false;
  }
  std::vector<store::Store*> stores(dbs_.count());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> counts(dbs_.count());
  std::uint64_t changes_at_cut = 0;
  const auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration held{};
  {
    store::WorldLock world(dbs_);
    const auto locked = std::chrono::steady_clock::now();
    const std::int64_t cut = now_ms();
    for (std::size_t i = 0; i < dbs_.count(); ++i) {
      stores[i] = &dbs_.db(i);
      stores[i]->begin_snapshot(cut);
      counts[i] = stores[i]->snapshot_counts();
    }
    changes_at_cut = changes();
    if (at_cut) at_cut();
    held = std::chrono::steady_clock::now() - locked;
  }
  std::uint64_t total = 0;
  for (const auto& c : counts) total += c.first;
  {
    std::lock_guard lock(job_mu_);
    snapshot_keys_total_ = total;
  }
  snapshot_keys_done_.store(0);

  FileSink sink{fd, 0};
  RdbWriterOptions options;
  options.compress = cfg.rdbcompression;
  options.aof_base = at_cut != nullptr;
  RdbWriter rdb([&](std::string_view bytes) { sink.write(bytes); }, options);
  rdb.begin();
  for (std::size_t i = 0; i < stores.size(); ++i) {
    store::Store& s = *stores[i];
    if (counts[i].first == 0 || sink.err != 0) {
      s.abandon_snapshot();
      continue;
    }
    rdb.select_db(i, counts[i].first, counts[i].second);
    for (std::size_t k = 0; k < s.stripe_count(); ++k) {
      if (sink.err != 0) break;
      std::uint64_t n = 0;
      s.save_stripe(k, [&](std::string_view key, std::string_view value, std::int64_t at) {
        rdb.put(key, value, at);
        ++n;
      });
      snapshot_keys_done_.fetch_add(n, std::memory_order_relaxed);
      // Between stripes, with no lock held: let an event loop that is waiting for this core run
      // now rather than at the end of this thread's time slice. Without it, GET p99 during a
      // snapshot of 1M keys on two cores rose from 0.5 ms to 2.0-2.7 ms; with it, 1.1-1.5 ms,
      // for snapshots about 10% longer (docs/BENCHMARKS.md).
      std::this_thread::yield();
    }
    if (sink.err != 0) s.abandon_snapshot();
  }
  rdb.finish();
  bool ok = sink.err == 0;
  if (ok && ::fsync(fd) != 0) sink.err = errno, ok = false;
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) sink.err = errno, ok = false;
  std::string dir_error;
  if (ok && !fsync_dir(fs::path(path).parent_path().string(), dir_error)) {
    error = dir_error;
    return false;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    error = "Write error saving DB on disk: " + errno_text(sink.err);
    return false;
  }
  if (!at_cut) changes_at_save_.store(changes_at_cut);
  using std::chrono::duration_cast;
  log_(0, "Snapshot of " + std::to_string(total) + " keys written to " + path + " in " +
              std::to_string(duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count()) +
              " ms; the cut held every stripe for " +
              std::to_string(duration_cast<std::chrono::microseconds>(held).count()) + " us");
  return true;
}

// Writes a new base and starts a new incremental file at the same cut, then switches the
// manifest to the pair and removes the older files: BGREWRITEAOF, the automatic rewrite, and the
// first log (`open`: the writer opens the new file at the cut, as when appendonly is turned on;
// Redis 7 also starts a log with a base of what is in memory). Until the new manifest is written
// the old one still describes a complete log: at a rewrite's start it gains the new incremental
// file, as Redis's does.
bool Persistence::switch_log(bool open, std::string& error) {
  const PersistConfig cfg = config();
  const fs::path dir = aof_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "Can't create the append only folder " + dir.string() + ": " + ec.message();
    return false;
  }
  AofManifest old;
  {
    std::lock_guard lock(job_mu_);
    old = manifest_;
  }
  const std::int64_t base_seq = old.base ? old.base->seq + 1 : 1;
  const std::int64_t incr_seq = old.incrs.empty() ? 1 : old.incrs.back().seq + 1;
  const std::string base_name = aof_base_name(cfg.appendfilename, base_seq);
  const std::string incr_name = aof_incr_name(cfg.appendfilename, incr_seq);
  const std::string manifest_path = (dir / aof_manifest_name(cfg.appendfilename)).string();
  fs::remove(dir / incr_name, ec);  // Left by a rewrite that failed before its manifest.
  int err = 0;
  std::unique_ptr<LogFile> incr = open_log_((dir / incr_name).string(), err);
  if (incr == nullptr) {
    error = "Can't open the append-only file " + incr_name + ": " + errno_text(err);
    return false;
  }
  if (!open) {
    AofManifest during = old;
    during.incrs.push_back({incr_name, incr_seq, AofFileType::incr});
    if (!write_file_atomically(manifest_path, format_manifest(during), error)) return false;
    std::lock_guard lock(job_mu_);
    manifest_ = during;
  }
  std::uint64_t cut = 0;  // The log position of the cut: the new base holds every byte before.
  const auto at_cut = [&] {
    if (open) {
      cut = writer_.open(std::move(incr), 0);
      aof_on_.store(true, std::memory_order_relaxed);
    } else {
      cut = writer_.rotate(std::move(incr));
      // A closed writer (the log turned off, its last fsync failed) ignores the new file, and
      // nothing is appended after its end: the base holds every byte it has.
      if (cut == 0) cut = writer_.appended();
    }
  };
  if (!snapshot_to((dir / base_name).string(), at_cut, error)) {
    if (open) writer_.close(), aof_on_.store(false);
    return false;
  }
  AofManifest next;
  next.base = AofFileInfo{base_name, base_seq, AofFileType::base};
  next.incrs.push_back({incr_name, incr_seq, AofFileType::incr});
  if (!write_file_atomically(manifest_path, format_manifest(next), error)) {
    if (open) writer_.close(), aof_on_.store(false);  // No manifest names its file.
    return false;
  }
  if (old.base) fs::remove(dir / old.base->name, ec);
  for (const AofFileInfo& f : old.incrs) fs::remove(dir / f.name, ec);
  for (const AofFileInfo& f : old.history) fs::remove(dir / f.name, ec);
  // The older files are gone from the log: whatever of them was not yet fsynced (or whose fsync
  // failed) is safe in the new base.
  writer_.covered(cut);
  std::lock_guard lock(job_mu_);
  manifest_ = next;
  aof_base_size_ = fs::file_size(dir / base_name, ec);
  aof_older_incrs_ = 0;
  aof_rewrite_base_ = aof_base_size_;
  return true;
}

// Opens the log found at start for appending: its last incremental file.
bool Persistence::reopen_log(std::string& error) {
  const fs::path dir = aof_dir();
  std::string incr;
  std::uint64_t tail_crc;
  {
    std::lock_guard lock(job_mu_);
    incr = manifest_.incrs.back().name;
    tail_crc = log_tail_crc_;
  }
  int err = 0;
  auto file = open_log_((dir / incr).string(), err);
  if (file == nullptr) {
    error = "Can't open the append-only file " + incr + ": " + errno_text(err);
    return false;
  }
  std::error_code ec;
  const std::uint64_t size = fs::file_size(dir / incr, ec);
  {
    std::lock_guard lock(job_mu_);
    aof_older_incrs_ -= std::min(aof_older_incrs_, size);
  }
  writer_.open(std::move(file), size, tail_crc);
  aof_on_.store(true);
  return true;
}

void Persistence::start() {
  if (config().appendonly) {
    std::string error;
    bool found = false;
    {
      std::lock_guard lock(job_mu_);
      found = !manifest_.incrs.empty();
    }
    if (!(found ? reopen_log(error) : switch_log(true, error))) throw std::runtime_error(error);
  }
  {
    std::lock_guard lock(job_mu_);
    stopping_ = false;
    job_thread_ = std::thread([this] { job_loop(); });
    cron_thread_ = std::thread([this] { cron_loop(); });
  }
  // Only now, with the log open, may writes be accepted: one taken earlier would be lost.
  loading_.store(false);
}

bool Persistence::shutdown(std::optional<bool> save) {
  {
    std::lock_guard lock(job_mu_);
    if (stopping_ && !job_thread_.joinable()) return true;
    stopping_ = true;
  }
  job_cv_.notify_all();
  if (job_thread_.joinable()) job_thread_.join();
  if (cron_thread_.joinable()) cron_thread_.join();
  bool ok = true;
  if (writer_.stats().fsync_failed) {  // Also with the log off: see cron_tick().
    std::string error;
    if (!switch_log(false, error)) {
      log_(1, "Can't rewrite the AOF whose fsync failed: " + error);
      ok = false;
    }
  }
  if (aof_on()) {
    if (!writer_.flush_and_sync()) {
      log_(1, "Error flushing the append only file on shutdown");
      ok = false;
    }
    writer_.close();
    aof_on_.store(false);
  }
  // The event loops have stopped: a waiter left now (its write never synced) has no one to
  // answer, and must not be called once its connection's loop is gone. Also when the log is
  // off: turning it off on a failing disk leaves the waiters of a close() that failed.
  writer_.drop_waiters();
  const bool want_save = save.value_or(!config().save.empty());
  if (want_save) {
    log_(0, "Saving the final RDB snapshot before exiting.");
    std::string error;
    const PersistConfig cfg = config();
    if (!snapshot_to((fs::path(cfg.dir) / cfg.dbfilename).string(), nullptr, error)) {
      log_(1, "Error trying to save the DB, can't exit: " + error);
      ok = false;
    } else {
      log_(0, "DB saved on disk");
      last_save_s_.store(now_s());
    }
  }
  return ok;
}

// ---- Jobs ----

bool Persistence::run_job(Job job) {
  const std::int64_t start = now_ms();
  std::string error;
  bool ok;
  if (job == Job::rdb) {
    const PersistConfig cfg = config();
    ok = snapshot_to((fs::path(cfg.dir) / cfg.dbfilename).string(), nullptr, error);
    std::lock_guard lock(job_mu_);
    last_rdb_duration_s_ = (now_ms() - start) / 1000;
    last_rdb_try_ms_ = now_ms();
    if (ok) {
      ++rdb_saves_;
      last_save_s_.store(now_s());
    }
    rdb_failed_.store(!ok);
  } else if (job == Job::enable) {
    ok = aof_on() || switch_log(true, error);
    std::lock_guard switching(switch_mu_);
    if (!ok) {
      std::lock_guard lock(config_mu_);
      config_.appendonly = false;
    } else if (!config().appendonly) {  // Turned off again while this ran.
      aof_on_.store(false);
      writer_.close();
    }
  } else {
    ok = aof_on() || writer_.stats().fsync_failed ? switch_log(false, error) : true;
    std::lock_guard lock(job_mu_);
    last_rewrite_duration_s_ = (now_ms() - start) / 1000;
    last_rewrite_try_ms_ = now_ms();
    last_rewrite_ok_ = ok;
    if (ok) {
      ++rewrites_;
      rewrite_failures_in_a_row_ = 0;
    } else {
      ++rewrite_failures_in_a_row_;
    }
  }
  if (ok) {
    log_(0, job == Job::rdb ? "Background saving terminated with success"
                            : "Background AOF rewrite finished successfully");
  } else {
    log_(1, (job == Job::rdb ? "Background saving error: " : "Background AOF rewrite error: ") +
                error);
  }
  return ok;
}

void Persistence::job_loop() {
  std::unique_lock lock(job_mu_);
  while (true) {
    job_cv_.wait(lock, [this] {
      return stopping_ || claimed_ != Job::none ||
             (running_ == Job::none && (rdb_scheduled_ || rewrite_scheduled_ || enable_scheduled_));
    });
    if (stopping_) return;
    Job job = claimed_;
    claimed_ = Job::none;
    if (job == Job::none) {
      job = enable_scheduled_ ? Job::enable : rewrite_scheduled_ ? Job::rewrite : Job::rdb;
      (job == Job::enable    ? enable_scheduled_
       : job == Job::rewrite ? rewrite_scheduled_
                             : rdb_scheduled_) = false;
      running_ = job;
      job_started_ms_ = now_ms();
    }
    lock.unlock();
    run_job(job);
    lock.lock();
    running_ = Job::none;
    job_cv_.notify_all();
  }
}

// Redis's rules: the same job running is an error; BGSAVE during a rewrite is refused unless
// SCHEDULE; BGREWRITEAOF during a snapshot is scheduled.
JobStart Persistence::request(Job job, bool schedule) {
  std::lock_guard lock(job_mu_);
  bool& scheduled = job == Job::rdb ? rdb_scheduled_ : rewrite_scheduled_;
  if (running_ == job) return JobStart::already_running;
  if (running_ != Job::none) {
    if (job == Job::rdb && !schedule) return JobStart::busy;
    scheduled = true;
    return JobStart::scheduled;
  }
  start_locked(job);
  return JobStart::started;
}

// Running from this moment, as Redis's reply says: INFO and a second request see it at once.
void Persistence::start_locked(Job job) {
  running_ = job;
  job_started_ms_ = now_ms();
  claimed_ = job;
  job_cv_.notify_all();
}

JobStart Persistence::bgsave(bool schedule) { return request(Job::rdb, schedule); }

JobStart Persistence::bgrewriteaof() { return request(Job::rewrite, false); }

bool Persistence::save(std::string& error) {
  std::unique_lock lock(job_mu_);
  if (running_ == Job::rdb) {
    error = "ERR Background save already in progress";
    return false;
  }
  job_cv_.wait(lock, [this] { return running_ == Job::none || stopping_; });
  running_ = Job::rdb;
  lock.unlock();
  const bool ok = run_job(Job::rdb);
  lock.lock();
  running_ = Job::none;
  job_cv_.notify_all();
  if (!ok) error = "ERR";
  return ok;
}

// ---- Cron: save rules, automatic rewrite ----

void Persistence::cron_loop() {
  std::unique_lock lock(job_mu_);
  while (!job_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
    lock.unlock();
    cron_tick();
    lock.lock();
  }
}

void Persistence::cron_tick() {
  const PersistConfig cfg = config();
  const std::int64_t now = now_ms();
  std::unique_lock lock(job_mu_);
  if (running_ != Job::none || rdb_scheduled_ || rewrite_scheduled_) return;
  // A failed fsync may have lost bytes of the log that a later fsync cannot bring back; a new
  // base written from memory can. While fsyncs keep failing after rewrites that succeed, each
  // starts at least 1 s, 2 s, 4 s ... up to a minute after the one before (ten minutes without
  // one start over); after a rewrite that failed, 5 s. Also once the log is off: the fsync of
  // the close that turned it off may be the one that failed.
  if (writer_.stats().fsync_failed) {
    if (now - last_rewrite_try_ms_ > 600000) fsync_rewrites_in_a_row_ = 0;
    const auto doublings = static_cast<int>(std::min<std::uint64_t>(fsync_rewrites_in_a_row_, 6));
    const std::int64_t wait =
        last_rewrite_ok_ ? std::min<std::int64_t>(60000, 1000LL << doublings) : 5000;
    if (now - last_rewrite_try_ms_ >= wait) {
      if (last_rewrite_ok_) ++fsync_rewrites_in_a_row_;
      log_(1, "Rewriting the AOF: an fsync of it failed, so its last writes may not be on disk");
      rewrite_scheduled_ = true;
      job_cv_.notify_all();
      return;
    }
  }
  const std::uint64_t pending = changes() - changes_at_save_.load();
  const std::int64_t since_save = now / 1000 - last_save_s_.load();
  // After a failed snapshot, try again only every 5 s (as Redis's CONFIG_BGSAVE_RETRY_DELAY).
  const bool may_retry = !rdb_failed_.load() || now - last_rdb_try_ms_ > 5000;
  for (const SaveRule& rule : cfg.save) {
    if (pending >= static_cast<std::uint64_t>(rule.changes) && since_save >= rule.seconds &&
        may_retry) {
      log_(0, std::to_string(rule.changes) + " changes in " + std::to_string(rule.seconds) +
                  " seconds. Saving...");
      rdb_scheduled_ = true;
      job_cv_.notify_all();
      return;
    }
  }
  if (aof_on_.load() && cfg.auto_aof_rewrite_percentage > 0) {
    const std::uint64_t size = aof_base_size_ + aof_older_incrs_ + writer_.stats().file_size;
    const std::uint64_t base = aof_rewrite_base_ == 0 ? 1 : aof_rewrite_base_;
    const bool retry_ok = last_rewrite_ok_ || now - last_rewrite_try_ms_ > 5000;
    if (size >= static_cast<std::uint64_t>(cfg.auto_aof_rewrite_min_size) && retry_ok &&
        (size - std::min(size, base)) * 100 / base >=
            static_cast<std::uint64_t>(cfg.auto_aof_rewrite_percentage)) {
      log_(0, "Starting automatic rewriting of AOF on " +
                  std::to_string((size - std::min(size, base)) * 100 / base) + "% growth");
      rewrite_scheduled_ = true;
      job_cv_.notify_all();
    }
  }
}

// ---- Errors and INFO ----

std::string Persistence::write_refusal() const {
  // The common case, on every write command: two relaxed loads.
  if (!aof_write_failed_.load(std::memory_order_relaxed) &&
      !rdb_failed_.load(std::memory_order_relaxed))
    return {};
  if (aof_on()) {
    const AofWriterStats st = writer_.stats();
    if (!st.write_ok) return "MISCONF Errors writing to the AOF file: " + errno_text(st.last_errno);
  }
  if (rdb_failed_.load(std::memory_order_relaxed)) {
    const PersistConfig cfg = config();
    if (cfg.stop_writes_on_bgsave_error && !cfg.save.empty()) {
      return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
             "persist to disk. Commands that may modify the data set are disabled, because this "
             "instance is configured to report errors during writes if RDB snapshotting fails "
             "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
             "about the RDB error.";
    }
  }
  return {};
}

void Persistence::info(std::string& out) const {
  auto line = [&](std::string_view name, const auto& value) {
    out += name;
    out += ':';
    if constexpr (std::is_convertible_v<decltype(value), std::string_view>) {
      out += value;
    } else {
      out += std::to_string(value);
    }
    out += "\r\n";
  };
  const bool loading = loading_.load();
  std::unique_lock lock(job_mu_);
  const std::int64_t now = now_ms();
  line("loading", loading ? 1 : 0);
  line("async_loading", 0);
  line("current_cow_peak", 0);
  line("current_cow_size", 0);
  line("current_cow_size_age", 0);
  line("current_fork_perc", "0.00");
  line("current_save_keys_processed", running_ != Job::none ? snapshot_keys_done_.load() : 0);
  line("current_save_keys_total", running_ != Job::none ? snapshot_keys_total_ : 0);
  line("rdb_changes_since_last_save", changes() - changes_at_save_.load());
  line("rdb_bgsave_in_progress", running_ == Job::rdb ? 1 : 0);
  line("rdb_last_save_time", last_save_s_.load());
  line("rdb_last_bgsave_status", rdb_failed_.load() ? "err" : "ok");
  line("rdb_last_bgsave_time_sec", last_rdb_duration_s_);
  line("rdb_current_bgsave_time_sec",
       running_ == Job::rdb ? (now - job_started_ms_) / 1000 : std::int64_t{-1});
  line("rdb_saves", rdb_saves_);
  line("rdb_last_cow_size", 0);
  line("rdb_last_load_keys_expired", loaded_expired_.load());
  line("rdb_last_load_keys_loaded", loaded_keys_.load());
  // As Redis: turning appendonly on counts as enabled, with its first rewrite in progress.
  const bool rewriting = running_ == Job::rewrite || running_ == Job::enable;
  const bool enabling = (running_ == Job::enable || enable_scheduled_) && config().appendonly;
  line("aof_enabled", aof_on() || enabling ? 1 : 0);
  line("aof_rewrite_in_progress", rewriting ? 1 : 0);
  line("aof_rewrite_scheduled", rewrite_scheduled_ || enable_scheduled_ ? 1 : 0);
  line("aof_last_rewrite_time_sec", last_rewrite_duration_s_);
  line("aof_current_rewrite_time_sec",
       rewriting ? (now - job_started_ms_) / 1000 : std::int64_t{-1});
  line("aof_last_bgrewrite_status", last_rewrite_ok_ ? "ok" : "err");
  line("aof_rewrites", rewrites_);
  line("aof_rewrites_consecutive_failures", rewrite_failures_in_a_row_);
  const AofWriterStats st = writer_.stats();
  line("aof_last_write_status", st.write_ok ? "ok" : "err");
  line("aof_last_cow_size", 0);
  line("module_fork_in_progress", 0);
  line("module_fork_last_cow_size", 0);
  if (aof_on()) {
    line("aof_current_size", aof_base_size_ + aof_older_incrs_ + st.file_size);
    line("aof_base_size", aof_base_size_);
    line("aof_pending_rewrite", rewrite_scheduled_ ? 1 : 0);
    line("aof_buffer_length", st.buffer_length);
    line("aof_pending_bio_fsync", st.fsync_in_progress ? 1 : 0);
    line("aof_delayed_fsync", st.delayed_fsync);
  }
  if (loading) {
    const std::uint64_t total = loading_total_.load();
    const std::uint64_t done = loading_done_.load();
    const std::int64_t elapsed = now / 1000 - loading_start_s_.load();
    line("loading_start_time", loading_start_s_.load());
    line("loading_total_bytes", total);
    line("loading_rdb_used_mem", 0);
    line("loading_loaded_bytes", done);
    char perc[32];
    std::snprintf(perc, sizeof perc, "%.2f", total == 0 ? 0.0 : 100.0 * done / total);
    line("loading_loaded_perc", std::string_view(perc));
    const std::int64_t eta =
        done == 0 ? 1 : static_cast<std::int64_t>((total - done) * elapsed / done);
    line("loading_eta_seconds", eta);
  }
}

}  // namespace kv::persist
