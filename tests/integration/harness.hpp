// Test harness: start the real kvd (or redis-server) on a free loopback port, talk to it, stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "proto/reply_reader.hpp"

namespace kv::test {

/// The build directory holding kvd and kv.
std::string binary_dir();
/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
/// Whether something accepts connections on 127.0.0.1:`port`.
bool port_open(int port);

/// A server process this test started; killed (by pid) when the object dies.
class ServerProcess {
 public:
  /// Starts `argv` (argv[0] a path) and waits up to 10 s until `port` accepts connections.
  ServerProcess(std::vector<std::string> argv, int port);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// The port it listens on.
  int port() const { return port_; }
  /// Its process id.
  pid_t pid() const { return pid_; }
  /// Sends SIGTERM and waits (up to 10 s, then SIGKILL); returns the exit status, or -1 if it
  /// did not exit normally. Idempotent.
  int stop();
  /// Waits up to `timeout` for the process to exit by itself; returns its status or -1.
  int wait_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int port_;
  int status_ = -1;
};

/// kvd from this build on a free port, with extra options; by default the constructor returns
/// once kvd has loaded its data and serves commands (`wait_ready` false: once it listens).
class Kvd : public ServerProcess {
 public:
  explicit Kvd(std::vector<std::string> extra = {}, bool wait_ready = true)
      : Kvd(free_port(), std::move(extra), wait_ready) {}
  Kvd(int port, std::vector<std::string> extra, bool wait_ready = true);

 private:
  static void wait_until_served(int port);
};

/// Debian's redis-server on a free port, with no persistence, and extra options.
class RedisServer : public ServerProcess {
 public:
  explicit RedisServer(std::vector<std::string> extra = {})
      : RedisServer(free_port(), std::move(extra)) {}
  RedisServer(int port, std::vector<std::string> extra);
};

/// Output of a finished command.
struct CommandResult {
  int exit_code = -1;  ///< Exit status, or -1 if it was killed or timed out.
  std::string out;     ///< Standard output.
  std::string err;     ///< Standard error.
};

/// Runs `argv` (argv[0] looked up in PATH unless it has a '/'), feeding `input` on stdin; kills it
/// after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, std::string_view input = {},
                          std::chrono::seconds timeout = std::chrono::seconds(120));

/// A blocking RESP connection that sends raw bytes and reads raw or parsed replies.
class RawClient {
 public:
  /// Connects to 127.0.0.1:`port` (throws on failure); reads time out after 10 s.
  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Sends `bytes` as they are.
  void send(std::string_view bytes);
  /// Sends a command encoded as a multibulk request.
  void send_command(const std::vector<std::string>& args);
  /// Reads one whole reply and returns its exact bytes ("" if the server closed first).
  std::string read_raw();
  /// Reads one whole reply, parsed.
  proto::Reply read();
  /// Sends a command and returns the exact bytes of its reply.
  std::string call_raw(const std::vector<std::string>& args);
  /// Sends a command and returns its parsed reply.
  proto::Reply call(const std::vector<std::string>& args);
  /// Reads until the server closes the connection; returns everything after what was consumed.
  std::string read_until_close();

 private:
  bool fill();
  int fd_ = -1;
  std::string buf_;
};

}  // namespace kv::test
