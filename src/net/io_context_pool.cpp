#include "net/io_context_pool.hpp"

#include <thread>

namespace kv::net {

IoContextPool::IoContextPool(std::size_t n) {
  if (n == 0) n = 1;
  for (std::size_t i = 0; i < n; ++i) {
    // Hint 1: this context is run by one thread, so Asio can skip locking it does not need.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

boost::asio::io_context& IoContextPool::next() {
  boost::asio::io_context& ctx = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return ctx;
}

std::size_t IoContextPool::index_of(const boost::asio::io_context& ctx) const {
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    if (contexts_[i].get() == &ctx) return i;
  }
  return 0;
}

void IoContextPool::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  }
  contexts_[0]->run();
  for (auto& t : threads) t.join();
}

void IoContextPool::release() {
  for (auto& g : guards_) g.reset();
}

void IoContextPool::stop() {
  for (auto& ctx : contexts_) ctx->stop();
}

}  // namespace kv::net
