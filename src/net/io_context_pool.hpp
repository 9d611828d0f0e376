// A pool of io_contexts, each run by exactly one thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace kv::net {

/// N io_contexts with a concurrency hint of 1, one thread each; next() hands them out
/// round-robin. Work guards keep them running until release(). next() is called from the
/// accepting thread only.
class IoContextPool {
 public:
  /// Makes `n` contexts (at least one).
  explicit IoContextPool(std::size_t n);
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  /// The next context, round-robin.
  boost::asio::io_context& next();
  /// Context number `i`.
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  /// The index of `ctx` in the pool.
  std::size_t index_of(const boost::asio::io_context& ctx) const;
  /// Number of contexts.
  std::size_t size() const { return contexts_.size(); }
  /// Runs every context on its own thread (the caller runs the first) and returns when all stop.
  void run();
  /// Lets each context's run() return once it has no more work.
  void release();
  /// Stops every context now.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::optional<Guard>> guards_;
  std::size_t next_ = 0;
};

}  // namespace kv::net
