// The kv CLI end to end: each test starts its own kvd on a free loopback port, runs the built kv
// against it, and checks kv's exact output and exit status, and what it did through a RawClient.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace kv::test {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Runs kv with `-p port` and `args`, feeding `input` on stdin.
CommandResult kv(int port, std::vector<std::string> args, std::string_view input = {}) {
  std::vector<std::string> argv = {binary_dir() + "/kv", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, 60s);
}

// Runs kv with exactly `args` (no -p).
CommandResult kv_bare(std::vector<std::string> args) {
  args.insert(args.begin(), binary_dir() + "/kv");
  return run_command(args, {}, 60s);
}

// A numeric field of INFO, read over `client`.
std::int64_t info_field(RawClient& client, const std::string& name) {
  const std::string info = client.call({"INFO"}).str;
  const std::size_t at = info.find("\r\n" + name + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(info.substr(at + name.size() + 3));
}

// The exact RESP bytes GET replies for `value`.
std::string bulk(const std::string& value) {
  return "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

// Every byte value once, then NULs and CRLFs that a text-mode reader would mangle.
std::string binary_bytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\0\r\n\r\n\0\0end\r", 11);
  return bytes;
}

// A file in the temporary directory, removed when the object dies.
class TempFile {
 public:
  explicit TempFile(const std::string& name, const std::string& bytes = {})
      : path_(std::filesystem::temp_directory_path() /
              ("kv_cli_test_" + std::to_string(getpid()) + "_" + name)) {
    if (!bytes.empty()) std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Waits up to `timeout` for `port` to stop accepting connections.
bool port_closes(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (port_open(port)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TEST(KvCli, HelpListsEverySubcommandAndOption) {
  const CommandResult r = kv_bare({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(r.out.starts_with("Usage: kv [OPTIONS] COMMAND [ARGS...]\n"));
  for (const char* line :
       {"\n  -h HOST ", "\n  -p PORT ", "\n  --raw ", "\n  --help ", "\n  --version ",
        "\n  set KEY=VALUE... ", "\n  set KEY VALUE ", "\n  get KEY... ", "\n  del KEY... ",
        "\n  metrics ", "\n  ping ", "\n  shutdown ", "\n  serve [ARGS...] ",
        "'deleted N of M keys'", "'kvd at HOST:PORT shut down'", "Exit status:"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line;
  }
  const CommandResult v = kv_bare({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(v.out.starts_with("kv ") && v.out.ends_with("\n") &&
              v.out.find_first_not_of("0123456789.", 3) == v.out.size() - 1 &&
              std::count(v.out.begin(), v.out.end(), '.') == 2)
      << v.out;
}

TEST(KvCli, BadUsageExitsTwo) {
  const int port = free_port();  // Nothing listens: bad usage must fail before connecting.
  const struct {
    std::vector<std::string> argv;
    std::string err;
  } cases[] = {
      {{}, "kv: no command given\n"},
      {{"frob"}, "kv: unknown command 'frob'\n"},
      {{"-x", "ping"}, "kv: unknown option '-x'\n"},
      {{"-p", "0", "ping"}, "kv: invalid port '0' (expected 1..65535)\n"},
      {{"-p", "12ab", "ping"}, "kv: invalid port '12ab' (expected 1..65535)\n"},
      {{"-p"}, "kv: option -p needs a PORT\n"},
      {{"-h"}, "kv: option -h needs a HOST (for help, use --help)\n"},
      {{"-p", std::to_string(port), "get"}, "kv: get: expected at least one KEY\n"},
      {{"-p", std::to_string(port), "del"}, "kv: del: expected at least one KEY\n"},
      {{"-p", std::to_string(port), "ping", "x"}, "kv: ping: takes no arguments\n"},
      {{"-p", std::to_string(port), "metrics", "x"}, "kv: metrics: takes no arguments\n"},
  };
  for (const auto& c : cases) {
    const CommandResult r = kv_bare(c.argv);
    EXPECT_EQ(r.exit_code, 2) << c.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, c.err + "Try 'kv --help'.\n");
  }
}

TEST(KvCli, InvalidSetExitsTwoAndSendsNothing) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::int64_t connections = info_field(client, "total_connections_received");
  const TempFile missing("missing");
  const struct {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"set"}, "kv: set: expected KEY=VALUE... or KEY VALUE\nTry 'kv --help'.\n"},
      {{"set", "a"},
       "kv: set: expected KEY=VALUE... or KEY VALUE; 'a' has no '='\nTry 'kv --help'.\n"},
      {{"set", "a=1", "b"},
       "kv: set: expected KEY=VALUE... or KEY VALUE; 'b' has no '='\nTry 'kv --help'.\n"},
      {{"set", "a", "b", "c"},
       "kv: set: expected KEY=VALUE... or KEY VALUE; 'a' has no '='\nTry 'kv --help'.\n"},
      {{"set", "a=-", "b=-"},
       "kv: set: '-' (standard input) may be used only once\nTry 'kv --help'.\n"},
      {{"set", "k", "@"}, "kv: set: '@' needs a file name, as in @PATH\nTry 'kv --help'.\n"},
      {{"set", "a=1", "k=@" + missing.path()},
       "kv: cannot read '" + missing.path() + "': No such file or directory\n"},
  };
  for (const auto& c : cases) {
    const CommandResult r = kv(kvd.port(), c.args);
    EXPECT_EQ(r.exit_code, 2) << c.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, c.err);
  }
  EXPECT_EQ(client.call({"DBSIZE"}).integer, 0);
  // Only the RawClient itself ever connected: kv gave up before contacting the server.
  EXPECT_EQ(info_field(client, "total_connections_received"), connections);
}

TEST(KvCli, GetAndDeleteOfMissingKey) {
  Kvd kvd;
  const CommandResult get = kv(kvd.port(), {"get", "nope"});
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_EQ(get.out, "nope: (nil)\n");
  EXPECT_EQ(get.err, "");
  const CommandResult del = kv(kvd.port(), {"del", "nope"});
  EXPECT_EQ(del.exit_code, 0);
  EXPECT_EQ(del.out, "deleted 0 of 1 key\n");
  EXPECT_EQ(del.err, "");
}

TEST(KvCli, SetNewKeyThenOverwrite) {
  Kvd kvd;
  RawClient client(kvd.port());
  const CommandResult first = kv(kvd.port(), {"set", "k", "v1"});
  EXPECT_EQ(first.exit_code, 0);
  EXPECT_EQ(first.out, "OK\n");
  EXPECT_EQ(first.err, "");
  EXPECT_EQ(client.call_raw({"GET", "k"}), bulk("v1"));
  const CommandResult second = kv(kvd.port(), {"set", "k", "second=value"});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.out, "OK\n");
  EXPECT_EQ(client.call_raw({"GET", "k"}), bulk("second=value"));
  EXPECT_EQ(client.call({"DBSIZE"}).integer, 1);
  EXPECT_EQ(kv(kvd.port(), {"get", "k"}).out, "k: second=value\n");
}

TEST(KvCli, SetManyIsOneMset) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::int64_t before = info_field(client, "total_commands_processed");
  const CommandResult r = kv(kvd.port(), {"set", "a=1", "b==2", "url=x=y", "=empty", "e="});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "OK\n");
  EXPECT_EQ(r.err, "");
  // kv's one MSET and this INFO.
  EXPECT_EQ(info_field(client, "total_commands_processed"), before + 2);
  EXPECT_EQ(client.call_raw({"MGET", "a", "b", "url", "", "e"}),
            "*5\r\n" + bulk("1") + bulk("=2") + bulk("x=y") + bulk("empty") + bulk(""));
  EXPECT_EQ(client.call({"DBSIZE"}).integer, 5);
  EXPECT_EQ(info_field(client, "set_ops"), 5);
}

TEST(KvCli, SetOneWithHostOption) {
  Kvd kvd;
  const CommandResult r = run_command(
      {binary_dir() + "/kv", "-h", "127.0.0.1", "-p", std::to_string(kvd.port()), "set", "k", "v"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "OK\n");
  RawClient client(kvd.port());
  EXPECT_EQ(client.call_raw({"GET", "k"}), bulk("v"));
}

TEST(KvCli, GetOneAndManyKeys) {
  Kvd kvd;
  RawClient client(kvd.port());
  ASSERT_EQ(client.call_raw({"MSET", "a", "1", "b", "two", "c", "three 3"}), "+OK\r\n");
  const CommandResult one = kv(kvd.port(), {"get", "b"});
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out, "b: two\n");
  const std::int64_t before = info_field(client, "total_commands_processed");
  const CommandResult many = kv(kvd.port(), {"get", "c", "missing", "a", "b"});
  EXPECT_EQ(many.exit_code, 0);
  EXPECT_EQ(many.out, "c: three 3\nmissing: (nil)\na: 1\nb: two\n");
  EXPECT_EQ(many.err, "");
  EXPECT_EQ(info_field(client, "total_commands_processed"), before + 2);  // One MGET.
}

TEST(KvCli, DeleteOneAndManyKeys) {
  Kvd kvd;
  RawClient client(kvd.port());
  ASSERT_EQ(client.call_raw({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), "+OK\r\n");
  const CommandResult one = kv(kvd.port(), {"del", "a"});
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out, "deleted 1 of 1 key\n");
  EXPECT_EQ(client.call({"EXISTS", "a"}).integer, 0);
  const std::int64_t before = info_field(client, "total_commands_processed");
  const CommandResult many = kv(kvd.port(), {"del", "b", "missing", "c"});
  EXPECT_EQ(many.exit_code, 0);
  EXPECT_EQ(many.out, "deleted 2 of 3 keys\n");
  EXPECT_EQ(many.err, "");
  EXPECT_EQ(info_field(client, "total_commands_processed"), before + 2);  // One DEL.
  EXPECT_EQ(client.call_raw({"MGET", "b", "c", "d"}), "*3\r\n$-1\r\n$-1\r\n" + bulk("4"));
  EXPECT_EQ(client.call({"DBSIZE"}).integer, 1);
}

TEST(KvCli, BinaryValuesFromFiles) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::string bytes = binary_bytes();
  const TempFile file("binary", bytes);
  const TempFile text("text", "line one\r\nline two\n");
  const TempFile empty("empty");
  std::ofstream(empty.path());
  ASSERT_EQ(kv(kvd.port(), {"set", "bin", "@" + file.path()}).out, "OK\n");
  EXPECT_EQ(client.call_raw({"GET", "bin"}), bulk(bytes));
  const CommandResult many =
      kv(kvd.port(), {"set", "t=@" + text.path(), "b=@" + file.path(), "e=@" + empty.path()});
  EXPECT_EQ(many.exit_code, 0);
  EXPECT_EQ(many.out, "OK\n");
  EXPECT_EQ(client.call_raw({"MGET", "t", "b", "e"}),
            "*3\r\n" + bulk("line one\r\nline two\n") + bulk(bytes) + bulk(""));
  const CommandResult raw = kv(kvd.port(), {"--raw", "get", "bin"});
  EXPECT_EQ(raw.exit_code, 0);
  EXPECT_EQ(raw.out, bytes + "\n");
}

TEST(KvCli, BinaryValuesFromStdin) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::string bytes = binary_bytes();
  const CommandResult one = kv(kvd.port(), {"set", "k", "-"}, bytes);
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out, "OK\n");
  EXPECT_EQ(client.call_raw({"GET", "k"}), bulk(bytes));
  const TempFile file("crlf", "\r\n\0x"s);
  const CommandResult many =
      kv(kvd.port(), {"set", "a=plain", "b=-", "c=@" + file.path()}, "from\0stdin\r\n"s);
  EXPECT_EQ(many.exit_code, 0);
  EXPECT_EQ(many.out, "OK\n");
  EXPECT_EQ(client.call_raw({"MGET", "a", "b", "c"}),
            "*3\r\n" + bulk("plain") + bulk("from\0stdin\r\n"s) + bulk("\r\n\0x"s));
  EXPECT_EQ(kv(kvd.port(), {"set", "empty", "-"}).out, "OK\n");  // stdin closed at once.
  EXPECT_EQ(client.call_raw({"GET", "empty"}), bulk(""));
}

TEST(KvCli, EscapedDisplayAndRaw) {
  Kvd kvd;
  RawClient client(kvd.port());
  const std::string value = "a\tb\"c\\d\r\n\0\x7f\xff\a\b \xc3\xa9!"s;
  ASSERT_EQ(client.call_raw({"MSET", "k", value, "empty", "", "new\nline", "x"}), "+OK\r\n");
  const CommandResult shown = kv(kvd.port(), {"get", "k", "empty", "new\nline", "missing"});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_EQ(shown.out,
            "k: a\\tb\\\"c\\\\d\\r\\n\\x00\\x7f\\xff\\a\\b \\xc3\\xa9!\n"
            "empty: \"\"\n"
            "new\\nline: x\n"
            "missing: (nil)\n");
  const CommandResult raw = kv(kvd.port(), {"--raw", "get", "k", "missing", "empty", "new\nline"});
  EXPECT_EQ(raw.exit_code, 0);
  EXPECT_EQ(raw.out, value + "\n\n\nx\n");
  const CommandResult raw_one = kv(kvd.port(), {"--raw", "get", "missing"});
  EXPECT_EQ(raw_one.exit_code, 0);
  EXPECT_EQ(raw_one.out, "\n");
}

// The metrics lines: the labels in order, each followed by a number.
void expect_server_lines(const std::string& out) {
  const std::vector<std::string> labels = {"Keys Stored",       "Bytes Stored (Values)",
                                           "Set Operations",    "Get Operations",
                                           "Delete Operations", "Commands Processed",
                                           "Connected Clients", "Total Connections",
                                           "Used Memory (RSS)", "Uptime (s)"};
  std::istringstream lines(out);
  std::string line;
  for (const std::string& label : labels) {
    ASSERT_TRUE(std::getline(lines, line)) << "missing " << label << " in:\n" << out;
    ASSERT_TRUE(line.starts_with(label + ": ")) << line;
    const std::string number = line.substr(label.size() + 2);
    EXPECT_TRUE(!number.empty() && number.find_first_not_of("0123456789") == std::string::npos)
        << line;
  }
  EXPECT_FALSE(std::getline(lines, line)) << "unexpected line: " << line;
  EXPECT_NE(out.find("Connected Clients: 1\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Used Memory (RSS): 0\n"), std::string::npos) << out;
}

// The number after "label: " in kv metrics output.
std::int64_t metric(const std::string& out, const std::string& label) {
  const std::size_t at = out.find(label + ": ");
  return at == std::string::npos ? -1 : std::stoll(out.substr(at + label.size() + 2));
}

TEST(KvCli, MetricsOfAFreshServerAreZero) {
  Kvd kvd;
  const CommandResult r = kv(kvd.port(), {"metrics"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(
      r.out.starts_with("Keys Stored: 0\nBytes Stored (Values): 0\nSet Operations: 0\n"
                        "Get Operations: 0\nDelete Operations: 0\n"))
      << r.out;
  expect_server_lines(r.out);
  // Between two runs: one PING and the second INFO were processed, two connections were made.
  ASSERT_EQ(kv(kvd.port(), {"ping"}).exit_code, 0);
  const CommandResult again = kv(kvd.port(), {"metrics"});
  EXPECT_EQ(metric(again.out, "Commands Processed"), metric(r.out, "Commands Processed") + 2);
  EXPECT_EQ(metric(again.out, "Total Connections"), metric(r.out, "Total Connections") + 2);
}

TEST(KvCli, MetricsCountAddsAndDeletes) {
  Kvd kvd;
  ASSERT_EQ(kv(kvd.port(), {"set", "a=1", "bb=22"}).exit_code, 0);         // 2 sets
  ASSERT_EQ(kv(kvd.port(), {"set", "ccc", "333"}).exit_code, 0);           // 1 set
  ASSERT_EQ(kv(kvd.port(), {"set", "a", "4444"}).exit_code, 0);            // 1 set, overwrite
  ASSERT_EQ(kv(kvd.port(), {"get", "a", "missing", "ccc"}).exit_code, 0);  // 3 gets
  ASSERT_EQ(kv(kvd.port(), {"get", "bb"}).exit_code, 0);                   // 1 get
  ASSERT_EQ(kv(kvd.port(), {"del", "bb", "missing"}).out, "deleted 1 of 2 keys\n");  // 2 deletes
  const CommandResult r = kv(kvd.port(), {"metrics"});
  EXPECT_EQ(r.exit_code, 0);
  // Left: a=4444 and ccc=333.
  EXPECT_TRUE(
      r.out.starts_with("Keys Stored: 2\nBytes Stored (Values): 7\nSet Operations: 4\n"
                        "Get Operations: 4\nDelete Operations: 2\n"))
      << r.out;
  expect_server_lines(r.out);
}

TEST(KvCli, Ping) {
  Kvd kvd;
  const CommandResult r = kv(kvd.port(), {"ping"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "PONG\n");
  EXPECT_EQ(r.err, "");
}

TEST(KvCli, ServerDownIsReported) {
  const int port = free_port();
  const std::string refused =
      "kv: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ping"}, {"get", "k"}, {"set", "k", "v"}, {"del", "k"}, {"metrics"}, {"shutdown"}}) {
    const CommandResult r = kv(port, args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, refused);
  }
}

TEST(KvCli, ErrorReplyIsPrintedAndExitsOne) {
  Kvd kvd({"--maxclients", "1"});
  // The harness's probe connections may still count for a moment: retry until this one is in.
  std::unique_ptr<RawClient> holder;
  for (int i = 0; i < 100 && !holder; ++i) {
    holder = std::make_unique<RawClient>(kvd.port());
    if (holder->call_raw({"PING"}) != "+PONG\r\n") {
      holder.reset();
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(holder);
  const CommandResult r = kv(kvd.port(), {"ping"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "(error) ERR max number of clients reached\n");
}

TEST(KvCli, ValueOverServerLimitShowsServerError) {
  Kvd kvd({"--proto-max-bulk-len", "1mb"});
  const TempFile big("big", std::string(3 * 1024 * 1024, 'x'));
  const CommandResult r = kv(kvd.port(), {"set", "big", "@" + big.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "(error) ERR Protocol error: invalid bulk length\n");
  RawClient client(kvd.port());
  EXPECT_EQ(client.call({"DBSIZE"}).integer, 0);
}

TEST(KvCli, SilentServerTimesOut) {
  // A listening socket that never accepts: the kernel completes the handshake, nobody replies.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  const auto start = std::chrono::steady_clock::now();
  const CommandResult r = kv(port, {"ping"});
  const auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "kv: no reply from 127.0.0.1:" + std::to_string(port) + " within 10 s\n");
  EXPECT_GE(took, 9s);
  EXPECT_LT(took, 30s);
}

TEST(KvCli, ServeRunsKvdOnTheGivenPort) {
  const int port = free_port();
  ServerProcess server({binary_dir() + "/kv", "-p", std::to_string(port), "serve", "--appendonly",
                        "no", "--save", ""},
                       port);
  EXPECT_EQ(kv(port, {"set", "k", "v"}).out, "OK\n");
  EXPECT_EQ(kv(port, {"get", "k"}).out, "k: v\n");
  RawClient client(port);
  EXPECT_EQ(client.call_raw({"GET", "k"}), bulk("v"));
  // kv became kvd (exec): the process it started is the server, and stops cleanly on SIGTERM.
  EXPECT_EQ(server.stop(), 0);
  EXPECT_FALSE(port_open(port));
}

TEST(KvCli, ServePassesHostAndArguments) {
  const int port = free_port();
  ServerProcess server(
      {binary_dir() + "/kv", "-h", "127.0.0.1", "-p", std::to_string(port), "serve", "--threads",
       "1", "--loglevel", "warning", "--appendonly", "no", "--save", ""},
      port);
  RawClient client(port);
  EXPECT_EQ(info_field(client, "threads"), 1);
  EXPECT_EQ(info_field(client, "tcp_port"), port);
}

// A kvd started with --daemonize --pidfile: killed by that pid if a test ends with it running.
class DaemonGuard {
 public:
  explicit DaemonGuard(std::string pidfile) : pidfile_(std::move(pidfile)) {}
  ~DaemonGuard() {
    const pid_t pid = this->pid();
    if (pid <= 0) return;
    // Only a kvd: a stale file must not make the test kill an unrelated process.
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string cmd((std::istreambuf_iterator<char>(cmdline)), {});
    if (cmd.find("kvd") != std::string::npos) kill(pid, SIGKILL);
  }
  DaemonGuard(const DaemonGuard&) = delete;
  DaemonGuard& operator=(const DaemonGuard&) = delete;

  // The pid in the file, or 0 if there is none (kvd removes it when it exits cleanly).
  pid_t pid() const {
    std::ifstream in(pidfile_);
    pid_t pid = 0;
    return in >> pid ? pid : 0;
  }

 private:
  std::string pidfile_;
};

TEST(KvCli, ServeDaemonizeThenShutdown) {
  const int port = free_port();
  const TempFile pidfile("daemon.pid");
  const DaemonGuard guard(pidfile.path());
  const CommandResult started =
      kv(port, {"serve", "--daemonize", "--pidfile", pidfile.path(), "--loglevel", "warning",
                "--appendonly", "no", "--save", ""});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "");
  EXPECT_EQ(started.err, "");
  // kvd --daemonize returns only once the server listens.
  EXPECT_TRUE(port_open(port));
  const pid_t pid = guard.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(kv(port, {"ping"}).out, "PONG\n");
  EXPECT_EQ(kv(port, {"set", "k", "v"}).out, "OK\n");
  EXPECT_EQ(kv(port, {"get", "k"}).out, "k: v\n");

  // A second daemon on the same port fails, and says why.
  const CommandResult again = kv(
      port, {"serve", "--daemonize", "--loglevel", "warning", "--appendonly", "no", "--save", ""});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "kvd: cannot listen on 127.0.0.1:" + std::to_string(port) +
                           ": Address already in use\n");

  const CommandResult stopped = kv(port, {"shutdown"});
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_EQ(stopped.out, "kvd at 127.0.0.1:" + std::to_string(port) + " shut down\n");
  EXPECT_EQ(stopped.err, "");
  EXPECT_TRUE(port_closes(port, 10s));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(kill(pid, 0), 0) << "the daemon is still running";
  EXPECT_EQ(guard.pid(), 0) << "kvd did not remove its pid file";
}

TEST(KvCli, ShutdownStopsTheServer) {
  Kvd kvd;
  const CommandResult r = kv(kvd.port(), {"shutdown"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "kvd at 127.0.0.1:" + std::to_string(kvd.port()) + " shut down\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(kvd.wait_exit(10s), 0);
  EXPECT_FALSE(port_open(kvd.port()));
  const CommandResult after = kv(kvd.port(), {"shutdown"});
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_EQ(after.err, "kv: cannot connect to 127.0.0.1:" + std::to_string(kvd.port()) +
                           ": Connection refused\n");
}

}  // namespace
}  // namespace kv::test
