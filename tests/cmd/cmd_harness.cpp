#include "cmd_harness.hpp"

#include <charconv>

namespace kv::cmd::test {

namespace {
void init_session(Session& s, const std::string& addr) {
  s.addr = addr;
  s.laddr = "127.0.0.1:6380";
  s.fd = 7;
  s.created_ms = steady_ms();
  s.last_ms.store(s.created_ms);
}
}  // namespace

CmdTest::CmdTest() {
  init_session(main_.session, "127.0.0.1:50001");
  server_.clients.add(main_.session);
}

CmdTest::~CmdTest() {
  for (auto& c : others_) server_.clients.remove(c->session);
  server_.clients.remove(main_.session);
}

std::string CmdTest::run_as(TestClient& client, const std::vector<std::string>& args) {
  const std::vector<std::string_view> views(args.begin(), args.end());
  client.out.clear();
  dispatcher_.dispatch(client.session, views, client.writer);
  return client.out;
}

TestClient& CmdTest::connect(const std::string& addr) {
  others_.push_back(std::make_unique<TestClient>());
  TestClient& c = *others_.back();
  init_session(c.session, addr);
  server_.clients.add(c.session);
  return c;
}

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string integer(std::int64_t n) { return ":" + std::to_string(n) + "\r\n"; }

std::string simple(std::string_view s) { return "+" + std::string(s) + "\r\n"; }

std::string err(std::string_view s) { return "-" + std::string(s) + "\r\n"; }

std::string array(const std::vector<std::string>& items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) out += i;
  return out;
}

std::string wrong_args(std::string_view name) {
  return "-ERR wrong number of arguments for '" + std::string(name) + "' command\r\n";
}

std::string verbatim(std::string_view text, int resp) {
  if (resp == 2) return bulk(text);
  return "=" + std::to_string(text.size() + 4) + "\r\ntxt:" + std::string(text) + "\r\n";
}

std::string payload(std::string_view reply) {
  if (reply.empty() || (reply[0] != '$' && reply[0] != '=')) {
    ADD_FAILURE() << "not a bulk or verbatim reply: " << reply.substr(0, 60);
    return {};
  }
  const std::size_t crlf = reply.find("\r\n");
  std::size_t len = 0;
  std::from_chars(reply.data() + 1, reply.data() + crlf, len);
  if (crlf + 2 + len + 2 != reply.size() || reply.substr(reply.size() - 2) != "\r\n") {
    ADD_FAILURE() << "bad length " << len << " for a reply of " << reply.size() << " bytes";
    return {};
  }
  std::string_view text = reply.substr(crlf + 2, len);
  if (reply[0] == '=') {
    EXPECT_EQ(text.substr(0, 4), "txt:");
    text.remove_prefix(4);
  }
  return std::string(text);
}

std::string info_field(std::string_view info, std::string_view name) {
  const std::string key = std::string(name) + ":";
  std::size_t at = 0;
  while ((at = info.find(key, at)) != std::string_view::npos) {
    if (at == 0 || info[at - 1] == '\n') {
      const std::size_t end = info.find("\r\n", at);
      return std::string(info.substr(at + key.size(), end - at - key.size()));
    }
    at += key.size();
  }
  return "<absent>";
}

}  // namespace kv::cmd::test
