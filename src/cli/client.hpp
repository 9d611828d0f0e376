// A blocking RESP client for the kv CLI: one connection, a deadline on every network operation.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "proto/reply_reader.hpp"

namespace kv::cli {

/// A network failure: cannot connect, lost connection, timeout, or bytes that are not RESP.
/// what() is the whole message for the user, without the "kv: " prefix.
class NetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One connection to a server. Calls block until the reply arrives, the server closes the
/// connection, or `timeout` passes without progress (then NetError).
///
/// Synchronous to its caller, asynchronous inside: each operation is started on a private
/// io_context that is run for at most `timeout`, and an operation still pending then is cancelled
/// by closing the socket (the pattern of Asio's blocking_tcp_client example), because Asio's own
/// synchronous calls cannot time out. Single-threaded; not copyable.
class Client {
 public:
  /// Default limit on any one connect, write or read.
  static constexpr std::chrono::seconds kDefaultTimeout{10};

  /// Does not connect yet.
  explicit Client(std::chrono::steady_clock::duration timeout = kDefaultTimeout);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Resolves `host` and connects to it; throws NetError "cannot connect to HOST:PORT: reason".
  void connect(const std::string& host, int port);
  /// Sends one command and reads its reply; std::nullopt if the server closed the connection
  /// before replying (a successful SHUTDOWN). Throws NetError on any other failure.
  std::optional<proto::Reply> call(std::span<const std::string> args);

 private:
  // Runs the io_context until the pending operation completes (true) or the timeout passes
  // (false; the operation is then cancelled).
  bool run();
  void write_all(const std::string& bytes);
  // Reads one reply; std::nullopt if the server closed the connection first.
  std::optional<proto::Reply> read_reply();
  // Reads more bytes into buf_; false on a clean close by the server.
  bool read_more();

  std::chrono::steady_clock::duration timeout_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string where_;  // "HOST:PORT", for messages.
  std::string buf_;    // Received bytes not yet consumed as replies.
};

}  // namespace kv::cli
