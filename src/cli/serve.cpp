#include "cli/serve.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace kv::cli {

namespace {

// kvd in the directory of the running executable, so a build tree or an install uses its own.
std::string kvd_path() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the kv executable's path: " + ec.message());
  return (self.parent_path() / "kvd").string();
}

}  // namespace

void serve(const Invocation& inv) {
  std::vector<std::string> args = {kvd_path()};
  if (inv.globals.port_given) {
    args.insert(args.end(), {"--port", std::to_string(inv.globals.port)});
  }
  if (inv.globals.host_given) args.insert(args.end(), {"--bind", inv.globals.host});
  args.insert(args.end(), inv.args.begin(), inv.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(argv[0], argv.data());
  throw std::runtime_error("cannot run " + args[0] + ": " + std::strerror(errno));
}

}  // namespace kv::cli
