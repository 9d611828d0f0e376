// kvd: wires the store, the command table and the network pool together, and runs them.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "cmd/dispatcher.hpp"
#include "net/server.hpp"
#include "persist/persistence.hpp"
#include "server/options.hpp"
#include "store/active_expiry.hpp"
#include "store/databases.hpp"
#include "store/store.hpp"

namespace {

spdlog::level::level_enum spdlog_level(std::string_view level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "verbose") return spdlog::level::debug;
  if (level == "warning") return spdlog::level::warn;
  return spdlog::level::info;
}

void setup_logging(const kv::cmd::Settings& s) {
  std::shared_ptr<spdlog::logger> logger;
  if (!s.logfile.empty()) {
    logger = spdlog::basic_logger_mt("kvd", s.logfile);
  } else {
    logger = spdlog::stderr_logger_mt("kvd");
  }
  logger->set_pattern("%P:M %d %b %Y %H:%M:%S.%e %^%L%$ %v");
  logger->set_level(spdlog_level(s.loglevel));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Forks; the parent waits until the child reports on `ready_fd` that it listens (or failed), and
// exits with the matching status, so `kvd --daemonize` returns only once the server is usable.
int daemonize(int& ready_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    close(fds[1]);
    std::string report;
    char buf[256];
    for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
      report.append(buf, static_cast<std::size_t>(n));
    if (report == "0") _exit(0);
    std::fprintf(stderr, "kvd: %s\n", report.empty() ? "failed to start" : report.c_str() + 1);
    _exit(1);
  }
  close(fds[0]);
  ready_fd = fds[1];
  setsid();
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  return 0;
}

// Tells a waiting parent "0" (listening) or "1<reason>".
void report_ready(int& ready_fd, bool ok, const std::string& reason = {}) {
  if (ready_fd < 0) return;
  const std::string status = ok ? "0" : "1" + reason;
  if (write(ready_fd, status.data(), status.size()) < 0) {
    // The parent is gone; nothing to tell.
  }
  close(ready_fd);
  ready_fd = -1;
}

// Loads the log or the snapshot, replaying the log's commands through the dispatcher as a
// client flagged "loader" (not refused while loading, never logged again).
void load_data(kv::cmd::Dispatcher& dispatcher, kv::persist::Persistence& persistence) {
  kv::cmd::Session loader;
  loader.loader = true;
  std::string reply;
  std::string failure;
  try {
    persistence.load([&](std::span<const kv::persist::AofCommand> unit) {
      for (const kv::persist::AofCommand& command : unit) {
        reply.clear();
        kv::proto::ReplyWriter out(reply);
        dispatcher.dispatch(loader, command, out);
        if (!reply.empty() && reply[0] == '-') {
          failure =
              "'" + std::string(command[0]) + "' failed: " + reply.substr(1, reply.find('\r') - 1);
          return false;
        }
      }
      return true;
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(failure.empty() ? e.what()
                                             : std::string(e.what()) + " (" + failure + ")");
  }
}

}  // namespace

int main(int argc, char** argv) {
  kv::cmd::Settings settings;
  switch (kv::server::parse_options(argc, argv, settings)) {
    case kv::server::OptionsOutcome::exit_ok:
      return 0;
    case kv::server::OptionsOutcome::exit_error:
      return 1;
    case kv::server::OptionsOutcome::run:
      break;
  }
  int ready_fd = -1;
  if (settings.daemonize && daemonize(ready_fd) != 0) {
    std::perror("kvd: daemonize");
    return 1;
  }
  try {
    setup_logging(settings);
    signal(SIGPIPE, SIG_IGN);

    signal(SIGXFSZ, SIG_IGN);  // A file size limit fails the write (EFBIG) instead of killing.

    kv::store::ServerClock clock;
    clock.hold(true);  // Until the data is loaded.
    kv::store::Databases databases(static_cast<std::size_t>(settings.databases),
                                   kv::store::kDefaultStripes, clock);
    kv::persist::Persistence persistence(databases, settings.persistence,
                                         [](int level, const std::string& line) {
                                           if (level == 0) {
                                             spdlog::info("{}", line);
                                           } else {
                                             spdlog::warn("{}", line);
                                           }
                                         });
    kv::cmd::ServerContext context(databases, settings);
    context.persistence = &persistence;
    kv::cmd::Dispatcher dispatcher(context);
    kv::net::IoContextPool pool(static_cast<std::size_t>(settings.threads));
    kv::net::Server server(pool, dispatcher, settings.bind,
                           static_cast<unsigned short>(settings.port));

    boost::asio::signal_set signals(pool.at(0), SIGINT, SIGTERM);
    context.request_shutdown = [&] {
      spdlog::info("shutdown requested");
      boost::asio::post(pool.at(0), [&] { signals.cancel(); });
      server.shutdown();
    };
    context.set_loglevel = [](std::string_view level) {
      spdlog::default_logger()->set_level(spdlog_level(level));
      return true;
    };
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      server.shutdown();
    });

    if (!settings.pidfile.empty()) {
      std::ofstream(settings.pidfile) << getpid() << "\n";
    }
    server.start();
    spdlog::info("kvd {} listening on {}:{} with {} threads, {} stripes per database",
                 kv::server::kVersion, settings.bind, server.port(), pool.size(),
                 databases.db(0).stripe_count());
    // Loading runs beside the event loops, so clients meanwhile get -LOADING (and INFO shows
    // loading:1). A damaged file stops kvd: it never runs having dropped data.
    std::optional<kv::store::ActiveExpiry> active_expiry;
    std::string load_error;
    std::thread loader([&] {
      try {
        load_data(dispatcher, persistence);
        clock.hold(false);
        persistence.start();
        active_expiry.emplace(databases, kv::store::ActiveExpiry::kDefaultPeriod,
                              persistence.expiry_observer());
        report_ready(ready_fd, true);
      } catch (const std::exception& e) {
        load_error = e.what();
        spdlog::error("{}", load_error);
        report_ready(ready_fd, false, load_error);
        context.request_shutdown();
      }
    });
    pool.run();
    loader.join();
    const int save = context.shutdown_save.load();
    const bool saved = !load_error.empty() ||
                       persistence.shutdown(save < 0 ? std::nullopt : std::optional(save == 1));
    active_expiry.reset();
    if (!settings.pidfile.empty()) std::remove(settings.pidfile.c_str());
    if (!load_error.empty()) return 1;
    if (!saved) {
      spdlog::error("errors saving on shutdown, see above");
      return 1;
    }
    spdlog::info("kvd is now ready to exit, bye bye...");
  } catch (const std::exception& e) {
    spdlog::error("fatal: {}", e.what());
    report_ready(ready_fd, false, e.what());
    return 1;
  }
  return 0;
}
