// Unit tests for loading an AOF folder: manifest, RDB or AOF base, incr files, the repair of a cut
// tail, and errors that name the file and the offset.
#include "persist/aof_loader.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "persist/aof_reader.hpp"
#include "persist/crc64.hpp"
#include "proto/reply_reader.hpp"

namespace kv::persist {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDirName = "appendonlydir";
constexpr const char* kPrefix = "appendonly.aof";

std::string cmd(std::initializer_list<std::string_view> args) {
  return proto::encode_command(std::vector<std::string_view>(args));
}

struct Key {
  std::uint64_t db;
  std::string key, value;
  std::int64_t expire;
  bool operator==(const Key&) const = default;
};

// An RDB file holding `keys` (all in db 0 unless given).
std::string rdb(const std::vector<Key>& keys) {
  std::string file;
  RdbWriter w([&](std::string_view b) { file.append(b); });
  w.begin();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i == 0 || keys[i].db != keys[i - 1].db) w.select_db(keys[i].db, 1, 0);
    w.put(keys[i].key, keys[i].value, keys[i].expire);
  }
  w.finish();
  return file;
}

// What a load delivered.
struct Seen {
  std::vector<Key> keys;
  std::vector<std::vector<std::string>> commands;  // Every command, in order.
  std::vector<std::size_t> unit_sizes;
  std::vector<std::string> warnings;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
};

class AofLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kv_aof_loader_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    folder_ = root_ / kDirName;
    fs::create_directory(folder_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& name, std::string_view bytes) {
    std::ofstream out(folder_ / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  void manifest(std::string_view text) { put(aof_manifest_name(kPrefix), text); }
  std::uint64_t size_of(const std::string& name) { return fs::file_size(folder_ / name); }

  AofLoadResult load(Seen& seen, AofLoadOptions options = {}, bool reject_all = false) {
    AofLoadCallbacks cb;
    cb.on_key = [&](const RdbEntry& e) {
      seen.keys.push_back(
          {e.db, std::string(e.key), std::string(e.value), e.expire_at_ms.value_or(0)});
    };
    cb.on_unit = [&seen, reject_all](std::span<const AofCommand> unit) {
      if (reject_all) return false;
      seen.unit_sizes.push_back(unit.size());
      for (const AofCommand& c : unit) seen.commands.emplace_back(c.begin(), c.end());
      return true;
    };
    cb.on_progress = [&](std::uint64_t loaded, std::uint64_t total) {
      seen.progress.emplace_back(loaded, total);
    };
    cb.on_warning = [&](const std::string& w) { seen.warnings.push_back(w); };
    return load_aof(root_.string(), kDirName, kPrefix, options, cb);
  }

  // A load with aof-load-truncated off.
  AofLoadResult load_strict(Seen& seen) {
    AofLoadOptions options;
    options.load_truncated = false;
    return load(seen, options);
  }

  // A base RDB and two incr files, listed in the manifest.
  void standard_folder(const std::string& incr2) {
    put("appendonly.aof.1.base.rdb", rdb({{0, "a", "1", 0}, {0, "b", "2", 1893456000000}}));
    put("appendonly.aof.1.incr.aof",
        cmd({"SET", "c", "3"}) + cmd({"MULTI"}) + cmd({"SET", "d", "4"}) + cmd({"EXEC"}));
    put("appendonly.aof.2.incr.aof", incr2);
    manifest(
        "file appendonly.aof.1.base.rdb seq 1 type b\n"
        "file appendonly.aof.1.incr.aof seq 1 type i\n"
        "file appendonly.aof.2.incr.aof seq 2 type i\n");
  }

  fs::path root_, folder_;
};

TEST_F(AofLoader, NoManifestIsNotFoundButOk) {
  Seen seen;
  AofLoadResult r = load(seen);
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.error.empty());
  fs::remove(folder_);
  r = load(seen);
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.ok);
}

TEST_F(AofLoader, LoadsRdbBaseThenIncrsInOrder) {
  standard_folder(cmd({"DEL", "a"}));
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.found);
  EXPECT_EQ(seen.keys, (std::vector<Key>{{0, "a", "1", 0}, {0, "b", "2", 1893456000000}}));
  EXPECT_EQ(seen.commands,
            (std::vector<std::vector<std::string>>{
                {"SET", "c", "3"}, {"MULTI"}, {"SET", "d", "4"}, {"EXEC"}, {"DEL", "a"}}));
  EXPECT_EQ(seen.unit_sizes, (std::vector<std::size_t>{1, 3, 1}));
  EXPECT_EQ(r.keys_loaded, 2u);
  EXPECT_EQ(r.commands, 5u);
  EXPECT_EQ(r.truncated_bytes, 0u);
  EXPECT_TRUE(seen.warnings.empty());
  EXPECT_EQ(r.base_size, size_of("appendonly.aof.1.base.rdb"));
  EXPECT_EQ(r.incr_size,
            size_of("appendonly.aof.1.incr.aof") + size_of("appendonly.aof.2.incr.aof"));
  ASSERT_TRUE(r.manifest.base.has_value());
  EXPECT_EQ(r.manifest.base->name, "appendonly.aof.1.base.rdb");
  EXPECT_EQ(r.manifest.incrs.size(), 2u);
  ASSERT_FALSE(seen.progress.empty());
  const std::uint64_t total = r.base_size + r.incr_size;
  EXPECT_EQ(seen.progress.back(), std::make_pair(total, total));
}

TEST_F(AofLoader, TruncatedLastIncrIsCutOnDiskWithAWarning) {
  const std::string good = cmd({"DEL", "a"}) + cmd({"SET", "e", "5"});
  const std::string partial = cmd({"SET", "f", "6"}).substr(0, 11);
  standard_folder(good + partial);
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.truncated_bytes, partial.size());
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), good.size());
  EXPECT_EQ(seen.commands.back(), (std::vector<std::string>{"SET", "e", "5"}));
  ASSERT_EQ(seen.warnings.size(), 1u);
  const std::string& w = seen.warnings[0];
  EXPECT_NE(w.find("appendonly.aof.2.incr.aof"), std::string::npos) << w;
  EXPECT_NE(w.find("at offset " + std::to_string(good.size())), std::string::npos) << w;
  EXPECT_NE(w.find(std::to_string(partial.size()) + " bytes cut"), std::string::npos) << w;
  EXPECT_EQ(r.incr_size,
            size_of("appendonly.aof.1.incr.aof") + size_of("appendonly.aof.2.incr.aof"));

  // The repaired folder loads cleanly.
  Seen again;
  const AofLoadResult r2 = load(again);
  ASSERT_TRUE(r2.ok) << r2.error;
  EXPECT_TRUE(again.warnings.empty());
  EXPECT_EQ(again.commands, seen.commands);
}

// kvd's log keeps zero-filled space past its end while open; a crash leaves it there.
TEST_F(AofLoader, ZeroFilledSpaceAtTheEndOfAnIncrIsCutWithoutAWarning) {
  // Zero bytes inside a record are data.
  const std::string good = cmd({"DEL", "a"}) + cmd({"SET", "z", std::string("ab\0\0", 4)});
  standard_folder(good + std::string(70000, '\0'));
  put("appendonly.aof.1.incr.aof",
      cmd({"SET", "c", "3"}) + std::string(100, '\0'));  // Not the last file: cut too.
  Seen seen;
  const AofLoadResult r = load_strict(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(seen.warnings.empty());
  EXPECT_EQ(r.truncated_bytes, 0u);
  EXPECT_EQ(r.preallocated_bytes, 70100u);
  EXPECT_EQ(seen.commands,
            (std::vector<std::vector<std::string>>{
                {"SET", "c", "3"}, {"DEL", "a"}, {"SET", "z", std::string("ab\0\0", 4)}}));
  EXPECT_EQ(size_of("appendonly.aof.1.incr.aof"), cmd({"SET", "c", "3"}).size());
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), good.size());
  EXPECT_EQ(r.incr_size,
            size_of("appendonly.aof.1.incr.aof") + size_of("appendonly.aof.2.incr.aof"));
}

// A record cut short by a crash, followed by the zero-filled space: the usual truncation rule.
TEST_F(AofLoader, RecordCutShortBeforeZeroFilledSpaceIsATruncation) {
  const std::string good = cmd({"DEL", "a"});
  const std::string data = good + cmd({"SET", "f", "6"}).substr(0, 11) + std::string(4096, '\0');
  standard_folder(data);
  Seen refused;
  const AofLoadResult no = load_strict(refused);
  EXPECT_FALSE(no.ok);
  EXPECT_NE(
      no.error.find("unexpected end of file in a command at offset " + std::to_string(good.size())),
      std::string::npos)
      << no.error;
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(seen.warnings.size(), 1u);
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), good.size());
  EXPECT_EQ(seen.commands.back(), (std::vector<std::string>{"DEL", "a"}));
}

// A gap of zeros with data after it is refused, whatever made it: a zeroed block of the disk in
// the middle of the log, or, after a power loss, a page of a write that never reached the disk
// while a later page of the same write did. Only zeros that run to the end are the fill's space.
TEST_F(AofLoader, ZeroGapWithDataAfterItIsCorruption) {
  const std::string good = cmd({"DEL", "a"}) + cmd({"SET", "e", "5"});
  std::string gapped = good + cmd({"SET", "f", std::string(3000, 'x')}) + cmd({"SET", "h", "8"});
  const std::size_t gap = 1024;  // Two whole sectors of the record are zeros.
  std::fill(gapped.begin() + static_cast<std::ptrdiff_t>(good.size() + 20),
            gapped.begin() + static_cast<std::ptrdiff_t>(good.size() + 20 + gap), '\0');
  const std::string file = gapped + std::string(5000, '\0');
  standard_folder(file);
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("appendonly.aof.2.incr.aof"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("offset " + std::to_string(good.size() + 20)), std::string::npos)
      << r.error;
  EXPECT_TRUE(seen.warnings.empty());
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), file.size());  // Untouched, zeros and all.
}

// A writer that continues the last incr file starts its next checksum line from the bytes after
// the file's last one (AofLoadResult::tail_crc), as they are after any cut.
TEST_F(AofLoader, TailCrcCoversTheLastIncrsBytesAfterItsLastChecksumLine) {
  const std::string checked = cmd({"SET", "a", "1"});
  char line[kAofChecksumLine];
  format_aof_checksum(crc64(0, checked), line);
  const std::string tail = cmd({"SET", "b", "2"});
  standard_folder(checked + std::string(line, kAofChecksumLine) + tail + "*3\r\n$3\r\nSE");
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.truncated_bytes, 10u);
  EXPECT_EQ(r.tail_crc, crc64(0, tail));
  EXPECT_EQ(seen.commands.back(), (std::vector<std::string>{"SET", "b", "2"}));
}

// A single zero byte that breaks a record is damage too.
TEST_F(AofLoader, StrayZeroByteInTheMiddleIsCorruption) {
  std::string data = cmd({"DEL", "a"}) + cmd({"SET", "e", "5"}) + cmd({"SET", "g", "7"});
  const std::size_t at = cmd({"DEL", "a"}).size();  // The '*' of the second command.
  data[at] = '\0';
  standard_folder(data);
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("offset " + std::to_string(at)), std::string::npos) << r.error;
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), data.size());  // Untouched.
}

// An incr file that starts with an RDB ends with its checksum, which may end in zero bytes.
TEST_F(AofLoader, RdbPreambleIncrKeepsTheZerosOfItsChecksum) {
  standard_folder(cmd({"DEL", "a"}));
  std::string preamble = rdb({{0, "p", "1", 0}});
  std::fill(preamble.end() - 8, preamble.end(), '\0');  // A checksum of 0: not checked.
  put("appendonly.aof.1.incr.aof", preamble);
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.preallocated_bytes, 0u);
  EXPECT_EQ(size_of("appendonly.aof.1.incr.aof"), preamble.size());
  EXPECT_EQ(seen.keys.back().key, "p");
}

TEST_F(AofLoader, TruncatedTransactionAtTheEndIsReverted) {
  const std::string good = cmd({"DEL", "a"});
  standard_folder(good + cmd({"MULTI"}) + cmd({"SET", "g", "7"}));
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), good.size());
  EXPECT_EQ(seen.commands.back(), (std::vector<std::string>{"DEL", "a"}));
  EXPECT_EQ(seen.warnings.size(), 1u);
}

TEST_F(AofLoader, TruncationFailsWhenLoadTruncatedIsOff) {
  const std::string data = cmd({"DEL", "a"}) + "*2\r\n$3\r\nGET";
  standard_folder(data);
  Seen seen;
  const AofLoadResult r = load_strict(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.found);
  EXPECT_NE(r.error.find("appendonly.aof.2.incr.aof: unexpected end of file in a command at "
                         "offset " +
                         std::to_string(cmd({"DEL", "a"}).size())),
            std::string::npos)
      << r.error;
  EXPECT_EQ(size_of("appendonly.aof.2.incr.aof"), data.size());  // Untouched.
}

TEST_F(AofLoader, TruncationInAnIncrThatIsNotLastFails) {
  standard_folder(cmd({"DEL", "a"}));
  const std::string cut = cmd({"SET", "c", "3"}) + "*1\r\n$4\r\nPI";
  put("appendonly.aof.1.incr.aof", cut);
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("appendonly.aof.1.incr.aof: unexpected end of file", 0), 0u) << r.error;
  EXPECT_EQ(size_of("appendonly.aof.1.incr.aof"), cut.size());
}

TEST_F(AofLoader, TruncatedAofBaseFails) {
  put("appendonly.aof.1.base.aof", cmd({"SET", "a", "1"}) + "*1\r\n");
  manifest("file appendonly.aof.1.base.aof seq 1 type b\n");
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("appendonly.aof.1.base.aof: unexpected end of file", 0), 0u) << r.error;
}

TEST_F(AofLoader, CorruptIncrFailsNamingFileAndOffset) {
  standard_folder(cmd({"DEL", "a"}) + "*1\r\n%4\r\nPING\r\n" + cmd({"SET", "z", "1"}));
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "appendonly.aof.2.incr.aof: expected '$' at offset " +
                         std::to_string(cmd({"DEL", "a"}).size() + 4));
}

TEST_F(AofLoader, BadManifestLineFailsNamingManifestAndLine) {
  standard_folder(cmd({"DEL", "a"}));
  manifest(
      "file appendonly.aof.1.base.rdb seq 1 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type x\n");
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.error, "appendonly.aof.manifest: line 2: unknown file type 'x'");
  EXPECT_TRUE(seen.keys.empty());
}

TEST_F(AofLoader, MissingListedFileFailsBeforeLoadingAnything) {
  standard_folder(cmd({"DEL", "a"}));
  fs::remove(folder_ / "appendonly.aof.2.incr.aof");
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "appendonly.aof.2.incr.aof: listed in the manifest but missing");
  EXPECT_TRUE(seen.keys.empty());
}

TEST_F(AofLoader, RdbBaseWithBadChecksumFailsNamingTheFile) {
  standard_folder(cmd({"DEL", "a"}));
  std::string base = rdb({{0, "a", "1", 0}});
  for (std::size_t i = base.size() - 8; i < base.size(); ++i) base[i] = static_cast<char>(~base[i]);
  put("appendonly.aof.1.base.rdb", base);
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("appendonly.aof.1.base.rdb: ", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("checksum"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("at offset " + std::to_string(base.size() - 8)), std::string::npos)
      << r.error;
}

TEST_F(AofLoader, CutRdbBaseFailsEvenWhenLoadTruncatedIsOn) {
  const std::string base = rdb({{0, "a", "1", 0}});
  put("appendonly.aof.1.base.rdb", base.substr(0, base.size() - 3));
  manifest("file appendonly.aof.1.base.rdb seq 1 type b\n");
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("appendonly.aof.1.base.rdb: unexpected end of file", 0), 0u) << r.error;
}

TEST_F(AofLoader, EmptyIncrFilesAreFine) {
  standard_folder("");
  put("appendonly.aof.1.incr.aof", "");
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.keys_loaded, 2u);
  EXPECT_EQ(r.commands, 0u);
  EXPECT_EQ(r.incr_size, 0u);
}

TEST_F(AofLoader, ManifestWithoutFilesLoadsNothing) {
  manifest("# nothing yet\n");
  Seen seen;
  const AofLoadResult r = load(seen);
  EXPECT_TRUE(r.found);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.base_size + r.incr_size, 0u);
}

TEST_F(AofLoader, AofBaseAndRdbPreambleWithCommandTail) {
  put("appendonly.aof.1.base.aof", rdb({{0, "a", "1", 0}}) + cmd({"SET", "b", "2"}));
  put("appendonly.aof.1.incr.aof", cmd({"SET", "c", "3"}));
  manifest(
      "file appendonly.aof.1.base.aof seq 1 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type i\n");
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(seen.keys, (std::vector<Key>{{0, "a", "1", 0}}));
  EXPECT_EQ(seen.commands,
            (std::vector<std::vector<std::string>>{{"SET", "b", "2"}, {"SET", "c", "3"}}));

  put("appendonly.aof.1.base.aof", cmd({"SET", "x", "9"}));
  Seen plain;
  const AofLoadResult r2 = load(plain);
  ASSERT_TRUE(r2.ok) << r2.error;
  EXPECT_TRUE(plain.keys.empty());
  EXPECT_EQ(plain.commands.size(), 2u);
}

TEST_F(AofLoader, RejectedUnitFailsNamingFileAndOffset) {
  standard_folder(cmd({"DEL", "a"}));
  Seen seen;
  const AofLoadResult r = load(seen, {}, /*reject_all=*/true);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "appendonly.aof.1.incr.aof: command rejected at offset 0");
}

TEST_F(AofLoader, ProgressIsReportedAtLeastEvery8MiB) {
  const std::string value(1024 * 1024, 'v');
  std::string incr;
  for (int i = 0; i < 20; ++i) incr += cmd({"SET", "k" + std::to_string(i), value});
  standard_folder(incr);
  Seen seen;
  const AofLoadResult r = load(seen);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_GE(seen.progress.size(), 3u);
  std::uint64_t previous = 0;
  for (const auto& [loaded, total] : seen.progress) {
    EXPECT_LE(loaded, total);
    EXPECT_GE(loaded, previous);
    EXPECT_LE(loaded - previous, 8u * 1024 * 1024 + value.size() + 100);
    previous = loaded;
  }
}

TEST(ReadWholeFile, ReadsOrExplains) {
  std::string out, error;
  EXPECT_FALSE(read_whole_file("/nonexistent/kv/file", out, error));
  EXPECT_EQ(error, "/nonexistent/kv/file: No such file or directory");
  const fs::path p = fs::temp_directory_path() / ("kv_read_whole_" + std::to_string(::getpid()));
  {
    std::ofstream f(p, std::ios::binary);
    f << std::string(200000, 'x') << "end";
  }
  ASSERT_TRUE(read_whole_file(p.string(), out, error)) << error;
  EXPECT_EQ(out.size(), 200003u);
  EXPECT_EQ(out.substr(out.size() - 3), "end");
  fs::remove(p);
}

}  // namespace
}  // namespace kv::persist
