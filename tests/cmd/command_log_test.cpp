// What the write-ahead log records for each command: the command once it changed something,
// relative times as absolute ones, expiry as DEL, a transaction as one MULTI ... EXEC unit, and
// SELECT only when the database changes.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cmd_harness.hpp"
#include "log_text.hpp"
#include "persist/persistence.hpp"
#include "proto/reply_reader.hpp"

namespace kv::cmd::test {
namespace {

namespace fs = std::filesystem;

std::string resp(const std::vector<std::string>& args) { return proto::encode_command(args); }

class CommandLogTest : public CmdTest {
 protected:
  CommandLogTest() {
    std::string tmpl = (fs::temp_directory_path() / "kvd-log-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    persist::PersistConfig config;
    config.dir = dir_.string();
    config.save.clear();
    config.appendfsync = persist::FsyncPolicy::always;
    persistence_ =
        std::make_unique<persist::Persistence>(dbs_, config, [](int, const std::string&) {});
    persistence_->load([](std::span<const persist::AofCommand>) { return true; });
    persistence_->start();
    server_.persistence = persistence_.get();
  }
  ~CommandLogTest() override {
    persistence_->shutdown(false);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The incremental file's records so far (its checksum lines checked and left out).
  std::string logged() {
    EXPECT_TRUE(persistence_->writer().flush_and_sync());
    std::ifstream in(dir_ / "appendonlydir" / "appendonly.aof.1.incr.aof", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string bytes = s.str();
    bytes.erase(bytes.find_last_not_of('\0') + 1);  // The zero-filled space ahead of the log.
    return kv::test::log_records(bytes);
  }

  fs::path dir_;
  std::unique_ptr<persist::Persistence> persistence_;
};

TEST_F(CommandLogTest, LogsChangesWithAbsoluteTimes) {
  const std::int64_t t = clock_.now_ms();
  run({"set", "k", "v"});
  run({"set", "k", "other", "nx"});  // Changes nothing: not logged.
  run({"del", "missing"});           // Likewise.
  run({"set", "e", "v", "ex", "10", "get"});
  run({"setex", "s", "5", "v"});
  run({"expire", "k", "100"});
  run({"incrbyfloat", "f", "1.5"});
  run({"getex", "k", "persist"});
  clock_.advance(20'000);  // "e" and "s" are past their deadlines now.
  run({"append", "e", "x"});
  EXPECT_EQ(logged(), resp({"SELECT", "0"}) + resp({"set", "k", "v"}) +
                          resp({"SET", "e", "v", "GET", "PXAT", std::to_string(t + 10'000)}) +
                          resp({"SET", "s", "v", "PXAT", std::to_string(t + 5'000)}) +
                          resp({"PEXPIREAT", "k", std::to_string(t + 100'000)}) +
                          resp({"SET", "f", "1.5", "KEEPTTL"}) + resp({"PERSIST", "k"}) +
                          resp({"DEL", "e"}) + resp({"append", "e", "x"}));
}

TEST_F(CommandLogTest, TransactionIsOneUnitAndSelectOnlyOnChange) {
  run({"set", "a", "0"});
  run({"multi"});
  run({"set", "a", "1"});
  run({"select", "2"});
  run({"set", "b", "2"});
  run({"exec"});
  run({"set", "c", "3"});  // The client is on database 2 now.
  run({"swapdb", "0", "1"});
  run({"multi"});
  run({"get", "c"});
  run({"exec"});  // Only reads: nothing logged.
  EXPECT_EQ(logged(), resp({"SELECT", "0"}) + resp({"set", "a", "0"}) + resp({"MULTI"}) +
                          resp({"set", "a", "1"}) + resp({"SELECT", "2"}) +
                          resp({"set", "b", "2"}) + resp({"EXEC"}) + resp({"SELECT", "0"}) +
                          resp({"SELECT", "2"}) + resp({"set", "c", "3"}) +
                          resp({"swapdb", "0", "1"}));
}

TEST_F(CommandLogTest, CountsChangesForTheSaveRules) {
  run({"mset", "a", "1", "b", "2", "c", "3"});
  run({"del", "a", "b"});
  run({"incr", "n"});
  EXPECT_EQ(info_field(run({"info", "persistence"}), "rdb_changes_since_last_save"), "6");
  EXPECT_EQ(run({"save"}), "+OK\r\n");
  EXPECT_EQ(info_field(run({"info", "persistence"}), "rdb_changes_since_last_save"), "0");
  EXPECT_TRUE(fs::exists(dir_ / "dump.rdb"));
}

}  // namespace
}  // namespace kv::cmd::test
