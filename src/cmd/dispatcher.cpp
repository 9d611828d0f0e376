#include "cmd/dispatcher.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "persist/persistence.hpp"

namespace kv::cmd {

namespace {

// ASCII only, inline: command names are ASCII, and libc's tolower is a locale-aware call per byte.
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool arity_ok(const CommandSpec& spec, std::size_t argc) {
  const auto n = static_cast<std::int64_t>(argc);
  return spec.arity >= 0 ? n == spec.arity : n >= -spec.arity;
}

// Like "%.*s" in C: text stops at the first NUL and at `max` bytes.
std::string_view c_string_prefix(std::string_view s, std::size_t max) {
  s = s.substr(0, max);
  if (const void* nul = std::memchr(s.data(), '\0', s.size())) {
    s = s.substr(0, static_cast<std::size_t>(static_cast<const char*>(nul) - s.data()));
  }
  return s;
}

std::string unknown_command_error(std::span<const std::string_view> args) {
  std::string list;
  for (std::size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    const std::size_t room = 128 - list.size();
    list += '\'';
    list += c_string_prefix(args[i], room);
    list += "' ";
  }
  std::string text = "ERR unknown command '";
  text += c_string_prefix(args[0], 128);
  text += "', with args beginning with: ";
  text += list;
  return sanitize_error(std::move(text));
}

std::string unknown_subcommand_error(std::string_view container, std::string_view sub) {
  std::string upper(container);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  std::string text = "ERR unknown subcommand '";
  text += c_string_prefix(sub, 128);
  text += "'. Try " + upper + " HELP.";
  return sanitize_error(std::move(text));
}

// CONTAINER HELP, answered the same way for every container from its subcommand rows.
void container_help(const CommandSpec& spec, proto::ReplyWriter& out) {
  std::string upper(spec.name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out.array(spec.subcommands.size() + 1);
  out.simple(upper + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const CommandSpec& sub : spec.subcommands) {
    std::string line(sub.name.substr(sub.name.find('|') + 1));
    for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.simple(line + ": " + std::string(sub.summary));
  }
}

}  // namespace

std::size_t NameHash::operator()(std::string_view s) const {
  std::size_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(lower(c))) * 1099511628211ULL;
  return h;
}

bool NameEq::operator()(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string wrong_args_error(std::string_view name) {
  return "ERR wrong number of arguments for '" + std::string(name) + "' command";
}

std::string sanitize_error(std::string text) {
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

const CommandTable& CommandTable::get() {
  static const CommandTable table;
  return table;
}

CommandTable::CommandTable() {
  for (auto family : {string_commands(), string_ops_commands(), expire_commands(),
                      keyspace_commands(), connection_commands(), server_commands(),
                      transaction_commands(), introspection_commands(), persistence_commands()}) {
    for (const CommandSpec& spec : family) {
      all_.push_back(&spec);
      by_name_.emplace(spec.name, &spec);
    }
  }
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::find_sub(const CommandSpec& spec, std::string_view sub) {
  for (const CommandSpec& s : spec.subcommands) {
    if (NameEq{}(s.name.substr(s.name.find('|') + 1), sub)) return &s;
  }
  return nullptr;
}

const CommandSpec* CommandTable::resolve(std::span<const std::string_view> args, std::string& error,
                                         const CommandSpec*& help_for) const {
  const CommandSpec* spec = find(args[0]);
  if (spec == nullptr) {
    error = unknown_command_error(args);
    return nullptr;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = find_sub(*spec, args[1]);
    if (sub == nullptr) {
      if (NameEq{}(args[1], "help")) {
        // HELP behaves as a subcommand of every container, arity 2.
        if (args.size() == 2) {
          help_for = spec;
        } else {
          error = wrong_args_error(std::string(spec->name) + "|help");
        }
        return spec;
      }
      error = unknown_subcommand_error(args[0], args[1]);
      return nullptr;
    }
    spec = sub;
  }
  if (!arity_ok(*spec, args.size()) || spec->fn == nullptr) error = wrong_args_error(spec->name);
  return spec;
}

void Dispatcher::dispatch(Session& session, std::span<const std::string_view> args,
                          proto::ReplyWriter& out) {
  std::string error;
  const CommandSpec* help_for = nullptr;
  const CommandSpec* spec = CommandTable::get().resolve(args, error, help_for);
  if (session.txn.active && (spec == nullptr || (spec->flags & kTxnControl) == 0)) {
    queue(session, args, spec, error, out);
    return;
  }
  if (!error.empty()) {
    out.error(error);
    return;
  }
  if (help_for != nullptr) {
    container_help(*help_for, out);
    return;
  }
  if (server_.persistence != nullptr && !session.loader && !persistence_allows(*spec, out)) return;
  session.last_cmd.store(spec, std::memory_order_relaxed);
  Call call{server_, session, args, out, *spec};
  const std::uint64_t lsn_before = persist::AofWriter::thread_lsn();
  if ((spec->flags & kWrite) != 0) {
    CommandLog log(server_.persistence, args);
    call.log = &log;
    spec->fn(call);
  } else {
    spec->fn(call);  // EXEC logs its transaction itself.
  }
  if (server_.persistence != nullptr) {
    const persist::AofWriter& w = server_.persistence->writer();
    if (const std::uint64_t lsn = persist::AofWriter::thread_lsn(); lsn != lsn_before) {
      session.log_lsn = lsn;
    }
    // Every write this reply could show was appended by now (a change is appended before it
    // becomes visible).
    session.reply_lsn = w.appended();
  }
  server_.stats.add(kStatCommands);  // After the call, so INFO does not count itself.
}

// While loading, only commands flagged "loading" run; after a failed write to disk, commands that
// write (and PING, as in Redis) get MISCONF until the disk works again.
bool Dispatcher::persistence_allows(const CommandSpec& spec, proto::ReplyWriter& out) {
  const persist::Persistence& p = *server_.persistence;
  if (p.loading() && (spec.flags & kLoading) == 0) {
    out.error("LOADING Redis is loading the dataset in memory");
    return false;
  }
  if ((spec.flags & kWrite) != 0 || spec.name == "ping") {
    if (const std::string refusal = p.write_refusal(); !refusal.empty()) {
      out.error(refusal);
      return false;
    }
  }
  return true;
}

// A session's replies wait for every write appended by the end of its last command, on any
// thread: they could show any of them, and Redis too sends no reply before its event-loop
// iteration's writes are in the log. While the log fails, only for the client's own writes, so
// reads go on (as in Redis, which then even acknowledges writes that are not in the log). The
// target is fixed when the command ends, so later writes of other clients never hold it back.
bool Dispatcher::replies_logged(const Session& session) const {
  const persist::Persistence* p = server_.persistence;
  return p == nullptr || p->writer().ready(session.reply_lsn, session.log_lsn);
}

bool Dispatcher::replies_ready(const Session& session) {
  persist::Persistence* p = server_.persistence;
  if (p == nullptr) return true;
  persist::AofWriter& w = p->writer();
  if (w.ready(session.reply_lsn, session.log_lsn)) return true;
  w.try_write(session.reply_lsn);  // A write that fails lets ready() fall back to log_lsn.
  return w.ready(session.reply_lsn, session.log_lsn);
}

void Dispatcher::when_replies_ready(const Session& session, std::function<void()> resume) {
  persist::Persistence* p = server_.persistence;
  if (p == nullptr) {
    resume();
    return;
  }
  p->writer().when_ready(session.reply_lsn, session.log_lsn, std::move(resume));
}

// Inside MULTI: a command that cannot run is refused now and dooms the transaction (EXECABORT);
// any other is copied and queued for EXEC.
void Dispatcher::queue(Session& session, std::span<const std::string_view> args,
                       const CommandSpec* spec, const std::string& error, proto::ReplyWriter& out) {
  if (error.empty() && spec != nullptr && (spec->flags & kNoMulti) != 0) {
    out.error("ERR Command not allowed inside a transaction");
    session.txn.failed = true;
    return;
  }
  if (!error.empty()) {
    out.error(error);
    session.txn.failed = true;
    return;
  }
  if (server_.persistence != nullptr && !session.loader && !persistence_allows(*spec, out)) {
    session.txn.failed = true;
    return;
  }
  session.txn.queued.emplace_back(args.begin(), args.end());
  out.simple("QUEUED");
}

void Dispatcher::release(Session& session) {
  unwatch_all(session);
  session.txn.active = false;
  session.txn.failed = false;
  session.txn.queued.clear();
}

void unwatch_all(Session& session) {
  for (const auto& w : session.txn.watched) w.store->unwatch(w.key, &session.txn.flag);
  session.txn.watched.clear();
  session.txn.flag.dirty.store(false, std::memory_order_relaxed);
}

}  // namespace kv::cmd
