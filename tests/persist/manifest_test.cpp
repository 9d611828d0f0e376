// Unit tests for the AOF manifest: Redis 7.0's exact text, its parsing rules and errors, file
// names, and the atomic file replace.
#include "persist/manifest.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kv::persist {
namespace {

namespace fs = std::filesystem;

AofFileInfo info(std::string name, std::int64_t seq, AofFileType type) {
  return {std::move(name), seq, type};
}

// Parses `text`, expecting failure, and returns the error.
std::string parse_error(std::string_view text) {
  AofManifest m;
  std::string error;
  EXPECT_FALSE(parse_manifest(text, m, error)) << text;
  return error;
}

TEST(AofManifest, ParsesWhatRedisWrites) {
  const std::string text =
      "file appendonly.aof.2.base.rdb seq 2 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type h\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n"
      "file appendonly.aof.4.incr.aof seq 4 type i\n";
  AofManifest m;
  std::string error;
  ASSERT_TRUE(parse_manifest(text, m, error)) << error;
  ASSERT_TRUE(m.base.has_value());
  EXPECT_EQ(*m.base, info("appendonly.aof.2.base.rdb", 2, AofFileType::base));
  EXPECT_EQ(m.history,
            (std::vector<AofFileInfo>{info("appendonly.aof.1.incr.aof", 1, AofFileType::history),
                                      info("appendonly.aof.2.incr.aof", 2, AofFileType::history)}));
  EXPECT_EQ(m.incrs,
            (std::vector<AofFileInfo>{info("appendonly.aof.3.incr.aof", 3, AofFileType::incr),
                                      info("appendonly.aof.4.incr.aof", 4, AofFileType::incr)}));
  EXPECT_EQ(format_manifest(m), text);
}

TEST(AofManifest, FormatsBaseThenHistoryThenIncrs) {
  AofManifest m;
  m.incrs.push_back(info("appendonly.aof.1.incr.aof", 1, AofFileType::incr));
  m.history.push_back(info("old.aof", 7, AofFileType::history));
  m.base = info("appendonly.aof.1.base.rdb", 1, AofFileType::base);
  EXPECT_EQ(format_manifest(m),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file old.aof seq 7 type h\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  EXPECT_EQ(format_manifest(AofManifest{}), "");
}

TEST(AofManifest, AcceptsCommentsAnyOrderAnyCaseAndUnknownKeys) {
  const std::string text =
      "# written by hand\n"
      "seq 1 type b file base.rdb\n"
      "  FILE a.aof   Seq 5\tTYPE i future 42  \r\n"
      "#no newline on a comment is fine";
  AofManifest m;
  std::string error;
  ASSERT_TRUE(parse_manifest(text, m, error)) << error;
  EXPECT_EQ(m.base, info("base.rdb", 1, AofFileType::base));
  EXPECT_EQ(m.incrs, std::vector<AofFileInfo>{info("a.aof", 5, AofFileType::incr)});
}

TEST(AofManifest, ManifestWithoutBaseOrFilesIsValid) {
  AofManifest m;
  std::string error;
  ASSERT_TRUE(parse_manifest("file x.aof seq 1 type i\n", m, error)) << error;
  EXPECT_FALSE(m.base.has_value());
  ASSERT_TRUE(parse_manifest("# only a comment\n", m, error)) << error;
  EXPECT_EQ(m, AofManifest{});
}

TEST(AofManifest, QuotesNamesOnlyWhenNeededAndReadsThemBack) {
  const std::string odd = "my file \"1\"\n\t\x01\xff.aof";
  AofManifest m;
  m.base = info(odd, 1, AofFileType::base);
  m.incrs.push_back(info("plain.aof", 2, AofFileType::incr));
  const std::string text = format_manifest(m);
  EXPECT_EQ(text,
            "file \"my file \\\"1\\\"\\n\\t\\x01\\xff.aof\" seq 1 type b\n"
            "file plain.aof seq 2 type i\n");
  AofManifest back;
  std::string error;
  ASSERT_TRUE(parse_manifest(text, back, error)) << error;
  EXPECT_EQ(back, m);
}

TEST(AofManifest, BackslashIsEscapedButRefusedInNamesAsRedisDoes) {
  AofManifest m;
  m.incrs.push_back(info("a\\b", 1, AofFileType::incr));
  EXPECT_EQ(format_manifest(m), "file \"a\\\\b\" seq 1 type i\n");
  EXPECT_EQ(parse_error(format_manifest(m)), "line 1: file name 'a\\\\b' is not a bare file name");
}

TEST(AofManifest, SplitsWordsLikeSdssplitargs) {
  AofManifest m;
  std::string error;
  ASSERT_TRUE(parse_manifest("file 'it\\'s here' seq 1 type i\n", m, error)) << error;
  EXPECT_EQ(m.incrs.at(0).name, "it's here");
  ASSERT_TRUE(parse_manifest("file ab\"c d\" seq 1 type i\n", m, error)) << error;
  EXPECT_EQ(m.incrs.at(0).name, "abc d");
  ASSERT_TRUE(parse_manifest("file \"\\x41\\q\\r\" seq 1 type i\n", m, error)) << error;
  EXPECT_EQ(m.incrs.at(0).name, "Aq\r");
}

TEST(AofManifest, ErrorsNameTheLineAndTheProblem) {
  const std::string good = "file appendonly.aof.1.base.rdb seq 1 type b\n";
  EXPECT_EQ(parse_error(good + "file appendonly.aof.1.incr.aof seq 1 type x\n"),
            "line 2: unknown file type 'x'");
  EXPECT_EQ(parse_error(good + "file a seq 1 type incr\n"), "line 2: unknown file type 'incr'");
  EXPECT_EQ(parse_error(""), "line 1: empty manifest");
  EXPECT_EQ(parse_error(good + "\n" + good), "line 2: blank line");
  EXPECT_EQ(parse_error(good + "   \r\n"), "line 2: blank line");
  EXPECT_EQ(parse_error(good + "file a.aof seq 2 type i"),
            "line 2: no newline at the end of the last line");
  EXPECT_EQ(parse_error("file a seq 1\n"),
            "line 1: expected pairs 'file <name> seq <n> type <t>', got 4 words");
  EXPECT_EQ(parse_error("file a seq 1 type i extra\n"),
            "line 1: expected pairs 'file <name> seq <n> type <t>', got 7 words");
  EXPECT_EQ(parse_error("file a seq 1 kind i\n"), "line 1: missing type");
  EXPECT_EQ(parse_error("name a seq 1 type i\n"), "line 1: missing file name");
  EXPECT_EQ(parse_error("file a sequence 1 type i\n"), "line 1: missing seq");
  EXPECT_EQ(parse_error("file a seq x1 type i\n"), "line 1: invalid seq 'x1'");
  EXPECT_EQ(parse_error("file a seq 0 type i\n"), "line 1: invalid seq '0'");
  EXPECT_EQ(parse_error("file a seq -3 type b\n"), "line 1: invalid seq '-3'");
  EXPECT_EQ(parse_error("file a seq 99999999999999999999 type b\n"),
            "line 1: invalid seq '99999999999999999999'");
  EXPECT_EQ(parse_error("file ../a seq 1 type i\n"),
            "line 1: file name '../a' is not a bare file name");
  EXPECT_EQ(parse_error("file \"\" seq 1 type i\n"),
            "line 1: file name '' is not a bare file name");
  EXPECT_EQ(parse_error("file \"a seq 1 type i\n"), "line 1: unbalanced quotes");
  EXPECT_EQ(parse_error("file \"a\"b seq 1 type i\n"), "line 1: unbalanced quotes");
  EXPECT_EQ(parse_error(good + "file b.rdb seq 2 type b\n"),
            "line 2: a second base file 'b.rdb' (the base is 'appendonly.aof.1.base.rdb')");
  EXPECT_EQ(parse_error("file a seq 2 type i\nfile b seq 2 type i\n"),
            "line 2: incr seq 2 does not follow 2");
  EXPECT_EQ(parse_error("file a seq 3 type i\n# c\nfile b seq 1 type i\n"),
            "line 3: incr seq 1 does not follow 3");
}

TEST(AofManifest, LineLengthLimitIsRedisOne) {
  // A line of kManifestMaxLine bytes counting its "\n" is accepted; one more byte is not.
  const std::string prefix = "file ", suffix = " seq 1 type i\n";
  const std::string name(kManifestMaxLine - prefix.size() - suffix.size(), 'n');
  AofManifest m;
  std::string error;
  EXPECT_TRUE(parse_manifest(prefix + name + suffix, m, error)) << error;
  EXPECT_EQ(parse_error(prefix + name + "n" + suffix), "line 1: line longer than 1024 bytes");
}

TEST(AofManifest, HistoryIsNotCheckedForOrder) {
  AofManifest m;
  std::string error;
  ASSERT_TRUE(
      parse_manifest("file a seq 5 type h\nfile b seq 1 type h\nfile c seq 1 type i\n", m, error))
      << error;
  EXPECT_EQ(m.history.size(), 2u);
}

TEST(AofManifest, FileNamesFollowRedis) {
  EXPECT_EQ(aof_base_name("appendonly.aof", 1), "appendonly.aof.1.base.rdb");
  EXPECT_EQ(aof_base_name("appendonly.aof", 12, false), "appendonly.aof.12.base.aof");
  EXPECT_EQ(aof_incr_name("appendonly.aof", 3), "appendonly.aof.3.incr.aof");
  EXPECT_EQ(aof_manifest_name("appendonly.aof"), "appendonly.aof.manifest");
  EXPECT_EQ(aof_incr_name("my.aof", 7), "my.aof.7.incr.aof");
}

class AtomicWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kv_manifest_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

TEST_F(AtomicWrite, CreatesAndReplacesLeavingNoTemporary) {
  const std::string path = (dir_ / "appendonly.aof.manifest").string();
  std::string error;
  ASSERT_TRUE(write_file_atomically(path, "first\n", error)) << error;
  EXPECT_EQ(slurp(path), "first\n");
  ASSERT_TRUE(write_file_atomically(path, std::string("second\0\n", 8), error)) << error;
  EXPECT_EQ(slurp(path), std::string("second\0\n", 8));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "appendonly.aof.manifest");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(AtomicWrite, FailsWithAMessageWhenTheFolderIsMissing) {
  std::string error;
  EXPECT_FALSE(write_file_atomically((dir_ / "nope" / "m").string(), "x", error));
  EXPECT_NE(error.find("open"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

TEST_F(AtomicWrite, FsyncDirWorksAndFailsOnAMissingFolder) {
  std::string error;
  EXPECT_TRUE(fsync_dir(dir_.string(), error)) << error;
  EXPECT_FALSE(fsync_dir((dir_ / "missing").string(), error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST_F(AtomicWrite, ManifestRoundTripsThroughAFile) {
  AofManifest m;
  m.base = info(aof_base_name("appendonly.aof", 1), 1, AofFileType::base);
  m.incrs.push_back(info(aof_incr_name("appendonly.aof", 1), 1, AofFileType::incr));
  const std::string path = (dir_ / aof_manifest_name("appendonly.aof")).string();
  std::string error;
  ASSERT_TRUE(write_file_atomically(path, format_manifest(m), error)) << error;
  AofManifest back;
  ASSERT_TRUE(parse_manifest(slurp(path), back, error)) << error;
  EXPECT_EQ(back, m);
}

}  // namespace
}  // namespace kv::persist
