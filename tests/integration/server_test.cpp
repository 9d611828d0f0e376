// The real kvd over loopback: pipelining with hiredis, lifecycle, limits, options.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "harness.hpp"

namespace kv::test {
namespace {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

ContextPtr connect(int port) {
  ContextPtr c(redisConnect("127.0.0.1", port));
  if (!c || c->err) throw std::runtime_error("hiredis connect failed");
  return c;
}

ReplyPtr next_reply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) return nullptr;
  return ReplyPtr(static_cast<redisReply*>(r));
}

std::string temp_path(const std::string& name) {
  return "/tmp/kvd-test-" + std::to_string(getpid()) + "-" + name;
}

TEST(Server, HiredisPipelineOfTenThousandCommands) {
  Kvd kvd;
  auto c = connect(kvd.port());
  constexpr int kCommands = 10000;
  for (int i = 0; i < kCommands / 2; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::string value = "value-" + std::to_string(i * 7);
    redisAppendCommand(c.get(), "SET %b %b", key.data(), key.size(), value.data(), value.size());
  }
  for (int i = 0; i < kCommands / 2; ++i) {
    const std::string key = "key:" + std::to_string(i);
    redisAppendCommand(c.get(), "GET %b", key.data(), key.size());
  }
  for (int i = 0; i < kCommands / 2; ++i) {
    auto r = next_reply(c.get());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->type, REDIS_REPLY_STATUS);
    ASSERT_STREQ(r->str, "OK");
  }
  for (int i = 0; i < kCommands / 2; ++i) {
    auto r = next_reply(c.get());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->type, REDIS_REPLY_STRING);
    ASSERT_EQ(std::string(r->str, r->len), "value-" + std::to_string(i * 7));
  }
  auto r = ReplyPtr(static_cast<redisReply*>(redisCommand(c.get(), "DBSIZE")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->integer, kCommands / 2);
}

TEST(Server, BinaryValuesRoundTrip) {
  Kvd kvd;
  auto c = connect(kvd.port());
  std::string value(3 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>((i * 131) % 256);
  const std::string key("k\0\r\n", 4);
  ReplyPtr set(static_cast<redisReply*>(
      redisCommand(c.get(), "SET %b %b", key.data(), key.size(), value.data(), value.size())));
  ASSERT_TRUE(set);
  EXPECT_STREQ(set->str, "OK");
  ReplyPtr get(static_cast<redisReply*>(redisCommand(c.get(), "GET %b", key.data(), key.size())));
  ASSERT_TRUE(get);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), value);
}

TEST(Server, ShutdownCommandExitsZero) {
  Kvd kvd;
  RawClient client(kvd.port());
  client.send_command({"SET", "a", "1"});
  client.send_command({"GET", "a"});
  client.send_command({"SHUTDOWN"});
  // Commands before SHUTDOWN in the same pipeline are answered; SHUTDOWN itself is not.
  EXPECT_EQ(client.read_until_close(), "+OK\r\n$1\r\n1\r\n");
  EXPECT_EQ(kvd.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_FALSE(port_open(kvd.port()));
}

TEST(Server, SigtermAndSigintExitZero) {
  for (int sig : {SIGTERM, SIGINT}) {
    Kvd kvd;
    RawClient idle(kvd.port());
    EXPECT_EQ(idle.call_raw({"PING"}), "+PONG\r\n");
    kill(kvd.pid(), sig);
    EXPECT_EQ(kvd.wait_exit(std::chrono::seconds(10)), 0) << "signal " << sig;
    EXPECT_EQ(idle.read_until_close(), "");
  }
}

TEST(Server, SigtermWithAClientThatNeverReadsExitsZeroAfterTheGrace) {
  // 32 MB of replies the client never reads: the connection still has a write in flight when
  // the shutdown watchdog stops the event loops, so its handler is destroyed with its
  // io_context, after the server object. Under ASan this once was a use-after-free.
  Kvd kvd;
  RawClient stuck(kvd.port());
  EXPECT_EQ(stuck.call_raw({"SET", "big", std::string(4 << 20, 'x')}), "+OK\r\n");
  std::string gets;
  for (int i = 0; i < 8; ++i) gets += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
  stuck.send(gets);
  RawClient other(kvd.port());
  EXPECT_EQ(other.call_raw({"PING"}), "+PONG\r\n");  // The GETs were read by now or soon.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(kvd.pid(), SIGTERM);
  EXPECT_EQ(kvd.wait_exit(std::chrono::seconds(15)), 0);
}

TEST(Server, QuitAnswersOkThenCloses) {
  Kvd kvd;
  RawClient client(kvd.port());
  client.send("PING\r\nQUIT\r\nPING\r\n");
  EXPECT_EQ(client.read_until_close(), "+PONG\r\n+OK\r\n");
}

TEST(Server, MaxclientsRefusesExtraConnections) {
  Kvd kvd({"--maxclients", "2"});
  RawClient a(kvd.port());
  RawClient b(kvd.port());
  EXPECT_EQ(a.call_raw({"PING"}), "+PONG\r\n");
  EXPECT_EQ(b.call_raw({"PING"}), "+PONG\r\n");
  RawClient c(kvd.port());
  EXPECT_EQ(c.read_until_close(), "-ERR max number of clients reached\r\n");
  EXPECT_EQ(a.call_raw({"CONFIG", "SET", "maxclients", "3"}), "+OK\r\n");
  RawClient d(kvd.port());
  EXPECT_EQ(d.call_raw({"PING"}), "+PONG\r\n");
}

TEST(Server, ConfigFileSetsOptionsAndCommandLineWins) {
  const std::string path = temp_path("kvd.conf");
  {
    std::ofstream conf(path);
    conf << "# a comment\n\nmaxclients 77\nloglevel \"warning\"\nproto-max-bulk-len 2mb\n";
  }
  Kvd kvd({"--config", path, "--maxclients", "55"});
  RawClient client(kvd.port());
  EXPECT_EQ(client.call_raw({"CONFIG", "GET", "maxclients"}),
            "*2\r\n$10\r\nmaxclients\r\n$2\r\n55\r\n");
  EXPECT_EQ(client.call_raw({"CONFIG", "GET", "proto-max-bulk-len"}),
            "*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n2097152\r\n");
  std::remove(path.c_str());
}

TEST(Server, HelpListsEveryOptionWithDefaults) {
  const auto r = run_command({binary_dir() + "/kvd", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"--port", "(=6380)", "--bind", "127.0.0.1", "--threads", "--loglevel",
                             "--logfile", "--daemonize", "--pidfile", "--maxclients", "(=10000)",
                             "--config", "--proto-max-bulk-len"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
}

TEST(Server, BadOptionsExitNonZeroWithMessage) {
  auto r = run_command({binary_dir() + "/kvd", "--port", "notaport"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("kvd:"), std::string::npos);
  r = run_command({binary_dir() + "/kvd", "--loglevel", "loud"});
  EXPECT_EQ(r.exit_code, 1);
  r = run_command({binary_dir() + "/kvd", "--config", "/nonexistent/kvd.conf"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open config file"), std::string::npos);
}

TEST(Server, PortInUseFailsToStart) {
  Kvd first;
  const auto r = run_command({binary_dir() + "/kvd", "--port", std::to_string(first.port())}, {},
                             std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                       ": Address already in use"),
            std::string::npos)
      << r.err;
}

TEST(Server, DaemonizeReturnsWhenListeningAndWritesPidfile) {
  const int port = free_port();
  const std::string pidfile = temp_path("kvd.pid");
  const auto r = run_command({binary_dir() + "/kvd", "--appendonly", "no", "--save", "", "--port",
                              std::to_string(port), "--daemonize", "--pidfile", pidfile,
                              "--loglevel", "warning"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  pid_t pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(port_open(port));
  {
    RawClient client(port);
    EXPECT_EQ(client.call_raw({"PING"}), "+PONG\r\n");
    client.send_command({"SHUTDOWN"});
    EXPECT_EQ(client.read_until_close(), "");
  }
  for (int i = 0; i < 500 && kill(pid, 0) == 0; ++i) usleep(10000);
  if (kill(pid, 0) == 0) {
    kill(pid, SIGKILL);
    FAIL() << "daemon did not exit after SHUTDOWN";
  }
  EXPECT_FALSE(std::ifstream(pidfile).good()) << "pidfile left behind";
}

TEST(Server, BindAcceptsHostNames) {
  Kvd kvd({"--bind", "localhost"});
  RawClient client(kvd.port());
  EXPECT_EQ(client.call_raw({"PING"}), "+PONG\r\n");
}

TEST(Server, DaemonizeReportsBindFailure) {
  Kvd first;
  const auto r = run_command({binary_dir() + "/kvd", "--appendonly", "no", "--save", "", "--port",
                              std::to_string(first.port()), "--daemonize", "yes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("kvd:"), std::string::npos);
}

TEST(Server, ClientListShowsEveryConnection) {
  Kvd kvd({"--threads", "2"});
  RawClient a(kvd.port());
  RawClient b(kvd.port());
  EXPECT_EQ(a.call_raw({"CLIENT", "SETNAME", "alpha"}), "+OK\r\n");
  EXPECT_EQ(b.call_raw({"CLIENT", "SETNAME", "beta"}), "+OK\r\n");
  const proto::Reply list = a.call({"CLIENT", "LIST"});
  EXPECT_NE(list.str.find("name=alpha"), std::string::npos);
  EXPECT_NE(list.str.find("name=beta"), std::string::npos);
  EXPECT_NE(list.str.find("cmd=client|list"), std::string::npos);
  const proto::Reply info = a.call({"INFO", "clients"});
  EXPECT_NE(info.str.find("connected_clients:2\r\n"), std::string::npos) << info.str;
}

TEST(Server, LargePipelineWithoutReadingDoesNotDeadlock) {
  // 20k GETs of a 1 KiB value make ~20 MB of replies; the client writes them all before
  // reading anything, which only works if the server keeps reading while replies wait.
  Kvd kvd;
  RawClient client(kvd.port());
  EXPECT_EQ(client.call_raw({"SET", "k", std::string(1024, 'x')}), "+OK\r\n");
  std::string batch;
  for (int i = 0; i < 20000; ++i) batch += "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  client.send(batch);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(client.read().str.size(), 1024u) << i;
  }
}

}  // namespace
}  // namespace kv::test
