// One client connection: read, parse every complete command, execute, write all replies at once.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "cmd/dispatcher.hpp"
#include "proto/reply_writer.hpp"
#include "proto/request_parser.hpp"

namespace kv::net {

class Connection;
/// The live connections of one io_context; touched only by that context's thread.
using ConnectionSet = std::unordered_set<Connection*>;

/// A client connection. It lives on one io_context, and so on one thread, for its whole life: its
/// handlers never run concurrently, so it has no strand and no mutex. The one exception: while
/// its replies wait for the log, it may be lent to the log writer's thread, which sends them and
/// hands it back through an atomic (write_log()).
///
/// Each read appends to a growable input buffer; every complete command in it is parsed and
/// executed, and all the replies of that read go out in one direct write on the non-blocking
/// socket. What the kernel does not take goes to an async_write; reading continues meanwhile
/// (replies then collect in a second buffer), so a client that pipelines without reading cannot
/// deadlock the connection, up to kMaxPendingOutput.
/// Lifetime: owned by the shared_ptrs held in its pending handlers; it registers itself in its
/// context's ConnectionSet, which it shares, so the set outlives every connection in it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// First read size, and the free space kept before each read.
  static constexpr std::size_t kReadChunk = 16 * 1024;
  /// Reading pauses while this many reply bytes wait to be written.
  static constexpr std::size_t kMaxPendingOutput = 64 * 1024 * 1024;
  /// Replies up to this size that wait for the log are sent by the log writer's thread.
  static constexpr std::size_t kMaxLentReply = 16 * 1024;

  /// Takes `socket` (already on its io_context); `dispatcher` outlives the connection, and `set`
  /// (its context's) is shared with it.
  Connection(boost::asio::ip::tcp::socket socket, cmd::Dispatcher& dispatcher,
             std::shared_ptr<ConnectionSet> set);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts reading. Call on the connection's thread.
  void start();
  /// Stops reading and closes once pending replies are written. Call on the connection's thread.
  void stop();

 private:
  void read();
  void start_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void serve();
  bool parked();
  void unpark();
  void process();
  void flush();
  void write_log();
  void on_durable(bool lent);
  bool send_parked();
  void on_logged();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void prepare_buffer();
  void close();

  boost::asio::ip::tcp::socket socket_;
  cmd::Dispatcher& dispatcher_;
  const std::shared_ptr<ConnectionSet> set_;
  cmd::Session session_;
  proto::RequestParser parser_;
  std::string pending_;  // Replies not yet handed to a write.
  std::string writing_;  // Replies of the write in flight.
  proto::ReplyWriter writer_{pending_};
  std::unique_ptr<char[]> in_;
  std::size_t in_cap_ = 0;
  std::size_t in_begin_ = 0;  // First unparsed byte (the start of the current command).
  std::size_t in_end_ = 0;    // End of the bytes read.
  bool reading_ = false;
  bool write_in_flight_ = false;
  bool waiting_log_ = false;  // Replies wait for the log (Dispatcher::replies_ready).
  bool closed_ = false;
  bool read_failed_ = false;  // The last read failed; serve() closes once unparked.
  bool read_parked_ = false;  // A read completed while parked; on_logged serves it.
  // While waiting_log_: who owns the replies (see write_log()). kOwned: this thread; kLent: the
  // log writer's thread, which sends them; kResume: the writer's, which posts on_logged.
  enum : std::uint8_t { kOwned, kLent, kResume };
  std::atomic<std::uint8_t> park_{kOwned};
  std::shared_ptr<Connection> parked_self_;   // Set while parked; reset only on this thread.
  boost::asio::any_io_executor parked_work_;  // Tracks work while parked.
};

}  // namespace kv::net
