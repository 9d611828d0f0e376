// kv: a command-line client for kvd. Every failure ends here as a message and an exit status:
// 0 success, 1 error reply or network failure, 2 bad usage or unreadable input.
#include <cstdio>
#include <exception>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/errors.hpp"
#include "cli/options.hpp"

namespace {

void print_error(std::string_view prefix, std::string_view message, std::string_view suffix = {}) {
  std::fflush(stdout);
  std::fprintf(stderr, "%.*s%.*s%.*s\n", static_cast<int>(prefix.size()), prefix.data(),
               static_cast<int>(message.size()), message.data(), static_cast<int>(suffix.size()),
               suffix.data());
}

int run(int argc, char** argv) {
  const kv::cli::Invocation inv = kv::cli::parse_command_line(argc, argv);
  switch (inv.action) {
    case kv::cli::Invocation::Action::help:
      std::fwrite(kv::cli::usage_text().data(), 1, kv::cli::usage_text().size(), stdout);
      return 0;
    case kv::cli::Invocation::Action::version:
      std::printf("kv %.*s\n", static_cast<int>(kv::cli::version().size()),
                  kv::cli::version().data());
      return 0;
    case kv::cli::Invocation::Action::run:
      break;
  }
  return kv::cli::run_subcommand(inv);
}

}  // namespace

int main(int argc, char** argv) {
  int status = 1;
  try {
    status = run(argc, argv);
  } catch (const kv::cli::UsageError& e) {
    print_error("kv: ", e.what(), "\nTry 'kv --help'.");
    return 2;
  } catch (const kv::cli::InputError& e) {
    print_error("kv: ", e.what());
    return 2;
  } catch (const kv::cli::ServerError& e) {
    print_error("(error) ", e.what());
    return 1;
  } catch (const std::exception& e) {
    print_error("kv: ", e.what());
    return 1;
  } catch (...) {
    print_error("kv: ", "unexpected failure");
    return 1;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "kv: cannot write to standard output\n");
    return 1;
  }
  return status;
}
