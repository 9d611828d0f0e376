#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <stdexcept>

#include "cmd/errors.hpp"

namespace kv::net {

namespace asio = boost::asio;

namespace {
// How long a graceful shutdown waits for connections to drain before stopping the loops.
constexpr std::chrono::seconds kShutdownGrace{5};
// Redis's tcp-backlog.
constexpr int kBacklog = 511;
}  // namespace

Server::Server(IoContextPool& pool, cmd::Dispatcher& dispatcher, const std::string& address,
               unsigned short port)
    : pool_(pool), dispatcher_(dispatcher), acceptor_(pool.at(0)) {
  try {
    // Names such as "localhost" resolve; the first address found is used.
    asio::ip::tcp::resolver resolver(pool.at(0));
    const asio::ip::tcp::endpoint ep =
        resolver.resolve(address, std::to_string(port), asio::ip::resolver_base::passive)
            .begin()
            ->endpoint();
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(kBacklog);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                             e.code().message());
  }
  for (std::size_t i = 0; i < pool_.size(); ++i)
    connections_.push_back(std::make_shared<ConnectionSet>());
}

unsigned short Server::port() const { return acceptor_.local_endpoint().port(); }

void Server::start() { accept(); }

void Server::accept() {
  acceptor_.async_accept(pool_.next(),
                         [this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
                           on_accept(ec, std::move(socket));
                         });
}

void Server::on_accept(const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopping_) return;
  if (ec) {
    spdlog::error("accept failed: {}", ec.message());
    accept();
    return;
  }
  auto& server = dispatcher_.server();
  server.stats.add(cmd::kStatConnections);
  if (server.clients.size() >= static_cast<std::size_t>(server.settings.maxclients.load())) {
    server.stats.add(cmd::kStatRejectedConnections);
    boost::system::error_code ignored;
    const std::string reply = "-" + std::string(cmd::kErrMaxClients) + "\r\n";
    asio::write(socket, asio::buffer(reply), ignored);
    socket.close(ignored);
  } else {
    // The socket already belongs to the next context; start its connection on that thread.
    auto& ctx = static_cast<asio::io_context&>(socket.get_executor().context());
    std::shared_ptr<ConnectionSet> set = connections_[pool_.index_of(ctx)];
    asio::post(ctx, [this, set = std::move(set), s = std::move(socket)]() mutable {
      if (stopping_) return;
      std::make_shared<Connection>(std::move(s), dispatcher_, set)->start();
    });
  }
  accept();
}

void Server::stop_connections(std::size_t index) {
  // stop() may destroy a connection, which erases it from the set: iterate over a copy.
  const std::vector<Connection*> live(connections_[index]->begin(), connections_[index]->end());
  for (Connection* c : live) c->stop();
}

void Server::shutdown() {
  if (stopping_.exchange(true)) return;
  watchdog_ = std::thread([this] {
    std::unique_lock lock(watchdog_mu_);
    if (!watchdog_cv_.wait_for(lock, kShutdownGrace, [this] { return finished_; })) {
      spdlog::warn("connections did not close in time; stopping");
      pool_.stop();
    }
  });
  asio::post(pool_.at(0), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (std::size_t i = 0; i < pool_.size(); ++i) {
      asio::post(pool_.at(i), [this, i] { stop_connections(i); });
    }
    pool_.release();
  });
}

Server::~Server() {
  {
    std::lock_guard lock(watchdog_mu_);
    finished_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

}  // namespace kv::net
