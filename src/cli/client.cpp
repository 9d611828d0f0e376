#include "cli/client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>

namespace kv::cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// Reads start at this size and grow with the buffer, so a large reply is parsed (from its start,
// ReplyReader being stateless) only a logarithmic number of times.
constexpr std::size_t kReadChunk = 64 * 1024;
// Writes go out in pieces so the timeout bounds a stall, not the time to send a large value.
constexpr std::size_t kWriteChunk = 1024 * 1024;
}  // namespace

Client::Client(std::chrono::steady_clock::duration timeout) : timeout_(timeout), socket_(io_) {}

bool Client::run() {
  io_.restart();
  io_.run_for(timeout_);
  if (io_.stopped()) return true;
  // Closing the socket completes the pending operation with operation_aborted.
  error_code ignored;
  socket_.close(ignored);
  io_.run();
  return false;
}

void Client::connect(const std::string& host, int port) {
  where_ = host + ":" + std::to_string(port);
  error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  const auto endpoints =
      resolver.resolve(host, std::to_string(port), asio::ip::resolver_base::numeric_service, ec);
  if (!ec) {
    ec = asio::error::would_block;
    asio::async_connect(socket_, endpoints,
                        [&](const error_code& e, const asio::ip::tcp::endpoint&) { ec = e; });
    if (!run()) ec = asio::error::timed_out;
  }
  if (ec) throw NetError("cannot connect to " + where_ + ": " + ec.message());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void Client::write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    error_code ec = asio::error::would_block;
    std::size_t n = 0;
    const std::size_t len = std::min(kWriteChunk, bytes.size() - done);
    socket_.async_write_some(asio::buffer(bytes.data() + done, len),
                             [&](const error_code& e, std::size_t k) { ec = e, n = k; });
    if (!run()) ec = asio::error::timed_out;
    if (ec) throw NetError("cannot send to " + where_ + ": " + ec.message());
    done += n;
  }
}

bool Client::read_more() {
  const std::size_t old = buf_.size();
  const std::size_t want = std::max(kReadChunk, old);
  buf_.resize(old + want);
  error_code ec = asio::error::would_block;
  std::size_t n = 0;
  socket_.async_read_some(asio::buffer(buf_.data() + old, want),
                          [&](const error_code& e, std::size_t k) { ec = e, n = k; });
  const bool in_time = run();
  buf_.resize(old + n);
  if (!in_time) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout_).count();
    throw NetError("no reply from " + where_ + " within " + std::to_string(secs) + " s");
  }
  // A reset right after our command counts as a close: the server did not reply either way.
  if (ec == asio::error::eof || ec == asio::error::connection_reset) return false;
  if (ec) throw NetError("lost connection to " + where_ + ": " + ec.message());
  return true;
}

std::optional<proto::Reply> Client::call(std::span<const std::string> args) {
  try {
    write_all(proto::encode_command(args));
  } catch (const NetError&) {
    // A server that rejects a request midway (a bulk over its limit) replies with an error and
    // closes before taking the rest: that reply says more than the failed write.
    try {
      if (std::optional<proto::Reply> reply = read_reply()) return reply;
    } catch (const NetError&) {
    }
    throw;
  }
  return read_reply();
}

std::optional<proto::Reply> Client::read_reply() {
  while (true) {
    proto::Reply reply;
    std::size_t used = 0;
    const proto::ReadStatus status = proto::ReplyReader::parse(buf_, reply, used);
    if (status == proto::ReadStatus::reply) {
      buf_.erase(0, used);
      return reply;
    }
    if (status == proto::ReadStatus::error) {
      throw NetError("bad reply from " + where_ + ": not the Redis protocol");
    }
    if (!read_more()) {
      if (!buf_.empty()) throw NetError(where_ + " closed the connection in the middle of a reply");
      return std::nullopt;
    }
  }
}

}  // namespace kv::cli
