// Server commands: INFO, CONFIG, SHUTDOWN.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "persist/persistence.hpp"

namespace kv::cmd {
namespace {

constexpr std::string_view kKvdVersion = "0.1.0";
constexpr std::string_view kRedisVersion = "7.0.15";

void field(std::string& out, std::string_view name, const std::string& value) {
  out.append(name);
  out.push_back(':');
  out.append(value);
  out.append("\r\n");
}
void field(std::string& out, std::string_view name, std::uint64_t value) {
  field(out, name, std::to_string(value));
}

std::string human_bytes(std::uint64_t n) {
  char buf[32];
  const double d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  } else if (n < 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", d / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  }
  return buf;
}

std::uint64_t rss_bytes() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void server_section(ServerContext& s, std::string& out) {
  utsname u{};
  uname(&u);
  const auto uptime = static_cast<std::uint64_t>((steady_ms() - s.start_ms) / 1000);
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  field(out, "redis_version", std::string(kRedisVersion));
  field(out, "kvd_version", std::string(kKvdVersion));
  field(out, "redis_mode", "standalone");
  field(out, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  field(out, "arch_bits", 64);
  field(out, "multiplexing_api", "epoll");
  field(out, "process_id", static_cast<std::uint64_t>(getpid()));
  field(out, "run_id", s.run_id);
  field(out, "tcp_port", static_cast<std::uint64_t>(s.settings.port));
  field(out, "server_time_usec", static_cast<std::uint64_t>(now_us));
  field(out, "uptime_in_seconds", uptime);
  field(out, "uptime_in_days", uptime / 86400);
  field(out, "threads", static_cast<std::uint64_t>(s.settings.threads));
  field(out, "config_file", s.settings.config_file);
}

void clients_section(ServerContext& s, std::string& out) {
  field(out, "connected_clients", s.clients.size());
  field(out, "maxclients", static_cast<std::uint64_t>(s.settings.maxclients.load()));
  field(out, "blocked_clients", 0);
}

void memory_section(ServerContext&, std::string& out) {
  const struct mallinfo2 mi = mallinfo2();
  const std::uint64_t used = mi.uordblks + mi.hblkhd;
  const std::uint64_t rss = rss_bytes();
  field(out, "used_memory", used);
  field(out, "used_memory_human", human_bytes(used));
  field(out, "used_memory_rss", rss);
  field(out, "used_memory_rss_human", human_bytes(rss));
  field(out, "maxmemory", 0);
  field(out, "maxmemory_human", "0B");
  field(out, "maxmemory_policy", "noeviction");
  field(out, "mem_allocator", "libc");
}

void persistence_section(ServerContext& s, std::string& out) {
  if (s.persistence != nullptr) {
    s.persistence->info(out);
    return;
  }
  field(out, "loading", 0);
  field(out, "async_loading", 0);
  field(out, "rdb_bgsave_in_progress", 0);
  field(out, "aof_enabled", 0);
  field(out, "aof_rewrite_in_progress", 0);
}

void stats_section(ServerContext& s, std::string& out) {
  field(out, "total_connections_received", s.stats.sum(kStatConnections));
  field(out, "total_commands_processed", s.stats.sum(kStatCommands));
  field(out, "total_net_input_bytes", s.stats.sum(kStatNetInput));
  field(out, "total_net_output_bytes", s.stats.sum(kStatNetOutput));
  field(out, "rejected_connections", s.stats.sum(kStatRejectedConnections));
  std::uint64_t expired = 0;
  s.databases.for_each([&](std::size_t, store::Store& db) { expired += db.expired_keys(); });
  field(out, "expired_keys", expired);
  field(out, "evicted_keys", 0);
  field(out, "keyspace_hits", s.stats.sum(kStatKeyspaceHits));
  field(out, "keyspace_misses", s.stats.sum(kStatKeyspaceMisses));
}

void replication_section(ServerContext&, std::string& out) {
  field(out, "role", "master");
  field(out, "connected_slaves", 0);
}

void cpu_section(ServerContext&, std::string& out) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(ru.ru_stime.tv_sec),
                static_cast<long>(ru.ru_stime.tv_usec));
  field(out, "used_cpu_sys", buf);
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(ru.ru_utime.tv_sec),
                static_cast<long>(ru.ru_utime.tv_usec));
  field(out, "used_cpu_user", buf);
}

// The store's own metrics, summed over the databases.
void store_section(ServerContext& s, std::string& out) {
  store::StoreMetrics total;
  s.databases.for_each([&](std::size_t, store::Store& db) {
    const store::StoreMetrics m = db.metrics();
    total.keys += m.keys;
    total.value_bytes += m.value_bytes;
    total.gets += m.gets;
    total.sets += m.sets;
    total.deletes += m.deletes;
  });
  field(out, "keys_stored", total.keys);
  field(out, "bytes_stored", total.value_bytes);
  field(out, "get_ops", total.gets);
  field(out, "set_ops", total.sets);
  field(out, "delete_ops", total.deletes);
  field(out, "databases", s.databases.count());
  field(out, "stripes", s.databases.db(0).stripe_count());
}

// One line per database that has keys, as Redis prints them.
void keyspace_section(ServerContext& s, std::string& out) {
  s.databases.for_each([&](std::size_t i, store::Store& db) {
    const store::StoreMetrics m = db.metrics();
    if (m.keys == 0) return;
    field(out, "db" + std::to_string(i),
          "keys=" + std::to_string(m.keys) + ",expires=" + std::to_string(m.expires) +
              ",avg_ttl=" + std::to_string(m.avg_ttl_ms));
  });
}

struct Section {
  std::string_view name;   // Lower case, as INFO's argument.
  std::string_view title;  // As the "# Title" header.
  void (*fn)(ServerContext&, std::string&);
};

constexpr Section kSections[] = {
    {"server", "Server", server_section},
    {"clients", "Clients", clients_section},
    {"memory", "Memory", memory_section},
    {"persistence", "Persistence", persistence_section},
    {"stats", "Stats", stats_section},
    {"replication", "Replication", replication_section},
    {"cpu", "CPU", cpu_section},
    {"store", "Store", store_section},
    {"keyspace", "Keyspace", keyspace_section},
};

// INFO [section ...]: no argument, "default", "all" and "everything" give every section.
void info_cmd(Call& c) {
  std::vector<bool> wanted(std::size(kSections), c.args.size() == 1);
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const std::string_view arg = c.args[i];
    const bool every =
        NameEq{}(arg, "default") || NameEq{}(arg, "all") || NameEq{}(arg, "everything");
    for (std::size_t j = 0; j < std::size(kSections); ++j) {
      if (every || NameEq{}(arg, kSections[j].name)) wanted[j] = true;
    }
  }
  std::string text;
  for (std::size_t j = 0; j < std::size(kSections); ++j) {
    if (!wanted[j]) continue;
    if (!text.empty()) text.append("\r\n");
    text.append("# ").append(kSections[j].title).append("\r\n");
    kSections[j].fn(c.server, text);
  }
  c.out.verbatim("txt", text);
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The server stops taking commands, writes and
// fsyncs the log, and takes a snapshot if SAVE says so or, without NOSAVE, if save rules are set.
// A successful SHUTDOWN sends no reply: the connection just closes.
void shutdown_cmd(Call& c) {
  bool save = false;
  bool nosave = false;
  bool abort = false;
  bool other = false;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const std::string_view a = c.args[i];
    if (NameEq{}(a, "abort")) {
      abort = true;
    } else if (NameEq{}(a, "save")) {
      save = true;
    } else if (NameEq{}(a, "nosave")) {
      nosave = true;
    } else if (NameEq{}(a, "now") || NameEq{}(a, "force")) {
      other = true;
    } else {
      c.out.error(kErrSyntax);
      return;
    }
  }
  // As in Redis: ABORT goes alone (repeats allowed), and SAVE excludes NOSAVE.
  if ((abort && (save || nosave || other)) || (save && nosave)) {
    c.out.error(kErrSyntax);
    return;
  }
  if (abort) {
    c.out.error("ERR No shutdown in progress.");
    return;
  }
  c.server.shutdown_save.store(save ? 1 : nosave ? 0 : -1);
  if (c.server.request_shutdown) c.server.request_shutdown();
  c.session.close_after_reply = true;
}

const CommandSpec kCommands[] = {
    {"info", -1, kLoading | kStale, "@slow @dangerous", 0, 0, 0, info_cmd, "server",
     "Returns information and statistics about the server."},
    {"config", -2, 0 | kNoStore, "@slow", 0, 0, 0, nullptr, "server",
     "A container for server configuration commands.", config_subcommands()},
    {"shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy | kNoStore,
     "@admin @slow @dangerous", 0, 0, 0, shutdown_cmd, "server",
     "Synchronously saves the database(s) to disk and shuts down the Redis server."},
};

}  // namespace

std::span<const CommandSpec> server_commands() { return kCommands; }

}  // namespace kv::cmd
