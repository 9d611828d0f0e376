#include "cmd/command_log.hpp"

#include "persist/persistence.hpp"
#include "proto/reply_writer.hpp"

namespace kv::cmd {

namespace {

CommandLog::Transaction*& current_transaction() {
  thread_local CommandLog::Transaction* txn = nullptr;
  return txn;
}

template <class Strings>
std::string encode(const Strings& args) {
  std::string out;
  proto::ReplyWriter w(out);
  w.array(std::size(args));
  for (const auto& a : args) w.bulk(std::string_view(a));
  return out;
}

}  // namespace

CommandLog::CommandLog(persist::Persistence* persistence, std::span<const std::string_view> args)
    : persistence_(persistence), args_(args), scope_(this) {}

CommandLog::~CommandLog() = default;

bool CommandLog::logging() const { return persistence_ != nullptr && persistence_->aof_on(); }

void CommandLog::emit(int db, std::string resp) {
  if (Transaction* txn = current_transaction()) {
    txn->records_.emplace_back(db, std::move(resp));
  } else {
    persistence_->writer().append(db, resp);
  }
}

void CommandLog::log_now(int db) {
  if (persistence_ == nullptr || logged_) return;
  logged_ = true;
  persistence_->add_changes(1);
  if (!persistence_->aof_on()) return;
  emit(db, replacement_.empty() ? encode(args_) : encode(replacement_));
}

void CommandLog::on_change(const store::Store& store, std::size_t n) {
  if (persistence_ == nullptr) return;
  persistence_->add_changes(n);
  if (logged_) return;
  logged_ = true;
  if (!persistence_->aof_on()) return;
  emit(store.index(), replacement_.empty() ? encode(args_) : encode(replacement_));
}

void CommandLog::on_expire(const store::Store& store, std::string_view key) {
  if (persistence_ == nullptr) return;
  persistence_->add_changes(1);
  if (!persistence_->aof_on()) return;
  const std::string_view del[] = {"DEL", key};
  emit(store.index(), encode(del));
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
    out += "*2\r\n$6\r\nSELECT\r\n$" + std::to_string(n.size()) + "\r\n" + n + "\r\n";
  };
  int current = first;
  std::string unit = "*1\r\n$5\r\nMULTI\r\n";
  for (const auto& [db, resp] : records_) {
    if (db >= 0 && db != current) {
      select(unit, db);
      current = db;
    }
    unit += resp;
  }
  unit += "*1\r\n$4\r\nEXEC\r\n";
  if (current != first) select(unit, first);
  records_.clear();
  persistence_->writer().append(first, unit);
}

}  // namespace kv::cmd
