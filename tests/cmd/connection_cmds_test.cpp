// PING, ECHO, SELECT, HELLO, QUIT, RESET and CLIENT: exact replies, checked against
// redis-server 7.0.15 (CLIENT SETINFO, which 7.0 lacks, against Redis 7.2's source).
#include <string>

#include "cmd_harness.hpp"
#include "store/store.hpp"

namespace kv::cmd::test {
namespace {

using ConnectionCmd = CmdTest;

std::string hello_reply(int resp, int id) {
  std::string out = resp == 3 ? "%7\r\n" : "*14\r\n";
  out += bulk("server") + bulk("redis") + bulk("version") + bulk("7.0.15") + bulk("proto") +
         integer(resp) + bulk("id") + integer(id) + bulk("mode") + bulk("standalone") +
         bulk("role") + bulk("master") + bulk("modules") + "*0\r\n";
  return out;
}

// CLIENT LIST/INFO lines carry ages in seconds; pin them so the text is exact.
std::string pin_ages(std::string text) {
  for (const std::string field : {" age=", " idle="}) {
    for (std::size_t at = text.find(field); at != std::string::npos;
         at = text.find(field, at + 1)) {
      const std::size_t digits = at + field.size();
      std::size_t end = digits;
      while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
      text.replace(digits, end - digits, "0");
    }
  }
  return text;
}

std::string client_line(int id, const std::string& addr, const std::string& name,
                        const std::string& cmd, int resp = 2, const std::string& lib_name = "",
                        const std::string& lib_ver = "") {
  return "id=" + std::to_string(id) + " addr=" + addr + " laddr=127.0.0.1:6380 fd=7 name=" + name +
         " age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0"
         " multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=" +
         cmd + " user=default redir=-1 resp=" + std::to_string(resp) + " lib-name=" + lib_name +
         " lib-ver=" + lib_ver + "\n";
}

TEST_F(ConnectionCmd, Ping) {
  EXPECT_EQ(run({"ping"}), "+PONG\r\n");
  EXPECT_EQ(run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(run({"Ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(run({"ping", "a\r\nb"}), "$4\r\na\r\nb\r\n");
  EXPECT_EQ(run({"ping", ""}), "$0\r\n\r\n");
  EXPECT_EQ(run({"ping", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
}

TEST_F(ConnectionCmd, Echo) {
  EXPECT_EQ(run({"echo", "hello"}), "$5\r\nhello\r\n");
  EXPECT_EQ(run({"echo", ""}), "$0\r\n\r\n");
  EXPECT_EQ(run({"echo", "a\r\nb"}), "$4\r\na\r\nb\r\n");
  EXPECT_EQ(run({"echo"}), wrong_args("echo"));
  EXPECT_EQ(run({"echo", "a", "b"}), wrong_args("echo"));
}

TEST_F(ConnectionCmd, Select) {
  EXPECT_EQ(run({"select", "0"}), "+OK\r\n");
  EXPECT_EQ(run({"select", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"select", "-1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"select", "2147483648"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(run({"select", "2147483647"}), "-ERR DB index is out of range\r\n");
  for (const char* bad : {"x", "01", "-0", " 0", "0x", "1.0", ""}) {
    EXPECT_EQ(run({"select", bad}), "-ERR value is not an integer or out of range\r\n") << bad;
  }
  EXPECT_EQ(run({"select"}), wrong_args("select"));
  EXPECT_EQ(run({"select", "0", "1"}), wrong_args("select"));
  EXPECT_EQ(session().db, 0);
  // Databases are separate keyspaces.
  EXPECT_EQ(run({"set", "k", "zero"}), "+OK\r\n");
  EXPECT_EQ(run({"select", "15"}), "+OK\r\n");
  EXPECT_EQ(session().db, 15);
  EXPECT_EQ(run({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(run({"set", "k", "fifteen"}), "+OK\r\n");
  EXPECT_EQ(run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(run({"select", "0"}), "+OK\r\n");
  EXPECT_EQ(run({"get", "k"}), "$4\r\nzero\r\n");
}

TEST_F(ConnectionCmd, MoveSwapdbAndFlushPerDatabase) {
  run({"psetex", "k", "9000", "v"});
  EXPECT_EQ(run({"move", "k", "3"}), ":1\r\n");
  EXPECT_EQ(run({"move", "k", "3"}), ":0\r\n");
  EXPECT_EQ(run({"move", "k", "0"}), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(run({"move", "k", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"move", "k", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(
      store::Store::update_across(dbs_.db(3), "k", dbs_.db(4), "x",
                                  [](store::KeyRef& k, store::KeyRef&) { return k.expire_at(); }),
      clock_.now_ms() + 9000);  // The deadline moved with the key.
  run({"select", "3"});
  run({"set", "other", "1"});
  run({"select", "0"});
  run({"set", "mine", "1"});
  EXPECT_EQ(run({"move", "mine", "3"}), ":1\r\n");
  run({"set", "k", "clash"});
  EXPECT_EQ(run({"move", "k", "3"}), ":0\r\n");  // Database 3 has k already.
  EXPECT_EQ(run({"swapdb", "0", "3"}), "+OK\r\n");
  EXPECT_EQ(run({"dbsize"}), ":3\r\n");  // Now database 0 is the old 3.
  EXPECT_EQ(run({"get", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(run({"swapdb", "0", "x"}), "-ERR invalid second DB index\r\n");
  EXPECT_EQ(run({"swapdb", "x", "0"}), "-ERR invalid first DB index\r\n");
  EXPECT_EQ(run({"swapdb", "0", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"swapdb", "1", "1"}), "+OK\r\n");
  EXPECT_EQ(run({"flushdb"}), "+OK\r\n");
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
  run({"select", "3"});
  EXPECT_EQ(run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(run({"flushall"}), "+OK\r\n");
  EXPECT_EQ(run({"dbsize"}), ":0\r\n");
}

TEST_F(ConnectionCmd, HelloWithoutArgumentsKeepsTheProtocol) {
  EXPECT_EQ(run({"hello"}), hello_reply(2, 1));
  EXPECT_EQ(run({"hello", "2"}), hello_reply(2, 1));
  EXPECT_EQ(session().resp, 2);
}

TEST_F(ConnectionCmd, Hello3SwitchesToResp3) {
  EXPECT_EQ(run({"hello", "3"}), hello_reply(3, 1));
  EXPECT_EQ(session().resp, 3);
  EXPECT_EQ(run({"hello"}), hello_reply(3, 1));
  EXPECT_EQ(run({"get", "missing"}), "_\r\n");
  EXPECT_EQ(run({"client", "getname"}), "_\r\n");
  EXPECT_EQ(run({"ping"}), "+PONG\r\n");
  EXPECT_EQ(run({"hello", "2"}), hello_reply(2, 1));
  EXPECT_EQ(run({"get", "missing"}), "$-1\r\n");
}

TEST_F(ConnectionCmd, HelloRejectsOtherVersions) {
  run({"hello", "3"});
  EXPECT_EQ(run({"hello", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(run({"hello", "1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(run({"hello", "-1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(run({"hello", "0"}), "-NOPROTO unsupported protocol version\r\n");
  for (const char* bad : {"x", "3.0", "03", "99999999999999999999", ""}) {
    EXPECT_EQ(run({"hello", bad}), "-ERR Protocol version is not an integer or out of range\r\n")
        << bad;
  }
  // A refused HELLO leaves the protocol as it was.
  EXPECT_EQ(run({"get", "missing"}), "_\r\n");
}

TEST_F(ConnectionCmd, HelloSetnameAndAuth) {
  EXPECT_EQ(run({"hello", "2", "setname", "n1"}), hello_reply(2, 1));
  EXPECT_EQ(run({"client", "getname"}), "$2\r\nn1\r\n");
  // The default user has no password, so any password works, as in a fresh Redis.
  EXPECT_EQ(run({"HeLLo", "3", "AUTH", "default", "whatever", "SETNAME", "n2"}), hello_reply(3, 1));
  EXPECT_EQ(run({"client", "getname"}), "$2\r\nn2\r\n");
  EXPECT_EQ(run({"hello", "2", "setname", "a", "setname", "b"}), hello_reply(2, 1));
  EXPECT_EQ(run({"client", "getname"}), "$1\r\nb\r\n");
}

TEST_F(ConnectionCmd, HelloErrors) {
  EXPECT_EQ(run({"hello", "2", "auth", "bob", "x"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(run({"hello", "2", "auth", "Default", "x"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(run({"hello", "2", "setname", "foo bar"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"HeLLo", "2", "SETNAME", "x\r\ny"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"hello", "2", "setname"}), "-ERR Syntax error in HELLO option 'setname'\r\n");
  EXPECT_EQ(run({"hello", "2", "auth", "default"}), "-ERR Syntax error in HELLO option 'auth'\r\n");
  EXPECT_EQ(run({"hello", "2", "foo"}), "-ERR Syntax error in HELLO option 'foo'\r\n");
  EXPECT_EQ(run({"hello", "2", "foo\r\nbar"}), "-ERR Syntax error in HELLO option 'foo  bar'\r\n");
  // Nothing above changed the client.
  EXPECT_EQ(run({"client", "getname"}), "$-1\r\n");
  EXPECT_EQ(session().resp, 2);
}

TEST_F(ConnectionCmd, QuitRepliesOkThenCloses) {
  EXPECT_FALSE(session().close_after_reply);
  EXPECT_EQ(run({"quit"}), "+OK\r\n");
  EXPECT_TRUE(session().close_after_reply);
}

TEST_F(ConnectionCmd, QuitIgnoresArguments) {
  EXPECT_EQ(run({"QUIT", "x"}), "+OK\r\n");
  EXPECT_TRUE(session().close_after_reply);
}

TEST_F(ConnectionCmd, ResetRestoresDefaults) {
  run({"client", "setname", "nm"});
  run({"hello", "3"});
  EXPECT_EQ(run({"reset"}), "+RESET\r\n");
  EXPECT_EQ(run({"client", "getname"}), "$-1\r\n");
  EXPECT_EQ(run({"get", "x"}), "$-1\r\n");
  EXPECT_EQ(session().resp, 2);
  EXPECT_EQ(session().db, 0);
  EXPECT_FALSE(session().close_after_reply);
  EXPECT_EQ(run({"reset", "x"}), wrong_args("reset"));
}

TEST_F(ConnectionCmd, ClientId) {
  EXPECT_EQ(run({"client", "id"}), ":1\r\n");
  TestClient& other = connect("127.0.0.1:50002");
  EXPECT_EQ(run_as(other, {"CLIENT", "ID"}), ":2\r\n");
  EXPECT_EQ(run({"client", "id", "x"}), wrong_args("client|id"));
}

TEST_F(ConnectionCmd, ClientSetnameAndGetname) {
  EXPECT_EQ(run({"client", "getname"}), "$-1\r\n");
  EXPECT_EQ(run({"client", "setname", "abc"}), "+OK\r\n");
  EXPECT_EQ(run({"client", "getname"}), "$3\r\nabc\r\n");
  EXPECT_EQ(session().name, "abc");
  // An empty name clears it.
  EXPECT_EQ(run({"client", "setname", ""}), "+OK\r\n");
  EXPECT_EQ(run({"client", "getname"}), "$-1\r\n");
}

TEST_F(ConnectionCmd, ClientSetnameRejectsSpacesAndSpecialCharacters) {
  run({"client", "setname", "keep"});
  const std::string bads[] = {"a b",  "a\nb", "a\r\nb", "\xc3\xa9", std::string("a\0b", 3),
                              "\x7f", "tab\t"};
  for (const std::string& bad : bads) {
    EXPECT_EQ(run({"client", "setname", bad}),
              "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  }
  EXPECT_EQ(run({"client", "getname"}), "$4\r\nkeep\r\n");
  EXPECT_EQ(run({"client", "setname", "!~"}), "+OK\r\n");
}

TEST_F(ConnectionCmd, ClientSubcommandArity) {
  EXPECT_EQ(run({"client", "setname"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(run({"CLIENT", "SETNAME", "a", "b"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(run({"client", "getname", "x"}), wrong_args("client|getname"));
  EXPECT_EQ(run({"client", "info", "x"}), wrong_args("client|info"));
  EXPECT_EQ(run({"client", "setinfo", "lib-name"}), wrong_args("client|setinfo"));
  EXPECT_EQ(run({"client"}), wrong_args("client"));
}

TEST_F(ConnectionCmd, ClientUnknownSubcommand) {
  EXPECT_EQ(run({"client", "foo"}), "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(run({"client", "FOO", "bar"}), "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(run({"Client", "foo"}), "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(run({"client", "foo\r\nbar"}),
            "-ERR unknown subcommand 'foo  bar'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(run({"client", std::string(200, 'x')}),
            "-ERR unknown subcommand '" + std::string(128, 'x') + "'. Try CLIENT HELP.\r\n");
}

TEST_F(ConnectionCmd, ClientHelpListsSubcommands) {
  const std::string reply = run({"client", "help"});
  // Redis's help text differs line by line; its first line is the same.
  EXPECT_EQ(reply.substr(0, reply.find("\r\n", 5) + 2),
            "*7\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
  EXPECT_NE(reply.find("\r\n+SETNAME: "), std::string::npos);
}

TEST_F(ConnectionCmd, ClientSetinfo) {
  EXPECT_EQ(run({"client", "setinfo", "lib-name", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(run({"client", "setinfo", "LIB-VER", "1.0"}), "+OK\r\n");
  EXPECT_EQ(session().lib_name, "redis-py");
  EXPECT_EQ(session().lib_ver, "1.0");
  EXPECT_EQ(run({"client", "setinfo", "foo", "x"}), "-ERR Unrecognized option 'foo'\r\n");
  EXPECT_EQ(run({"client", "setinfo", "lib-name", "a b"}),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(run({"client", "setinfo", "lib-ver", "1\n"}),
            "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(session().lib_name, "redis-py");
}

TEST_F(ConnectionCmd, ClientInfoDescribesTheCaller) {
  run({"client", "setname", "me"});
  const std::string reply = run({"client", "info"});
  EXPECT_EQ(pin_ages(reply), verbatim(client_line(1, "127.0.0.1:50001", "me", "client|info"), 2));
  run({"client", "setinfo", "lib-name", "jedis"});
  run({"hello", "3"});
  EXPECT_EQ(pin_ages(run({"client", "info"})),
            verbatim(client_line(1, "127.0.0.1:50001", "me", "client|info", 3, "jedis"), 3));
}

TEST_F(ConnectionCmd, ClientListShowsEveryClientInIdOrder) {
  TestClient& other = connect("10.0.0.2:40000");
  run_as(other, {"client", "setname", "second"});
  const std::string both = client_line(1, "127.0.0.1:50001", "", "client|list") +
                           client_line(2, "10.0.0.2:40000", "second", "client|setname");
  EXPECT_EQ(pin_ages(run({"client", "list"})), bulk(both));
  EXPECT_EQ(pin_ages(run({"client", "list", "TYPE", "NORMAL"})), bulk(both));
  EXPECT_EQ(pin_ages(run({"client", "list", "id", "2"})),
            bulk(client_line(2, "10.0.0.2:40000", "second", "client|setname")));
  EXPECT_EQ(pin_ages(run({"client", "list", "id", "2", "1", "99"})), bulk(both));
  EXPECT_EQ(run({"client", "list", "id", "99"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"client", "list", "type", "pubsub"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"client", "list", "type", "master"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"client", "list", "type", "replica"}), "$0\r\n\r\n");
}

TEST_F(ConnectionCmd, ClientListErrors) {
  EXPECT_EQ(run({"client", "list", "type", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(run({"client", "list", "type"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"client", "list", "id"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"client", "list", "id", "abc"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(run({"client", "list", "id", "1", "abc"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(run({"client", "list", "id", "3", "type", "normal"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(run({"client", "list", "foo"}), "-ERR syntax error\r\n");
}

TEST_F(ConnectionCmd, ClientListIsVerbatimInResp3) {
  run({"hello", "3"});
  const std::string reply = run({"client", "list"});
  EXPECT_EQ(pin_ages(reply), verbatim(client_line(1, "127.0.0.1:50001", "", "client|list", 3), 3));
}

}  // namespace
}  // namespace kv::cmd::test
