#include "net/connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace kv::net {

namespace asio = boost::asio;

namespace {

// Empties a reply buffer, giving back the memory a large reply needed.
void release_if_large(std::string& buffer) {
  if (buffer.capacity() > Connection::kMaxPendingOutput / 64) {
    std::string().swap(buffer);
  } else {
    buffer.clear();
  }
}

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, cmd::Dispatcher& dispatcher,
                       std::shared_ptr<ConnectionSet> set)
    : socket_(std::move(socket)),
      dispatcher_(dispatcher),
      set_(std::move(set)),
      parser_(dispatcher.server().settings.proto_max_bulk_len.load(std::memory_order_relaxed)) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);  // For flush()'s direct writes.
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec) session_.addr = endpoint_text(remote);
  const auto local = socket_.local_endpoint(ec);
  if (!ec) session_.laddr = endpoint_text(local);
  session_.fd = socket_.native_handle();
  session_.created_ms = cmd::steady_ms();
  session_.last_ms.store(session_.created_ms, std::memory_order_relaxed);
  dispatcher_.server().clients.add(session_);
  set_->insert(this);
  spdlog::debug("client {} connected from {}", session_.id, session_.addr);
}

Connection::~Connection() {
  dispatcher_.release(session_);
  set_->erase(this);
  dispatcher_.server().clients.remove(session_);
  spdlog::debug("client {} disconnected", session_.id);
}

void Connection::start() { read(); }

void Connection::stop() {
  session_.close_after_reply = true;
  if (parked()) return;  // on_logged closes.
  if (!write_in_flight_) close();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

// Makes room for the next read: drops parsed bytes, and grows the buffer once to the full size
// of a large bulk the parser is waiting for.
void Connection::prepare_buffer() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_cap_ > 4 * kReadChunk) {  // Give back the room a large request needed.
      in_.reset();
      in_cap_ = 0;
    }
  }
  const std::size_t unread = in_end_ - in_begin_;
  const std::size_t wanted = std::max(parser_.bytes_wanted(), unread) + kReadChunk;
  if (in_cap_ - in_end_ >= kReadChunk && in_begin_ + wanted <= in_cap_) return;
  if (wanted <= in_cap_) {
    std::memmove(in_.get(), in_.get() + in_begin_, unread);
  } else {
    auto bigger = std::make_unique_for_overwrite<char[]>(wanted);
    if (unread > 0) std::memcpy(bigger.get(), in_.get() + in_begin_, unread);
    in_ = std::move(bigger);
    in_cap_ = wanted;
  }
  in_begin_ = 0;
  in_end_ = unread;
}

void Connection::read() {
  if (reading_ || waiting_log_ || closed_ || session_.close_after_reply) return;
  if (pending_.size() >= kMaxPendingOutput) return;  // Resumed by on_write.
  start_read();
}

void Connection::start_read() {
  prepare_buffer();
  reading_ = true;
  socket_.async_read_some(asio::buffer(in_.get() + in_end_, in_cap_ - in_end_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (ec) {
    read_failed_ = true;
  } else {
    in_end_ += n;
    dispatcher_.server().stats.add(cmd::kStatNetInput, n);
    session_.last_ms.store(cmd::steady_ms(), std::memory_order_relaxed);
  }
  if (parked()) {
    read_parked_ = true;  // on_logged serves it.
    return;
  }
  serve();
}

// Runs the complete commands read so far, then either sends their replies and reads on, or parks
// the connection until the log holds the writes they acknowledge (appendfsync). The log is
// written from a handler posted behind the other connections whose reads completed in the same
// wakeup, so one write() covers them all, as Redis writes its log once per event-loop iteration.
void Connection::serve() {
  if (read_failed_) {
    close();
    return;
  }
  auto& server = dispatcher_.server();
  process();
  const auto limit =
      static_cast<std::size_t>(server.settings.query_buffer_limit.load(std::memory_order_relaxed));
  if (!session_.close_after_reply && in_end_ - in_begin_ > limit) {
    spdlog::warn("closing client {} that reached max query buffer length", session_.id);
    close();
    return;
  }
  if (!dispatcher_.replies_logged(session_)) {
    waiting_log_ = true;
    park_.store(kResume, std::memory_order_relaxed);  // Until write_log() decides.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_log(); });
    return;
  }
  flush();
  read();
}

// A parked connection waits for the log writer's thread, which calls on_durable(). If nothing
// else is queued for the socket, the connection is lent to that thread: it sends the replies
// itself as soon as their fsync ends, with no hop back to this event loop, and hands the
// connection back; meanwhile a read is in flight, and its completion, or stop(), asks for
// on_logged instead (kResume) if the writer has not handed back yet. Otherwise the writer just
// posts on_logged. While parked, this thread touches neither pending_ nor the socket's writes,
// and parked_self_ keeps the connection alive for the writer.
void Connection::write_log() {
  if (dispatcher_.replies_ready(session_)) {
    on_logged();
    return;
  }
  // Only an idle socket is lent: no write in flight, and no read in flight or read unserved
  // (this may be a connection parked again by on_logged, with the read it started when lent).
  const bool lend = !write_in_flight_ && !reading_ && !read_parked_ && !closed_ &&
                    !session_.close_after_reply && pending_.size() <= kMaxLentReply;
  park_.store(lend ? kLent : kResume, std::memory_order_relaxed);
  if (lend) start_read();
  parked_self_ = shared_from_this();
  // Work for the event loop, so a graceful shutdown waits for on_logged.
  parked_work_ = asio::prefer(socket_.get_executor(), asio::execution::outstanding_work.tracked);
  dispatcher_.when_replies_ready(session_, [this, lend] { on_durable(lend); });
}

// On the log writer's thread (or this one, if the log caught up meanwhile).
void Connection::on_durable(bool lent) {
  if (lent && send_parked()) {
    std::uint8_t lent_state = kLent;
    // Handed back: from here on the connection belongs to its event loop again, which learns
    // it at its next read (parked()); this thread must not touch it any more.
    if (park_.compare_exchange_strong(lent_state, kOwned, std::memory_order_acq_rel)) return;
  }
  asio::post(socket_.get_executor(), [this] { on_logged(); });
}

// Writes the parked replies from the log writer's thread; true if the kernel took them all.
bool Connection::send_parked() {
  if (pending_.empty()) return true;
  const ssize_t sent = ::send(socket_.native_handle(), pending_.data(), pending_.size(),
                              MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent <= 0) return false;  // flush() retries, and closes on an error.
  dispatcher_.server().stats.add(cmd::kStatNetOutput, static_cast<std::uint64_t>(sent));
  pending_.erase(0, static_cast<std::size_t>(sent));
  return pending_.empty();
}

// Whether the connection is still parked. If it is lent, asks the writer for on_logged; if the
// writer has handed it back, unparks it.
bool Connection::parked() {
  if (!waiting_log_) return false;
  std::uint8_t state = kLent;
  if (park_.compare_exchange_strong(state, kResume, std::memory_order_acq_rel,
                                    std::memory_order_acquire) ||
      state == kResume) {
    return true;
  }
  unpark();  // Not the last reference: the read in flight holds one.
  return false;
}

void Connection::on_logged() {
  const auto self = parked_self_;  // Alive through serve(): a posted on_logged holds only this.
  unpark();
  serve();
}

void Connection::unpark() {
  waiting_log_ = false;
  read_parked_ = false;
  park_.store(kOwned, std::memory_order_relaxed);
  parked_work_ = {};
  parked_self_.reset();
}

void Connection::process() {
  parser_.set_max_bulk_len(
      dispatcher_.server().settings.proto_max_bulk_len.load(std::memory_order_relaxed));
  while (!session_.close_after_reply) {
    const std::string_view input(in_.get() + in_begin_, in_end_ - in_begin_);
    const proto::ParseResult r = parser_.parse(input);
    if (r.status == proto::ParseStatus::need_more) break;
    if (r.status == proto::ParseStatus::error) {
      // Earlier commands of this read have run and their replies are queued before this one.
      writer_.error(parser_.error());
      session_.close_after_reply = true;
      spdlog::debug("client {}: {}", session_.id, parser_.error());
      break;
    }
    if (!parser_.args().empty()) dispatcher_.dispatch(session_, parser_.args(), writer_);
    in_begin_ += r.consumed;
  }
}

// Replies go out with a direct write on the non-blocking socket, as Redis does: usually the
// kernel takes them all and no Asio operation is needed. Only what does not fit is handed to
// async_write, and later replies wait in pending_ until it completes.
void Connection::flush() {
  if (write_in_flight_ || waiting_log_ || closed_) return;
  if (pending_.empty()) {
    if (session_.close_after_reply) close();
    return;
  }
  dispatcher_.server().stats.add(cmd::kStatNetOutput, pending_.size());
  boost::system::error_code ec;
  const std::size_t sent = socket_.write_some(asio::buffer(pending_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    close();
    return;
  }
  if (sent == pending_.size()) {
    release_if_large(pending_);
    if (session_.close_after_reply) close();
    return;
  }
  writing_.assign(pending_, sent);
  release_if_large(pending_);
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& error,
                                                std::size_t n) { self->on_write(error, n); });
}

void Connection::on_write(const boost::system::error_code& ec, std::size_t) {
  write_in_flight_ = false;
  if (ec) {
    close();
    return;
  }
  release_if_large(writing_);
  flush();
  read();
}

}  // namespace kv::net
