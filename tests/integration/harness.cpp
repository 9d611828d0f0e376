#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

namespace kv::test {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string binary_dir() { return KV_BINARY_DIR; }

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

ServerProcess::ServerProcess(std::vector<std::string> argv, int port) : port_(port) {
  auto args = c_argv(argv);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!port_open(port_)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited at start: " + argv[0]);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("server did not start listening: " + argv[0]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ServerProcess::~ServerProcess() { stop(); }

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int ServerProcess::stop() {
  if (pid_ < 0) return status_;
  kill(pid_, SIGTERM);
  if (wait_exit(std::chrono::seconds(10)) == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    status_ = -1;
  }
  return status_;
}

Kvd::Kvd(int port, std::vector<std::string> extra, bool wait_ready)
    : ServerProcess(
          [&] {
            std::vector<std::string> argv = {binary_dir() + "/kvd", "--port", std::to_string(port),
                                             "--loglevel", "warning"};
            // No files unless the test asks for them.
            const auto given = [&](std::string_view name) {
              return std::find(extra.begin(), extra.end(), name) != extra.end();
            };
            if (!given("--appendonly")) argv.insert(argv.end(), {"--appendonly", "no"});
            if (!given("--save")) argv.insert(argv.end(), {"--save", ""});
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          port) {
  if (wait_ready) wait_until_served(port);
}

// kvd listens before it has loaded its data and answers -LOADING meanwhile. A probe may also be
// refused while port_open's probes still count against a small maxclients: it tries again. The
// probe that gets +PONG says QUIT, so kvd closes it itself and soon stops counting it.
void Kvd::wait_until_served(int port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    try {
      RawClient probe(port);
      if (probe.call_raw({"PING"}) == "+PONG\r\n") {
        probe.send_command({"QUIT"});
        probe.read_until_close();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return;
      }
    } catch (const std::exception&) {
      // Refused (maxclients) and closed: try again.
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("kvd did not start serving commands");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RedisServer::RedisServer(int port, std::vector<std::string> extra)
    : ServerProcess(
          [&] {
            std::vector<std::string> argv = {"redis-server",
                                             "--port",
                                             std::to_string(port),
                                             "--bind",
                                             "127.0.0.1",
                                             "--save",
                                             "",
                                             "--appendonly",
                                             "no",
                                             "--daemonize",
                                             "no",
                                             "--loglevel",
                                             "warning"};
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          port) {}

CommandResult run_command(const std::vector<std::string>& argv_in, std::string_view input,
                          std::chrono::seconds timeout) {
  std::vector<std::string> argv = argv_in;
  auto args = c_argv(argv);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  std::size_t written = 0;
  if (input.empty()) close(in_pipe[1]);
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true, err_open = true, in_open = !input.empty();
  while ((out_open || err_open) && std::chrono::steady_clock::now() < deadline) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
    if (!out_open) fds[0].fd = -1;
    if (!err_open) fds[1].fd = -1;
    if (!in_open) fds[2].fd = -1;
    if (poll(fds, 3, 100) <= 0) continue;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
    if (in_open && fds[2].revents != 0) {
      const ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == input.size()) {
        close(in_pipe[1]);
        in_open = false;
      }
    }
  }
  if (in_open) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  if (out_open || err_open) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    throw std::runtime_error("connect failed");
  }
  timeval tv{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawClient::~RawClient() { close(fd_); }

void RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void RawClient::send_command(const std::vector<std::string>& args) {
  send(proto::encode_command(std::span<const std::string>(args)));
}

bool RawClient::fill() {
  char buf[65536];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  buf_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string RawClient::read_raw() {
  while (true) {
    proto::Reply reply;
    std::size_t used = 0;
    const auto status = proto::ReplyReader::parse(buf_, reply, used);
    if (status == proto::ReadStatus::reply) {
      std::string raw = buf_.substr(0, used);
      buf_.erase(0, used);
      return raw;
    }
    if (status == proto::ReadStatus::error) throw std::runtime_error("bad reply bytes: " + buf_);
    if (!fill()) return "";
  }
}

proto::Reply RawClient::read() {
  const std::string raw = read_raw();
  if (raw.empty()) throw std::runtime_error("connection closed");
  proto::Reply reply;
  std::size_t used = 0;
  proto::ReplyReader::parse(raw, reply, used);
  return reply;
}

std::string RawClient::call_raw(const std::vector<std::string>& args) {
  send_command(args);
  return read_raw();
}

proto::Reply RawClient::call(const std::vector<std::string>& args) {
  send_command(args);
  return read();
}

std::string RawClient::read_until_close() {
  while (fill()) {
  }
  return std::exchange(buf_, std::string());
}

}  // namespace kv::test
