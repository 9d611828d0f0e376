// Connection commands: PING, ECHO, SELECT, HELLO, QUIT, RESET, CLIENT.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "cmd/args.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "proto/request_parser.hpp"

namespace kv::cmd {
namespace {

/// The Redis version kvd is compatible with, as HELLO and INFO report it.
constexpr std::string_view kRedisVersion = "7.0.15";

void ping_cmd(Call& c) {
  if (c.args.size() > 2) {
    c.out.error(wrong_args_error(c.spec.name));
  } else if (c.args.size() == 2) {
    c.out.bulk(c.args[1]);
  } else {
    c.out.simple("PONG");
  }
}

void echo_cmd(Call& c) { c.out.bulk(c.args[1]); }

void select_cmd(Call& c) {
  const auto db = db_arg_or_reply(c, c.args[1]);
  if (!db) return;
  c.server.clients.update([&] { c.session.db = *db; });
  c.out.ok();
}

// Redis allows printable ASCII without spaces in client names and library names.
bool valid_name(std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

void hello_reply(Call& c) {
  c.out.map(7);
  c.out.bulk("server");
  c.out.bulk("redis");
  c.out.bulk("version");
  c.out.bulk(kRedisVersion);
  c.out.bulk("proto");
  c.out.integer(c.out.resp());
  c.out.bulk("id");
  c.out.integer(static_cast<std::int64_t>(c.session.id));
  c.out.bulk("mode");
  c.out.bulk("standalone");
  c.out.bulk("role");
  c.out.bulk("master");
  c.out.bulk("modules");
  c.out.array(0);
}

void hello_cmd(Call& c) {
  std::int64_t version = c.out.resp();
  std::size_t i = 1;
  if (c.args.size() >= 2) {
    if (!proto::parse_int64(c.args[i++], version)) {
      c.out.error(kErrProtoVersion);
      return;
    }
    if (version < 2 || version > 3) {
      c.out.error(kErrNoProto);
      return;
    }
  }
  // Options are checked in order while parsing, as Redis does: the first bad one answers.
  bool has_auth = false;
  std::string_view user;
  std::string_view name;
  bool has_name = false;
  for (; i < c.args.size(); ++i) {
    const std::size_t more = c.args.size() - 1 - i;
    if (NameEq{}(c.args[i], "auth") && more >= 2) {
      has_auth = true;
      user = c.args[i + 1];
      i += 2;
    } else if (NameEq{}(c.args[i], "setname") && more >= 1) {
      name = c.args[++i];
      has_name = true;
      if (!valid_name(name)) {
        c.out.error(kErrClientName);
        return;
      }
    } else {
      c.out.error(
          sanitize_error("ERR Syntax error in HELLO option '" + std::string(c.args[i]) + "'"));
      return;
    }
  }
  // Only the default user exists, and it has no password (any password is accepted), as in a
  // fresh Redis.
  if (has_auth && user != "default") {
    c.out.error(kErrWrongPass);
    return;
  }
  c.server.clients.update([&] {
    if (has_name) c.session.name = name;
    c.session.resp = static_cast<int>(version);
  });
  c.out.set_resp(static_cast<int>(version));
  hello_reply(c);
}

void quit_cmd(Call& c) {
  c.out.ok();
  c.session.close_after_reply = true;
}

void reset_cmd(Call& c) {
  Dispatcher(c.server).release(c.session);  // Discards MULTI and every WATCH.
  c.server.clients.update([&] {
    c.session.name.clear();
    c.session.db = 0;
    c.session.resp = 2;
  });
  c.out.set_resp(2);
  c.out.simple("RESET");
}

std::string client_line(const Session& s, std::int64_t now_ms) {
  const CommandSpec* last = s.last_cmd.load(std::memory_order_relaxed);
  std::string line =
      "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr +
      " fd=" + std::to_string(s.fd) + " name=" + s.name +
      " age=" + std::to_string((now_ms - s.created_ms) / 1000) +
      " idle=" + std::to_string((now_ms - s.last_ms.load(std::memory_order_relaxed)) / 1000) +
      " flags=N db=" + std::to_string(s.db) +
      " sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0"
      " rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=" +
      (last == nullptr ? std::string("NULL") : std::string(last->name)) +
      " user=default redir=-1 resp=" + std::to_string(s.resp) + " lib-name=" + s.lib_name +
      " lib-ver=" + s.lib_ver + "\n";
  return line;
}

void client_id(Call& c) { c.out.integer(static_cast<std::int64_t>(c.session.id)); }

void client_getname(Call& c) {
  if (c.session.name.empty()) {
    c.out.null();
  } else {
    c.out.bulk(c.session.name);
  }
}

void client_setname(Call& c) {
  if (!valid_name(c.args[2])) {
    c.out.error(kErrClientName);
    return;
  }
  c.server.clients.update([&] { c.session.name = c.args[2]; });
  c.out.ok();
}

void client_setinfo(Call& c) {
  const std::string_view attr = c.args[2];
  const bool lib_name = NameEq{}(attr, "lib-name");
  if (!lib_name && !NameEq{}(attr, "lib-ver")) {
    c.out.error(sanitize_error("ERR Unrecognized option '" + std::string(attr) + "'"));
    return;
  }
  if (!valid_name(c.args[3])) {
    c.out.error(sanitize_error("ERR " + std::string(attr) +
                               " cannot contain spaces, newlines or special characters."));
    return;
  }
  c.server.clients.update([&] { (lib_name ? c.session.lib_name : c.session.lib_ver) = c.args[3]; });
  c.out.ok();
}

void client_info(Call& c) {
  std::string line;
  c.server.clients.for_each([&](const Session& s) {
    if (&s == &c.session) line = client_line(s, steady_ms());
  });
  c.out.verbatim("txt", line);
}

// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]
void client_list(Call& c) {
  bool normal = true;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (NameEq{}(c.args[i], "type") && i + 1 < c.args.size()) {
      const std::string_view type = c.args[++i];
      if (NameEq{}(type, "normal")) {
        normal = true;
      } else if (NameEq{}(type, "master") || NameEq{}(type, "replica") || NameEq{}(type, "slave") ||
                 NameEq{}(type, "pubsub")) {
        normal = false;
      } else {
        c.out.error(sanitize_error("ERR Unknown client type '" + std::string(type) + "'"));
        return;
      }
    } else if (NameEq{}(c.args[i], "id") && i + 1 < c.args.size()) {
      for (++i; i < c.args.size(); ++i) {
        std::int64_t id = 0;
        if (!proto::parse_int64(c.args[i], id)) {
          c.out.error("ERR Invalid client ID");
          return;
        }
        ids.push_back(id);
      }
    } else {
      c.out.error(kErrSyntax);
      return;
    }
  }
  std::string text;
  const std::int64_t now = steady_ms();
  c.server.clients.for_each([&](const Session& s) {
    if (!normal) return;
    if (!ids.empty() &&
        std::find(ids.begin(), ids.end(), static_cast<std::int64_t>(s.id)) == ids.end()) {
      return;
    }
    text += client_line(s, now);
  });
  c.out.verbatim("txt", text);
}

const CommandSpec kClientSubcommands[] = {
    {"client|id", 2, kNoScript | kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0,
     client_id, "connection", "Returns the unique client ID of the connection."},
    {"client|getname", 2, kNoScript | kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0,
     client_getname, "connection", "Returns the name of the connection."},
    {"client|setname", 3, kNoScript | kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0,
     client_setname, "connection", "Sets the connection name."},
    {"client|setinfo", 4, kNoScript | kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0,
     client_setinfo, "connection", "Sets information specific to the client or connection."},
    {"client|info", 2, kNoScript | kLoading | kStale | kNoStore, "@slow @connection", 0, 0, 0,
     client_info, "connection", "Returns information about the connection."},
    {"client|list", -2, kAdmin | kNoScript | kLoading | kStale | kNoStore,
     "@admin @slow @dangerous @connection", 0, 0, 0, client_list, "connection",
     "Lists open connections."},
};

const CommandSpec kCommands[] = {
    {"ping", -1, kFast | kNoStore, "@fast @connection", 0, 0, 0, ping_cmd, "connection",
     "Returns the server's liveliness response."},
    {"echo", 2, kLoading | kStale | kFast | kNoStore, "@fast @connection", 0, 0, 0, echo_cmd,
     "connection", "Returns the given string."},
    {"select", 2, kLoading | kStale | kFast | kNoStore, "@fast @connection", 0, 0, 0, select_cmd,
     "connection", "Changes the selected database."},
    {"hello", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoStore,
     "@fast @connection", 0, 0, 0, hello_cmd, "connection", "Handshakes with the Redis server."},
    {"quit", -1,
     kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoStore | kTxnControl,
     "@fast @connection", 0, 0, 0, quit_cmd, "connection", "Closes the connection."},
    {"reset", 1,
     kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoStore | kTxnControl,
     "@fast @connection", 0, 0, 0, reset_cmd, "connection", "Resets the connection."},
    {"client", -2, kNoStore, "@slow", 0, 0, 0, nullptr, "connection",
     "A container for client connection commands.", kClientSubcommands},
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kCommands; }

}  // namespace kv::cmd
