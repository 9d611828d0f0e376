#include "cli/commands.hpp"

#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.hpp"
#include "cli/display.hpp"
#include "cli/errors.hpp"
#include "cli/serve.hpp"
#include "cli/set_args.hpp"

namespace kv::cli {

namespace {

using proto::Reply;

// Writes bytes to stdout as they are; main() checks for write errors at exit.
void print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// A connection to the server named by the global options.
class Session {
 public:
  explicit Session(const GlobalOptions& g) : where_(g.host + ":" + std::to_string(g.port)) {
    client_.connect(g.host, g.port);
  }

  // "HOST:PORT" as given on the command line.
  const std::string& where() const { return where_; }

  // Sends `args`; std::nullopt if the server closed the connection without replying.
  std::optional<Reply> call(const std::vector<std::string>& args) { return client_.call(args); }

  // Sends `args` and returns the reply, which is not an error reply (that throws ServerError).
  Reply request(const std::vector<std::string>& args) {
    std::optional<Reply> reply = client_.call(args);
    if (!reply) throw NetError(where_ + " closed the connection without replying");
    if (reply->type == Reply::Type::error) throw ServerError(reply->str);
    return std::move(*reply);
  }

  // Throws for a reply of a shape `command` never gets from a Redis-compatible server.
  [[noreturn]] void unexpected(std::string_view command) const {
    throw NetError("unexpected reply to " + std::string(command) + " from " + where_);
  }

 private:
  Client client_;
  std::string where_;
};

// One value as `kv get` shows it.
std::string value_text(Session& s, const Reply& value, bool raw) {
  if (value.type == Reply::Type::null) return raw ? "" : "(nil)";
  if (value.type != Reply::Type::bulk) s.unexpected("GET");
  return raw ? value.str : escape(value.str);
}

int set_cmd(const Invocation& inv) {
  // Built (and files and stdin read) before connecting: bad input never reaches the server.
  const std::vector<std::string> command = set_command(inv.args);
  Session s(inv.globals);
  const Reply reply = s.request(command);
  if (reply.type != Reply::Type::simple) s.unexpected(command[0]);
  print(reply.str + "\n");
  return 0;
}

int get_cmd(const Invocation& inv) {
  Session s(inv.globals);
  std::vector<std::string> command = {inv.args.size() == 1 ? "GET" : "MGET"};
  command.insert(command.end(), inv.args.begin(), inv.args.end());
  const Reply reply = s.request(command);
  std::vector<const Reply*> values;
  if (inv.args.size() == 1) {
    values.push_back(&reply);
  } else {
    if (reply.type != Reply::Type::array || reply.elements.size() != inv.args.size()) {
      s.unexpected("MGET");
    }
    for (const Reply& r : reply.elements) values.push_back(&r);
  }
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!inv.globals.raw) out.append(escape(inv.args[i])).append(": ");
    out.append(value_text(s, *values[i], inv.globals.raw)).append("\n");
  }
  print(out);
  return 0;
}

int del_cmd(const Invocation& inv) {
  Session s(inv.globals);
  std::vector<std::string> command = {"DEL"};
  command.insert(command.end(), inv.args.begin(), inv.args.end());
  const Reply reply = s.request(command);
  if (reply.type != Reply::Type::integer) s.unexpected("DEL");
  const std::size_t asked = inv.args.size();
  print("deleted " + std::to_string(reply.integer) + " of " + std::to_string(asked) +
        (asked == 1 ? " key\n" : " keys\n"));
  return 0;
}

int metrics_cmd(const Invocation& inv) {
  Session s(inv.globals);
  const Reply reply = s.request({"INFO"});
  if (reply.type != Reply::Type::bulk && reply.type != Reply::Type::verbatim) s.unexpected("INFO");
  print(format_metrics(reply.str));
  return 0;
}

int ping_cmd(const Invocation& inv) {
  Session s(inv.globals);
  const Reply reply = s.request({"PING"});
  if (reply.type != Reply::Type::simple && reply.type != Reply::Type::bulk) s.unexpected("PING");
  print(reply.str + "\n");
  return 0;
}

// A successful SHUTDOWN has no reply: the server just closes the connection.
int shutdown_cmd(const Invocation& inv) {
  Session s(inv.globals);
  const std::optional<Reply> reply = s.call({"SHUTDOWN"});
  if (!reply) {
    print("kvd at " + s.where() + " shut down\n");
    return 0;
  }
  if (reply->type == Reply::Type::error) throw ServerError(reply->str);
  s.unexpected("SHUTDOWN");
}

int serve_cmd(const Invocation& inv) { serve(inv); }

constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();

struct Subcommand {
  std::string_view name;
  std::size_t min_args;  // set checks its own arguments, which have more shapes than a count.
  std::size_t max_args;
  int (*run)(const Invocation&);
};

constexpr Subcommand kSubcommands[] = {
    {"set", 0, kAny, set_cmd},      {"get", 1, kAny, get_cmd}, {"del", 1, kAny, del_cmd},
    {"metrics", 0, 0, metrics_cmd}, {"ping", 0, 0, ping_cmd},  {"shutdown", 0, 0, shutdown_cmd},
    {"serve", 0, kAny, serve_cmd},
};

}  // namespace

int run_subcommand(const Invocation& inv) {
  for (const Subcommand& sub : kSubcommands) {
    if (sub.name != inv.subcommand) continue;
    if (inv.args.size() < sub.min_args) {
      throw UsageError(std::string(sub.name) + ": expected at least one KEY");
    }
    if (inv.args.size() > sub.max_args) {
      throw UsageError(std::string(sub.name) + ": takes no arguments");
    }
    return sub.run(inv);
  }
  throw UsageError("unknown command '" + escape(inv.subcommand) + "'");
}

}  // namespace kv::cli
