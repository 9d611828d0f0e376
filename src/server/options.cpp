#include "server/options.hpp"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "cmd/config.hpp"
#include "persist/persistence.hpp"
#include "proto/request_parser.hpp"

namespace kv::server {

namespace po = boost::program_options;

namespace {

constexpr const char* kDefaultSaveRules = "3600 1 300 100 60 10000";

// Turns "name value" lines into "--name value" tokens for the same parser the command line uses.
// '#' starts a comment line; values may be quoted as in redis.conf.
std::vector<std::string> config_file_tokens(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open config file '" + path + "'");
  std::vector<std::string> tokens;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::vector<std::string> words;
    if (!proto::split_inline_args(line, words)) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": unbalanced quotes");
    }
    if (words.empty() || words[0][0] == '#') continue;
    if (words[0] == "save" && words.size() > 2) {  // redis.conf's spelling: save 900 1
      std::string rules;
      for (std::size_t i = 1; i < words.size(); ++i) rules += (i > 1 ? " " : "") + words[i];
      words.resize(2);
      words[1] = std::move(rules);
    }
    if (words.size() > 2) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 'name value'");
    }
    tokens.push_back("--" + words[0]);
    if (words.size() == 2) tokens.push_back(words[1]);
  }
  return tokens;
}

// Redis's rule for save: every occurrence, config file first, adds its rules, and "" drops the
// rules before it; none at all keeps the default.
void add_save_rules(const po::parsed_options& parsed, std::optional<std::string>& rules) {
  for (const auto& option : parsed.options) {
    if (option.string_key != "save") continue;
    for (const std::string& value : option.value) {
      if (value.find_first_not_of(' ') == std::string::npos || !rules || rules->empty()) {
        rules = value;
      } else {
        *rules += " " + value;
      }
    }
  }
}

std::int64_t memory_value(const std::string& name, const std::string& text) {
  auto n = cmd::parse_memory(text);
  if (!n) throw std::runtime_error("invalid value for --" + name + ": '" + text + "'");
  return *n;
}

}  // namespace

OptionsOutcome parse_options(int argc, char** argv, cmd::Settings& s) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description desc(
      "Usage: kvd [options] [config-file]\n"
      "An in-memory key-value server speaking the Redis protocol.\n"
      "Every option can also be set in the config file as a 'name value' line.\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help", "print this help and exit")
    ("version", "print the version and exit")
    ("config", po::value<std::string>(), "read options from this redis.conf-style file")
    ("port", po::value<int>()->default_value(6380), "TCP port to listen on")
    ("bind", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
    ("threads", po::value<int>()->default_value(static_cast<int>(cores)),
     "event-loop threads (default: the number of cores)")
    ("loglevel", po::value<std::string>()->default_value("notice"),
     "debug, verbose, notice or warning")
    ("logfile", po::value<std::string>()->default_value(""), "log to this file (default: stderr)")
    ("daemonize", po::value<std::string>()->default_value("no")->implicit_value("yes"),
     "run in the background (yes|no); returns once the server listens")
    ("pidfile", po::value<std::string>()->default_value(""), "write the process id to this file")
    ("maxclients", po::value<std::int64_t>()->default_value(10000), "maximum connected clients")
    ("databases", po::value<int>()->default_value(16),
     "number of logical databases, 1..1024 (about 128 KiB each when empty)")
    ("proto-max-bulk-len", po::value<std::string>()->default_value("512mb"),
     "largest bulk argument a client may send")
    ("client-query-buffer-limit", po::value<std::string>()->default_value("1gb"),
     "largest unparsed input kept per client");
  po::options_description persistence("Persistence (also CONFIG GET/SET)");
  persistence.add_options()
    ("dir", po::value<std::string>()->default_value("."),
     "data folder: the snapshot and the append-only log folder live here")
    ("dbfilename", po::value<std::string>()->default_value("dump.rdb"), "snapshot file name")
    ("save", po::value<std::vector<std::string>>()->composing()->default_value(
       {std::string(kDefaultSaveRules)}, kDefaultSaveRules),
     "snapshot rules: 'seconds changes' pairs; \"\" for none; repeated, the rules add up")
    ("appendonly", po::value<std::string>()->default_value("yes"),
     "log every write to the append-only log (yes|no)")
    ("appendfsync", po::value<std::string>()->default_value("everysec"),
     "fsync the log: always (before each reply), everysec, or no (the OS decides)")
    ("appenddirname", po::value<std::string>()->default_value("appendonlydir"),
     "the log's folder, inside --dir")
    ("appendfilename", po::value<std::string>()->default_value("appendonly.aof"),
     "prefix of the log's file names")
    ("aof-load-truncated", po::value<std::string>()->default_value("yes"),
     "start after cutting a log whose last record is incomplete (yes|no)")
    ("auto-aof-rewrite-percentage", po::value<std::string>()->default_value("100"),
     "rewrite the log when it grew by this percentage since the last rewrite (0: never)")
    ("auto-aof-rewrite-min-size", po::value<std::string>()->default_value("64mb"),
     "... and it is at least this big")
    ("stop-writes-on-bgsave-error", po::value<std::string>()->default_value("yes"),
     "refuse writes (MISCONF) while snapshots fail and save rules are set (yes|no)")
    ("rdbcompression", po::value<std::string>()->default_value("yes"),
     "LZF-compress long values in snapshots (yes|no)")
    ("rdbchecksum", po::value<std::string>()->default_value("yes"),
     "verify snapshot checksums when loading (yes|no)")
    ("skip-unsupported-types", po::value<std::string>()->default_value("no"),
     "load snapshots holding other types than strings, skipping and counting those keys");
  // clang-format on
  desc.add(persistence);
  po::positional_options_description positional;
  positional.add("config", 1);
  try {
    po::variables_map vm;
    const po::parsed_options command_line =
        po::command_line_parser(argc, argv).options(desc).positional(positional).run();
    po::store(command_line, vm);
    std::optional<std::string> save_rules;
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return OptionsOutcome::exit_ok;
    }
    if (vm.count("version")) {
      std::cout << "kvd " << kVersion << "\n";
      return OptionsOutcome::exit_ok;
    }
    if (vm.count("config")) {
      s.config_file = vm["config"].as<std::string>();
      // Stored second, so the command line wins.
      const po::parsed_options file =
          po::command_line_parser(config_file_tokens(s.config_file)).options(desc).run();
      po::store(file, vm);
      add_save_rules(file, save_rules);
    }
    add_save_rules(command_line, save_rules);
    po::notify(vm);
    s.port = vm["port"].as<int>();
    if (s.port < 0 || s.port > 65535) throw std::runtime_error("--port must be 0..65535");
    s.bind = vm["bind"].as<std::string>();
    s.threads = vm["threads"].as<int>();
    if (s.threads < 1 || s.threads > 1024) throw std::runtime_error("--threads must be 1..1024");
    s.loglevel = vm["loglevel"].as<std::string>();
    if (s.loglevel != "debug" && s.loglevel != "verbose" && s.loglevel != "notice" &&
        s.loglevel != "warning") {
      throw std::runtime_error("--loglevel must be debug, verbose, notice or warning");
    }
    s.logfile = vm["logfile"].as<std::string>();
    const auto daemonize = cmd::parse_yes_no(vm["daemonize"].as<std::string>());
    if (!daemonize) throw std::runtime_error("--daemonize must be yes or no");
    s.daemonize = *daemonize;
    s.pidfile = vm["pidfile"].as<std::string>();
    s.databases = vm["databases"].as<int>();
    if (s.databases < 1 || s.databases > 1024)
      throw std::runtime_error("--databases must be 1..1024");
    const auto maxclients = vm["maxclients"].as<std::int64_t>();
    if (maxclients < 1) throw std::runtime_error("--maxclients must be at least 1");
    s.maxclients = maxclients;
    s.proto_max_bulk_len =
        memory_value("proto-max-bulk-len", vm["proto-max-bulk-len"].as<std::string>());
    if (s.proto_max_bulk_len < 1024 * 1024 || s.proto_max_bulk_len > 0x7fffffff) {
      throw std::runtime_error("--proto-max-bulk-len must be between 1mb and 2147483647");
    }
    s.query_buffer_limit = memory_value("client-query-buffer-limit",
                                        vm["client-query-buffer-limit"].as<std::string>());
    if (s.query_buffer_limit < 1024 * 1024) {
      throw std::runtime_error("--client-query-buffer-limit must be at least 1mb");
    }
    for (const auto& option : persistence.options()) {
      const std::string& name = option->long_name();
      const std::string value =
          name == "save" ? save_rules.value_or(kDefaultSaveRules) : vm[name].as<std::string>();
      std::string error;
      if (!persist::set_config_value(s.persistence, name, value, error))
        throw std::runtime_error("--" + name + ": " + error);
    }
  } catch (const std::exception& e) {
    std::cerr << "kvd: " << e.what() << "\nTry 'kvd --help'.\n";
    return OptionsOutcome::exit_error;
  }
  return OptionsOutcome::run;
}

}  // namespace kv::server
