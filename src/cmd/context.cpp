#include "cmd/context.hpp"

#include <random>

namespace kv::cmd {

ServerContext::ServerContext(store::Databases& dbs, Settings& cfg)
    : databases(dbs), settings(cfg), start_ms(steady_ms()) {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) run_id.push_back(kHex[rd() % 16]);
}

}  // namespace kv::cmd
