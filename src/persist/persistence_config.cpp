// Persistence's CONFIG GET/SET parameters, with Redis's names, values and errors.
#include <charconv>
#include <filesystem>

#include "persist/persistence.hpp"

namespace kv::persist {

namespace {

constexpr std::string_view kNames[] = {
    "dir",
    "dbfilename",
    "appendonly",
    "appendfsync",
    "appenddirname",
    "appendfilename",
    "save",
    "aof-load-truncated",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "stop-writes-on-bgsave-error",
    "rdbcompression",
    "rdbchecksum",
    "skip-unsupported-types",
};

std::optional<bool> parse_bool(std::string_view v) {
  if (v.size() == 3 && (v[0] | 0x20) == 'y' && (v[1] | 0x20) == 'e' && (v[2] | 0x20) == 's')
    return true;
  if (v.size() == 2 && (v[0] | 0x20) == 'n' && (v[1] | 0x20) == 'o') return false;
  return std::nullopt;
}

// Redis's memory units: 1k = 1000, 1kb = 1024, and so on (case-insensitive).
std::optional<std::int64_t> parse_memory(std::string_view v) {
  std::size_t digits = 0;
  while (digits < v.size() && (std::isdigit(static_cast<unsigned char>(v[digits])) != 0)) ++digits;
  std::int64_t n = 0;
  if (digits == 0 || std::from_chars(v.data(), v.data() + digits, n).ec != std::errc())
    return std::nullopt;
  std::string unit(v.substr(digits));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::int64_t mul = 1;
  if (unit.empty() || unit == "b") {
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000LL * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024LL * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  return n * mul;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

std::span<const std::string_view> Persistence::parameter_names() { return kNames; }

std::optional<std::string> Persistence::get(std::string_view name) const {
  const PersistConfig c = config();
  if (name == "dir") {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(c.dir, ec);
    return ec ? c.dir : abs.lexically_normal().string();
  }
  if (name == "dbfilename") return c.dbfilename;
  if (name == "appendonly") return yes_no(c.appendonly);
  if (name == "appendfsync") return std::string(fsync_policy_name(c.appendfsync));
  if (name == "appenddirname") return c.appenddirname;
  if (name == "appendfilename") return c.appendfilename;
  if (name == "save") return format_save_rules(c.save);
  if (name == "aof-load-truncated") return yes_no(c.aof_load_truncated);
  if (name == "auto-aof-rewrite-percentage") return std::to_string(c.auto_aof_rewrite_percentage);
  if (name == "auto-aof-rewrite-min-size") return std::to_string(c.auto_aof_rewrite_min_size);
  if (name == "stop-writes-on-bgsave-error") return yes_no(c.stop_writes_on_bgsave_error);
  if (name == "rdbcompression") return yes_no(c.rdbcompression);
  if (name == "rdbchecksum") return yes_no(c.rdbchecksum);
  if (name == "skip-unsupported-types") return yes_no(c.skip_unsupported_types);
  return std::nullopt;
}

bool set_config_value(PersistConfig& c, std::string_view name, std::string_view value,
                      std::string& error) {
  const auto set_bool = [&](bool& field) {
    const auto b = parse_bool(value);
    if (!b) {
      error = "argument must be 'yes' or 'no'";
      return false;
    }
    field = *b;
    return true;
  };
  if (name == "appendonly") return set_bool(c.appendonly);
  if (name == "aof-load-truncated") return set_bool(c.aof_load_truncated);
  if (name == "stop-writes-on-bgsave-error") return set_bool(c.stop_writes_on_bgsave_error);
  if (name == "rdbcompression") return set_bool(c.rdbcompression);
  if (name == "rdbchecksum") return set_bool(c.rdbchecksum);
  if (name == "skip-unsupported-types") return set_bool(c.skip_unsupported_types);
  if (name == "appendfsync") {
    const auto p = parse_fsync_policy(value);
    if (!p) {
      error = "argument(s) must be one of the following: everysec, always, no";
      return false;
    }
    c.appendfsync = *p;
    return true;
  }
  if (name == "save") {
    const auto rules = parse_save_rules(value);
    if (!rules) {
      error = "Invalid save parameters";
      return false;
    }
    c.save = *rules;
    return true;
  }
  if (name == "dir") {
    std::error_code ec;
    if (!std::filesystem::is_directory(std::string(value), ec)) {
      error = "No such file or directory";
      return false;
    }
    c.dir = std::string(value);
    return true;
  }
  if (name == "dbfilename" || name == "appenddirname" || name == "appendfilename") {
    if (value.find('/') != std::string_view::npos || value.empty() || value == "." ||
        value == "..") {
      error = std::string(name) + " can't be a path, just a filename";
      return false;
    }
    (name == "dbfilename"      ? c.dbfilename
     : name == "appenddirname" ? c.appenddirname
                               : c.appendfilename) = std::string(value);
    return true;
  }
  if (name == "auto-aof-rewrite-percentage") {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size()) {
      error = "argument couldn't be parsed into an integer";
      return false;
    }
    if (v < 0 || v > 2147483647) {
      error = "argument must be between 0 and 2147483647 inclusive";
      return false;
    }
    c.auto_aof_rewrite_percentage = v;
    return true;
  }
  if (name == "auto-aof-rewrite-min-size") {
    const auto n = parse_memory(value);
    if (!n) {
      error = "argument must be a memory value";
      return false;
    }
    c.auto_aof_rewrite_min_size = *n;
    return true;
  }
  error.clear();
  return false;
}

bool Persistence::configure(std::string_view name, std::string_view value, bool apply,
                            std::string& error) {
  if (name == "appenddirname" || name == "appendfilename") {
    error = "can't set immutable config";
    return false;
  }
  PersistConfig next = config();
  if (!set_config_value(next, name, value, error)) return false;
  if (!apply) return true;
  std::unique_lock switching(switch_mu_, std::defer_lock);  // Through the config_ update.
  if (name == "appendonly") {
    switching.lock();
    if (next.appendonly && !aof_on()) {
      // Turned on: the job thread writes a fresh log from what is in memory and opens it at the
      // snapshot's cut (not here: the caller may hold stripe locks, inside EXEC).
      std::lock_guard lock(job_mu_);
      if (running_ == Job::none) {
        start_locked(Job::enable);  // INFO shows the rewrite from this reply on.
      } else {
        enable_scheduled_ = true;
        job_cv_.notify_all();
      }
    } else if (!next.appendonly) {
      {
        // A `yes` not yet started is dropped; one running turns the log off again when it
        // ends (run_job()), as it finds the config says no.
        std::lock_guard lock(job_mu_);
        enable_scheduled_ = false;
      }
      if (aof_on()) {
        // The last writes are written and fsynced now, as Redis does. If that fsync fails, the
        // cron thread's repair rewrite still puts them in a base (cron_tick()).
        aof_on_.store(false);
        writer_.close();
      }
    }
  }
  if (name == "appendfsync") writer_.set_policy(next.appendfsync);
  std::lock_guard lock(config_mu_);
  config_ = std::move(next);
  return true;
}

}  // namespace kv::persist
