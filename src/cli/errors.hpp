// The kinds of failure kv reports, each with its exit status; main() is the only catcher.
#pragma once

#include <stdexcept>

namespace kv::cli {

/// Bad command line: main prints "kv: <what>" and a hint to run --help, and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Input that cannot be read (a value file, stdin): main prints "kv: <what>" and exits 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The server answered with an error reply: main prints "(error) <what>" and exits 1.
class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kv::cli
