// The listening side: binds, accepts, hands connections round-robin to the pool, shuts down.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cmd/dispatcher.hpp"
#include "net/connection.hpp"
#include "net/io_context_pool.hpp"

namespace kv::net {

/// Accepts on context 0 of the pool; each accepted socket is created on the next context and its
/// Connection is started there. shutdown() may be called from any thread.
class Server {
 public:
  /// Binds `address`:`port` (throws boost::system::system_error on failure). The pool and the
  /// dispatcher outlive the server.
  Server(IoContextPool& pool, cmd::Dispatcher& dispatcher, const std::string& address,
         unsigned short port);
  /// Waits for the shutdown watchdog, if one was started.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Starts accepting.
  void start();
  /// Graceful stop: no new connections; every connection finishes the commands it has read,
  /// writes their replies and closes; then the pool's threads return. Idempotent.
  void shutdown();
  /// The bound port (useful with port 0).
  unsigned short port() const;

 private:
  void accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void stop_connections(std::size_t index);

  IoContextPool& pool_;
  cmd::Dispatcher& dispatcher_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // One per context. Shared with its connections: a connection whose handler is still queued
  // when the server is destroyed (a shutdown the watchdog cut short) is destroyed with its
  // io_context, later, and still erases itself from the set.
  std::vector<std::shared_ptr<ConnectionSet>> connections_;
  std::atomic<bool> stopping_{false};
  // Stops the pool if connections have not drained kShutdownGrace after shutdown().
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool finished_ = false;
};

}  // namespace kv::net
