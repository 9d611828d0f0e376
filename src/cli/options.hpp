// kv's command line: global options, then a subcommand and its arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kv::cli {

/// The options that come before the subcommand.
struct GlobalOptions {
  std::string host = "127.0.0.1";  ///< -h: server host name or address.
  int port = 6380;                 ///< -p: server port.
  bool host_given = false;         ///< Whether -h was on the command line.
  bool port_given = false;         ///< Whether -p was on the command line.
  bool raw = false;                ///< --raw: print bare values.
};

/// What the command line asks kv to do.
struct Invocation {
  /// Print the help, print the version, or run a subcommand.
  enum class Action { run, help, version };
  Action action = Action::run;    ///< What to do.
  GlobalOptions globals;          ///< The global options.
  std::string subcommand;         ///< The subcommand's name, when action is run.
  std::vector<std::string> args;  ///< Everything after the subcommand, unchanged.
};

/// Parses argv; throws UsageError for an unknown option, a bad value or a missing subcommand.
Invocation parse_command_line(int argc, const char* const* argv);

/// The text --help prints.
std::string_view usage_text();

/// kv's version, which is the project's.
std::string_view version();

}  // namespace kv::cli
