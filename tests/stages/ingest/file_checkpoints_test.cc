// FileCheckpointStore: round trip, atomic replacement, and a damaged file refused as a whole with
// a reason (the source then starts fresh with a warning).
#include "stages/ingest/file_checkpoints.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

class FileCheckpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "file_checkpoints_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void overwrite(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  }

  static FileCheckpoint entry(const std::string& path, uint64_t offset) {
    FileCheckpoint e;
    e.path = path;
    e.identity.dev = 2049;
    e.identity.ino = 1234567;
    e.identity.print_length = 256;
    e.identity.print = 0xfeedfacecafebeefull;
    e.offset = offset;
    e.lines = offset / 10;
    e.tail_length = 64;
    e.tail = 0x0123456789abcdefull;
    return e;
  }
  static void expect_same(const FileCheckpoint& a, const FileCheckpoint& b) {
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.identity.dev, b.identity.dev);
    EXPECT_EQ(a.identity.ino, b.identity.ino);
    EXPECT_EQ(a.identity.print_length, b.identity.print_length);
    EXPECT_EQ(a.identity.print, b.identity.print);
    EXPECT_EQ(a.offset, b.offset);
    EXPECT_EQ(a.lines, b.lines);
    EXPECT_EQ(a.tail_length, b.tail_length);
    EXPECT_EQ(a.tail, b.tail);
  }

  std::string dir_;
};

TEST_F(FileCheckpointsTest, MissingFileIsNoCheckpointsAndNoError) {
  FileCheckpointStore store(dir_ + "/checkpoints/p.files");
  bool exists = true;
  auto loaded = store.load(&exists);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded.value().empty());
  EXPECT_FALSE(exists);
}

TEST_F(FileCheckpointsTest, RoundTripKeepsEveryFieldAndOddPaths) {
  // The directory is created by the first save; a path may hold spaces, '%' and a newline.
  FileCheckpointStore store(dir_ + "/checkpoints/p.files");
  std::vector<FileCheckpoint> entries{entry("/var/log/app.log", 1000),
                                      entry("/var/log/with space %41\nand newline", 7)};
  ASSERT_TRUE(store.save(entries).ok());
  bool exists = false;
  auto loaded = store.load(&exists);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(exists);
  ASSERT_EQ(loaded.value().size(), 2u);
  expect_same(loaded.value()[0], entries[0]);
  expect_same(loaded.value()[1], entries[1]);
}

TEST_F(FileCheckpointsTest, SaveReplacesTheWholeSetAndLeavesNoTemporaryFile) {
  FileCheckpointStore store(dir_ + "/p.files");
  ASSERT_TRUE(store.save({entry("/a", 1), entry("/b", 2)}).ok());
  ASSERT_TRUE(store.save({entry("/c", 3)}).ok());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded.value().size(), 1u);
  EXPECT_EQ(loaded.value()[0].path, "/c");
  size_t files = 0;
  for (const auto& it : std::filesystem::directory_iterator(dir_)) {
    (void)it;
    ++files;
  }
  EXPECT_EQ(files, 1u) << "a temporary file was left beside the checkpoint file";
}

TEST_F(FileCheckpointsTest, TruncatedFileIsRefusedWithAReason) {
  FileCheckpointStore store(dir_ + "/p.files");
  ASSERT_TRUE(store.save({entry("/a", 1), entry("/b", 2)}).ok());
  const std::string text = slurp(store.path());
  overwrite(store.path(), text.substr(0, text.size() / 2));
  auto loaded = store.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(store.path() + " is not a valid checkpoint file"),
            std::string::npos)
      << loaded.status().message();
}

TEST_F(FileCheckpointsTest, AlteredOffsetFailsTheChecksum) {
  FileCheckpointStore store(dir_ + "/p.files");
  ASSERT_TRUE(store.save({entry("/a", 1000)}).ok());
  std::string text = slurp(store.path());
  const size_t at = text.find(" 1000 ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 6, " 9000 ");
  overwrite(store.path(), text);
  auto loaded = store.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("checksum"), std::string::npos)
      << loaded.status().message();
}

TEST_F(FileCheckpointsTest, GarbageIsRefusedNotACrash) {
  FileCheckpointStore store(dir_ + "/p.files");
  for (const std::string& garbage :
       {std::string(), std::string("\n"), std::string("sluice file checkpoints v1\n"),
        std::string("sluice file checkpoints v1\nend 1 0\n"), std::string(300, '\xff')}) {
    overwrite(store.path(), garbage);
    EXPECT_FALSE(store.load().ok()) << "accepted: " << garbage;
  }
}

TEST_F(FileCheckpointsTest, PathOfAPipelineNameIsOneFileUnderDataDir) {
  EXPECT_EQ(file_checkpoint_path("/var/lib/sluice", "web"),
            "/var/lib/sluice/checkpoints/web.files");
  EXPECT_EQ(file_checkpoint_path("d", "a/b c"), "d/checkpoints/a%2Fb%20c.files");
  EXPECT_EQ(file_checkpoint_path("d", ".."), "d/checkpoints/%...files");
}

TEST_F(FileCheckpointsTest, UnwritableDirectoryIsAnErrorNamingIt) {
  const std::string blocker = dir_ + "/not-a-dir";
  overwrite(blocker, "x");
  FileCheckpointStore store(blocker + "/p.files");
  Status s = store.save({entry("/a", 1)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(blocker), std::string::npos) << s.message();
}

// delivery: exactly_once: the sink lengths come back with the positions, in one record.
TEST_F(FileCheckpointsTest, SinkLengthsRoundTripWithThePositions) {
  FileCheckpointStore store(dir_ + "/p.files");
  SinkFileLength sink;
  sink.path = "/out/a b%.log";
  sink.dev = 7;
  sink.ino = 99;
  sink.length = 123456;
  ASSERT_TRUE(store.save({entry("/in/x.log", 10)}, {sink}).ok());
  std::vector<SinkFileLength> sinks;
  bool exists = false;
  auto loaded = store.load(&exists, &sinks);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded.value().size(), 1u);
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(sinks[0].path, sink.path);
  EXPECT_EQ(sinks[0].dev, 7u);
  EXPECT_EQ(sinks[0].ino, 99u);
  EXPECT_EQ(sinks[0].length, 123456u);
}

// A record cut short anywhere (a torn write that bypassed the rename) is refused as a whole,
// never read as a shorter list of sinks whose files would then not be cut back.
TEST_F(FileCheckpointsTest, TornRecordWithSinkLengthsIsRefusedAtEveryCut) {
  const std::string path = dir_ + "/p.files";
  FileCheckpointStore store(path);
  SinkFileLength sink;
  sink.path = "/out/a.log";
  sink.length = 42;
  ASSERT_TRUE(store.save({entry("/in/x.log", 10)}, {sink}).ok());
  const std::string whole = slurp(path);
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    overwrite(path, whole.substr(0, cut));
    std::vector<SinkFileLength> sinks;
    auto loaded = store.load(nullptr, &sinks);
    EXPECT_FALSE(loaded.ok()) << "a record cut at byte " << cut << " was believed";
  }
  // A changed digit in a sink length fails the checksum.
  std::string edited = whole;
  edited[edited.find("sink ") + 9] ^= 1;
  overwrite(path, edited);
  EXPECT_FALSE(store.load().ok());
}

}  // namespace
}  // namespace sluice
