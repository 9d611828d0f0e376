// CONFIG GET, CONFIG SET and CONFIG RESETSTAT over kvd's real settings.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cmd/config.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/errors.hpp"
#include "cmd/families.hpp"
#include "persist/persistence.hpp"
#include "proto/request_parser.hpp"
#include "store/entry.hpp"
#include "store/glob.hpp"

namespace kv::cmd {

std::optional<std::int64_t> parse_memory(std::string_view v) {
  static const std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024LL * 1024 * 1024},
      {"k", 1000},  {"m", 1000 * 1000},  {"g", 1000LL * 1000 * 1000},
      {"b", 1}};
  std::int64_t mul = 1;
  for (const auto& [suffix, factor] : kUnits) {
    if (v.size() > suffix.size() && NameEq{}(v.substr(v.size() - suffix.size()), suffix)) {
      v.remove_suffix(suffix.size());
      mul = factor;
      break;
    }
  }
  std::int64_t n = 0;
  if (!proto::parse_int64(v, n) || n < 0 || n > INT64_MAX / mul) return std::nullopt;
  return n * mul;
}

std::optional<bool> parse_yes_no(std::string_view v) {
  if (NameEq{}(v, "yes")) return true;
  if (NameEq{}(v, "no")) return false;
  return std::nullopt;
}

namespace {

// Checks `value`; when `apply` is set, also stores it. Returns the reason a value is refused.
using Setter =
    std::function<std::optional<std::string>(ServerContext&, std::string_view, bool apply)>;

struct Param {
  std::string_view name;
  std::function<std::string(ServerContext&)> get;
  Setter set;  // Null for settings fixed at start-up.
};

Setter int_setter(std::atomic<std::int64_t> Settings::*field, std::int64_t lo, std::int64_t hi,
                  bool memory) {
  return [=](ServerContext& s, std::string_view v, bool apply) -> std::optional<std::string> {
    std::optional<std::int64_t> n;
    std::int64_t parsed = 0;
    if (memory) {
      n = parse_memory(v);
    } else if (proto::parse_int64(v, parsed)) {
      n = parsed;
    }
    if (!n) {
      return std::string(memory ? "argument must be a memory value"
                                : "argument couldn't be parsed into an integer");
    }
    if (*n < lo || *n > hi) {
      return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
             " inclusive";
    }
    if (apply) (s.settings.*field).store(*n, std::memory_order_relaxed);
    return std::nullopt;
  };
}

std::function<std::string(ServerContext&)> int_getter(std::atomic<std::int64_t> Settings::*field) {
  return [=](ServerContext& s) { return std::to_string((s.settings.*field).load()); };
}

const std::vector<Param>& params() {
  static const std::vector<Param> kParams = {
      {"bind", [](ServerContext& s) { return s.settings.bind; }, nullptr},
      {"port", [](ServerContext& s) { return std::to_string(s.settings.port); }, nullptr},
      {"threads", [](ServerContext& s) { return std::to_string(s.settings.threads); }, nullptr},
      {"databases", [](ServerContext& s) { return std::to_string(s.databases.count()); }, nullptr},
      {"daemonize",
       [](ServerContext& s) { return std::string(s.settings.daemonize ? "yes" : "no"); }, nullptr},
      {"pidfile", [](ServerContext& s) { return s.settings.pidfile; }, nullptr},
      {"logfile", [](ServerContext& s) { return s.settings.logfile; }, nullptr},
      {"maxclients", int_getter(&Settings::maxclients),
       int_setter(&Settings::maxclients, 1, 4294967295LL, false)},
      {"proto-max-bulk-len", int_getter(&Settings::proto_max_bulk_len),
       int_setter(&Settings::proto_max_bulk_len, 1024 * 1024, store::Entry::kMaxKey, true)},
      {"client-query-buffer-limit", int_getter(&Settings::query_buffer_limit),
       int_setter(&Settings::query_buffer_limit, 1024 * 1024, INT64_MAX, true)},
      {"loglevel",
       [](ServerContext& s) {
         std::lock_guard lock(s.settings.mu);
         return s.settings.loglevel;
       },
       [](ServerContext& s, std::string_view v, bool apply) -> std::optional<std::string> {
         for (std::string_view level : {"debug", "verbose", "notice", "warning"}) {
           if (!NameEq{}(v, level)) continue;
           if (apply) {
             {
               std::lock_guard lock(s.settings.mu);
               s.settings.loglevel = level;
             }
             if (s.set_loglevel) s.set_loglevel(level);
           }
           return std::nullopt;
         }
         return std::string(
             "argument(s) must be one of the following: debug, verbose, notice, warning");
       }},
  };
  return kParams;
}

// The persistence parameters, answered by persist::Persistence (a server without one, as in
// the in-process tests, shows its defaults and refuses changes).
const std::vector<Param>& all_params() {
  static const std::vector<Param> kAll = [] {
    std::vector<Param> all = params();
    for (std::string_view name : persist::Persistence::parameter_names()) {
      all.push_back(
          {name,
           [name](ServerContext& s) -> std::string {
             if (s.persistence != nullptr) return s.persistence->get(name).value_or("");
             return name == "appendonly" ? "no" : "";
           },
           [name](ServerContext& s, std::string_view v, bool apply) -> std::optional<std::string> {
             if (s.persistence == nullptr) return std::string("persistence is off");
             std::string error;
             if (s.persistence->configure(name, v, apply, error)) return std::nullopt;
             return error;
           }});
    }
    return all;
  }();
  return kAll;
}

const Param* find_param(std::string_view name) {
  for (const Param& p : all_params()) {
    if (NameEq{}(p.name, name)) return &p;
  }
  return nullptr;
}

// A pattern without glob characters is looked up by name and answered with the name as typed;
// a glob is matched against every name (case-insensitively), as Redis does.
void config_get(Call& c) {
  std::vector<std::pair<std::string_view, const Param*>> found;
  auto add = [&](std::string_view shown, const Param* p) {
    for (const auto& f : found) {
      if (f.second == p) return;
    }
    found.emplace_back(shown, p);
  };
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const std::string_view pattern = c.args[i];
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      if (const Param* p = find_param(pattern)) add(pattern, p);
      continue;
    }
    for (const Param& p : all_params()) {
      if (store::glob_match(pattern, p.name, true)) add(p.name, &p);
    }
  }
  c.out.map(found.size());
  for (const auto& [shown, p] : found) {
    c.out.bulk(shown);
    c.out.bulk(p->get(c.server));
  }
}

std::string config_set_error(std::string_view name, std::string_view why) {
  return sanitize_error("ERR CONFIG SET failed (possibly related to argument '" +
                        std::string(name) + "') - " + std::string(why));
}

// CONFIG SET name value [name value ...] is all or nothing. As in Redis, every name is checked
// first (an unknown name wins over other errors), then every value, then all are applied.
void config_set(Call& c) {
  if (c.args.size() % 2 != 0) {
    c.out.error(kErrSyntax);
    return;
  }
  std::vector<const Param*> chosen;
  std::string_view unknown;
  std::string_view bad_name;
  std::string why;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    const Param* p = find_param(c.args[i]);
    if (p == nullptr) {
      if (unknown.empty()) unknown = c.args[i];
      continue;
    }
    if (!p->set) {
      bad_name = c.args[i];
      why = "can't set immutable config";
    }
    if (std::find(chosen.begin(), chosen.end(), p) != chosen.end()) {
      bad_name = c.args[i];
      why = "duplicate parameter";
    }
    chosen.push_back(p);
  }
  if (!unknown.empty()) {
    c.out.error(sanitize_error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                               std::string(unknown) + "'"));
    return;
  }
  if (!why.empty()) {
    c.out.error(config_set_error(bad_name, why));
    return;
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (auto error = chosen[i]->set(c.server, c.args[3 + 2 * i], false)) {
      c.out.error(config_set_error(chosen[i]->name, *error));
      return;
    }
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) chosen[i]->set(c.server, c.args[3 + 2 * i], true);
  c.out.ok();
}

void config_resetstat(Call& c) {
  c.server.stats.reset();
  c.out.ok();
}

const CommandSpec kConfigSubcommands[] = {
    {"config|get", -3, kAdmin | kNoScript | kLoading | kStale | kNoStore, "@admin @slow @dangerous",
     0, 0, 0, config_get, "server", "Returns the effective values of configuration parameters."},
    {"config|set", -4, kAdmin | kNoScript | kLoading | kStale | kNoStore, "@admin @slow @dangerous",
     0, 0, 0, config_set, "server", "Sets configuration parameters in-flight."},
    {"config|resetstat", 2, kAdmin | kNoScript | kLoading | kStale | kNoStore,
     "@admin @slow @dangerous", 0, 0, 0, config_resetstat, "server",
     "Resets the server's statistics."},
};

}  // namespace

/// CONFIG's rows, for server_cmds.cpp's table.
std::span<const CommandSpec> config_subcommands() { return kConfigSubcommands; }

}  // namespace kv::cmd
