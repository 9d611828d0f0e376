#include "cli/set_args.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "cli/display.hpp"
#include "cli/errors.hpp"

namespace kv::cli {

namespace {

constexpr std::string_view kSetUsage = "set: expected KEY=VALUE... or KEY VALUE";

// Reads `fd` to its end into `out`; returns 0 or the errno of the failure.
int read_all(int fd, std::string& out) {
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// The value a VALUE argument stands for: the bytes of a file, of stdin, or the argument itself.
std::string load_value(const std::string& spec) {
  std::string value;
  if (spec == "-") {
    if (const int err = read_all(STDIN_FILENO, value)) {
      throw InputError("cannot read standard input: " + std::string(std::strerror(err)));
    }
    return value;
  }
  if (!spec.starts_with('@')) return spec;
  const std::string path = spec.substr(1);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const int err = fd < 0 ? errno : read_all(fd, value);
  if (fd >= 0) ::close(fd);
  if (err != 0) throw InputError("cannot read '" + path + "': " + std::strerror(err));
  return value;
}

// Checks the shape of the line before anything is read.
void check_values(const std::vector<std::string>& command) {
  int stdin_values = 0;
  for (std::size_t i = 2; i < command.size(); i += 2) {
    if (command[i] == "-") ++stdin_values;
    if (command[i] == "@") throw UsageError("set: '@' needs a file name, as in @PATH");
  }
  if (stdin_values > 1) throw UsageError("set: '-' (standard input) may be used only once");
}

}  // namespace

std::vector<std::string> set_command(std::span<const std::string> args) {
  if (args.empty()) throw UsageError(std::string(kSetUsage));
  std::vector<std::string> command;
  if (args.size() == 2 && args[0].find('=') == std::string::npos) {
    command = {"SET", args[0], args[1]};
  } else {
    command = {"MSET"};
    for (const std::string& arg : args) {
      const std::size_t eq = arg.find('=');
      if (eq == std::string::npos) {
        throw UsageError(std::string(kSetUsage) + "; '" + escape(arg) + "' has no '='");
      }
      command.push_back(arg.substr(0, eq));
      command.push_back(arg.substr(eq + 1));
    }
  }
  check_values(command);
  for (std::size_t i = 2; i < command.size(); i += 2) command[i] = load_value(command[i]);
  return command;
}

}  // namespace kv::cli
