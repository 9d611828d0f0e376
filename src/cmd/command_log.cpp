#include "cmd/command_log.hpp"

#include <array>

#include "persist/persistence.hpp"
#include "proto/reply_writer.hpp"

namespace kv::cmd {

namespace {

CommandLog::Transaction*& current_transaction() {
  thread_local CommandLog::Transaction* txn = nullptr;
  return txn;
}

// Appends the RESP encoding of `args` to `out`.
template <class Strings>
void encode(std::string& out, const Strings& args) {
  proto::ReplyWriter w(out);
  w.array(std::size(args));
  for (const auto& a : args) w.bulk(std::string_view(a));
}

// A per-thread encoding buffer larger than this is given back after use.
constexpr std::size_t kKeepScratch = 64 * 1024;

// Hands the record of `args` for database `db` to the EXEC collecting records on this thread, or
// appends it to the log through a per-thread buffer, so a logged write costs no allocation once
// that buffer has grown.
template <class Strings>
void emit(persist::Persistence& persistence, int db, const Strings& args) {
  if (CommandLog::Transaction* txn = current_transaction()) {
    std::string resp;
    encode(resp, args);
    txn->add(db, std::move(resp));
    return;
  }
  thread_local std::string scratch;
  scratch.clear();
  encode(scratch, args);
  persistence.writer().append(db, scratch);
  if (scratch.capacity() > kKeepScratch) std::string().swap(scratch);
}

}  // namespace

CommandLog::CommandLog(persist::Persistence* persistence, std::span<const std::string_view> args)
    : persistence_(persistence), args_(args), scope_(this) {}

CommandLog::~CommandLog() = default;

bool CommandLog::logging() const { return persistence_ != nullptr && persistence_->aof_on(); }

void CommandLog::first_change(int db, std::size_t n) {
  if (persistence_ == nullptr) return;
  persistence_->add_changes(n);
  if (logged_) return;
  logged_ = true;
  if (!persistence_->aof_on()) return;
  if (replacement_.empty()) {
    emit(*persistence_, db, args_);
  } else {
    emit(*persistence_, db, replacement_);
  }
}

void CommandLog::log_now(int db) {
  if (!logged_) first_change(db, 1);
}

void CommandLog::on_change(const store::Store& store, std::size_t n) {
  first_change(store.index(), n);
}

void CommandLog::on_expire(const store::Store& store, std::string_view key) {
  if (persistence_ == nullptr) return;
  persistence_->add_changes(1);
  if (!persistence_->aof_on()) return;
  const std::string_view del[] = {"DEL", key};
  emit(*persistence_, store.index(), del);
}

CommandLog::Transaction::Transaction(persist::Persistence* persistence)
    : persistence_(persistence), previous_(current_transaction()) {
  current_transaction() = this;
}

CommandLog::Transaction::~Transaction() { current_transaction() = previous_; }

void CommandLog::Transaction::commit() {
  current_transaction() = previous_;
  if (records_.empty() || persistence_ == nullptr || !persistence_->aof_on()) return;
  // The first database named is selected before MULTI (by the writer), a later one inside; the
  // first is selected again after EXEC so that the writer's idea of the file's database stays
  // true. Records for any database (-1: FLUSHALL, SWAPDB) need no SELECT.
  int first = -1;
  for (const auto& record : records_) {
    if (record.first >= 0) {
      first = record.first;
      break;
    }
  }
  const auto select = [](std::string& out, int db) {
    const std::string n = std::to_string(db);
    const std::string_view args[] = {"SELECT", n};
    encode(out, args);
  };
  int current = first;
  std::string unit;
  encode(unit, std::array<std::string_view, 1>{"MULTI"});
  for (const auto& [db, resp] : records_) {
    if (db >= 0 && db != current) {
      select(unit, db);
      current = db;
    }
    unit += resp;
  }
  encode(unit, std::array<std::string_view, 1>{"EXEC"});
  if (current != first) select(unit, first);
  records_.clear();
  persistence_->writer().append(first, unit);
}

}  // namespace kv::cmd
