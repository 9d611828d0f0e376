#include "cmd/session.hpp"

#include <chrono>

namespace kv::cmd {

void ClientRegistry::add(Session& s) {
  std::lock_guard lock(mu_);
  s.id = next_id_++;
  sessions_.emplace(s.id, &s);
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

void ClientRegistry::remove(Session& s) {
  std::lock_guard lock(mu_);
  sessions_.erase(s.id);
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

void ClientRegistry::update(const std::function<void()>& change) {
  std::lock_guard lock(mu_);
  change();
}

void ClientRegistry::for_each(const std::function<void(const Session&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : sessions_) fn(*s);
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace kv::cmd
