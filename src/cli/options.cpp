#include "cli/options.hpp"

#include <charconv>

#include "cli/errors.hpp"

namespace kv::cli {

namespace {

// Kept in step with the subcommand table in commands.cpp and with cli_test's HelpListsEverything.
constexpr std::string_view kUsage = R"(Usage: kv [OPTIONS] COMMAND [ARGS...]
Command-line client for kvd, the in-memory key-value server speaking the Redis protocol.

Options (before COMMAND):
  -h HOST    server host name or address (default 127.0.0.1)
  -p PORT    server port (default 6380)
  --raw      get: print bare values, one per line, an empty line for a missing key
  --help     print this help and exit
  --version  print the version and exit

Commands:
  set KEY=VALUE...  set every pair with one MSET (all or nothing); prints OK
  set KEY VALUE     set one key with SET (KEY without '='); prints OK
                    A key ends at its first '=', so '=VALUE' sets the empty key.
                    VALUE '@PATH' is read from file PATH and '-' from standard input (at most
                    once); both are binary-safe. To set a value starting with '@', use '-'.
  get KEY...        print 'KEY: VALUE' for each key, 'KEY: (nil)' for a missing one (GET or
                    MGET). In keys and values, bytes other than printable ASCII are escaped
                    as by redis-cli: \n \r \t \a \b \" \\ \xHH; an empty string prints as "".
  del KEY...        delete keys with one DEL; prints 'deleted N of M keys' ('key' if M is 1)
  metrics           print key and operation counts and server statistics (from INFO)
  ping              print PONG if the server answers
  shutdown          stop the server (SHUTDOWN); prints 'kvd at HOST:PORT shut down'
  serve [ARGS...]   run the kvd next to this kv in kv's place, with '--port PORT' if -p is
                    given and '--bind HOST' if -h is given, then ARGS unchanged
                    ('kv serve --help' lists them; with --daemonize it returns once kvd listens)

Exit status: 0 on success (get of a missing key included); 1 on an error reply, printed as
'(error) MESSAGE', or a network failure; 2 on bad usage or an unreadable value, with nothing
sent. Connecting, sending and each wait for a reply time out after 10 s.
)";

// Parses a TCP port: digits only, 1..65535.
int parse_port(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    throw UsageError("invalid port '" + std::string(text) + "' (expected 1..65535)");
  }
  return port;
}

}  // namespace

Invocation parse_command_line(int argc, const char* const* argv) {
  Invocation inv;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "--help") {
      inv.action = Invocation::Action::help;
      return inv;
    }
    if (arg == "--version") {
      inv.action = Invocation::Action::version;
      return inv;
    }
    if (arg == "--raw") {
      inv.globals.raw = true;
    } else if (arg == "-h" || arg == "-p") {
      if (i + 1 == argc) {
        throw UsageError(arg == "-h" ? "option -h needs a HOST (for help, use --help)"
                                     : "option -p needs a PORT");
      }
      const std::string_view value = argv[++i];
      if (arg == "-h") {
        inv.globals.host = value;
        inv.globals.host_given = true;
      } else {
        inv.globals.port = parse_port(value);
        inv.globals.port_given = true;
      }
    } else {
      throw UsageError("unknown option '" + std::string(arg) + "'");
    }
  }
  if (i == argc) throw UsageError("no command given");
  inv.subcommand = argv[i];
  inv.args.assign(argv + i + 1, argv + argc);
  return inv;
}

std::string_view usage_text() { return kUsage; }

std::string_view version() { return KV_VERSION; }

}  // namespace kv::cli
