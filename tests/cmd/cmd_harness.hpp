// In-process command tests: a Store, Settings, ServerContext and Dispatcher, and registered
// sessions, so run({"incrby", "k", "5"}) returns the exact reply bytes, with no sockets.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/context.hpp"
#include "cmd/dispatcher.hpp"
#include "cmd/session.hpp"
#include "proto/reply_writer.hpp"
#include "store/databases.hpp"
#include "store/store.hpp"

namespace kv::cmd::test {

/// One client as a connection would hold it: its session and a reply writer that lives as long
/// as the connection (so HELLO's protocol switch persists across commands).
struct TestClient {
  Session session;                 ///< Registered with the fixture's ClientRegistry.
  std::string out;                 ///< Replies of the last command.
  proto::ReplyWriter writer{out};  ///< Starts in RESP2.
};

/// Fixture with a fresh server per test and one connected client (id 1).
///
/// The store has 4 stripes so multi-key commands cross stripes and share them, and runs on a
/// manual clock (clock_) that tests move instead of sleeping.
class CmdTest : public ::testing::Test {
 protected:
  CmdTest();
  ~CmdTest() override;

  /// Runs `args` (name first) as the main client; returns exactly the bytes written.
  std::string run(const std::vector<std::string>& args) { return run_as(main_, args); }
  /// Runs `args` as `client`; returns exactly the bytes written.
  std::string run_as(TestClient& client, const std::vector<std::string>& args);
  /// Registers another client (ids count up from 2) with the given peer address.
  TestClient& connect(const std::string& addr);
  /// The main client's session.
  Session& session() { return main_.session; }

  store::ManualClock clock_;
  store::Databases dbs_{16, 4, clock_};
  store::Store& store_ = dbs_.db(0);  ///< Database 0.
  Settings settings_;
  ServerContext server_{dbs_, settings_};
  Dispatcher dispatcher_{server_};

 private:
  TestClient main_;
  std::vector<std::unique_ptr<TestClient>> others_;
};

/// "$<len>\r\n<s>\r\n".
std::string bulk(std::string_view s);
/// ":<n>\r\n".
std::string integer(std::int64_t n);
/// "+<s>\r\n".
std::string simple(std::string_view s);
/// "-<s>\r\n".
std::string err(std::string_view s);
/// "*<n>\r\n" followed by the already encoded items.
std::string array(const std::vector<std::string>& items);
/// "-ERR wrong number of arguments for '<name>' command\r\n".
std::string wrong_args(std::string_view name);
/// "$<len>\r\n<text>\r\n" in RESP2 or "=<len+4>\r\ntxt:<text>\r\n" in RESP3.
std::string verbatim(std::string_view text, int resp);

/// The text of a bulk ($) or verbatim (=) reply; fails the test on anything else.
std::string payload(std::string_view reply);
/// The value of `name:` in INFO text, or "<absent>".
std::string info_field(std::string_view info, std::string_view name);

}  // namespace kv::cmd::test
