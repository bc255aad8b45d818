// FileSink: appends every byte in order, reserves disk space ahead of the end of the file while it
// writes and gives that reserve back when it closes, without ever cutting another writer's data.
#include "stages/sinks/file_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sluice-file-sink-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  static std::string contents(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static struct stat stat_of(const std::string& file) {
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
    return st;
  }
  static long long allocated_bytes(const std::string& file) {
    return static_cast<long long>(stat_of(file).st_blocks) * 512;
  }
  // Whether this file system reserves space beyond the end of a file (ext4, xfs, tmpfs do).
  bool reserving_works() const {
    std::string probe = path("probe");
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT, 0600);
    bool ok = fd >= 0 && ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20) == 0;
    if (fd >= 0) {
      ::close(fd);
    }
    std::filesystem::remove(probe);
    return ok;
  }

  // Three 1 MiB writes of distinct lines, and what they add up to.
  static std::vector<std::string> chunks() {
    std::vector<std::string> out;
    for (int c = 0; c < 3; ++c) {
      std::string chunk;
      for (int i = 0; chunk.size() < (1 << 20); ++i) {
        chunk += "chunk " + std::to_string(c) + " line " + std::to_string(i) + "\n";
      }
      out.push_back(chunk);
    }
    return out;
  }

  // prepare(), which must succeed: whether the next write starts a new output.
  static bool starts_new_output(FileSink& sink) {
    Result<bool> fresh = sink.prepare();
    EXPECT_TRUE(fresh.ok()) << fresh.status().message();
    return fresh.ok() && fresh.value();
  }
  static void write_all_of(FileSink& sink, std::string_view bytes) {
    std::vector<std::string_view> parts{bytes};
    size_t written = 0;
    Status s = sink.write(parts, written);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  std::string dir_;
};

TEST_F(FileSinkTest, WritesEveryByteInOrderAndGivesTheReserveBackOnClose) {
  std::string file = path("out/events.log");  // the parent directory is created
  std::string expected;
  long long reserved_while_open = 0;
  {
    FileSink sink(file);
    ASSERT_TRUE(sink.open().ok());
    EXPECT_TRUE(starts_new_output(sink));
    for (const std::string& chunk : chunks()) {
      std::vector<std::string_view> parts{std::string_view(chunk).substr(0, 100),
                                          std::string_view(chunk).substr(100)};
      size_t written = 0;
      Status s = sink.write(parts, written);
      ASSERT_TRUE(s.ok()) << s.message();
      EXPECT_EQ(written, chunk.size());
      expected += chunk;
    }
    EXPECT_FALSE(starts_new_output(sink));
    reserved_while_open = allocated_bytes(file);
  }
  EXPECT_EQ(contents(file), expected);
  const auto size = static_cast<long long>(expected.size());
  if (!reserving_works()) {
    GTEST_SKIP() << "this file system does not reserve space beyond the end of a file";
  }
  // While open, space beyond the data was reserved; after closing, only the data's blocks stay.
  EXPECT_GT(reserved_while_open, size + (1 << 20));
  EXPECT_LT(allocated_bytes(file), size + 64 * 1024);
}

TEST_F(FileSinkTest, AFileRemovedUnderItIsReCreatedAndReportedAsANewOutput) {
  std::string file = path("out/events.log");
  FileSink sink(file);
  ASSERT_TRUE(sink.open().ok());
  ASSERT_TRUE(starts_new_output(sink));
  write_all_of(sink, "first\n");
  EXPECT_FALSE(starts_new_output(sink)) << "the same file, written to";
  std::filesystem::remove_all(path("out"));  // the operator deletes the directory
  EXPECT_TRUE(starts_new_output(sink)) << "a new file, created at the path";
  write_all_of(sink, "second\n");
  EXPECT_FALSE(starts_new_output(sink));
  std::filesystem::remove(file);  // and then only the file
  EXPECT_TRUE(starts_new_output(sink));
  write_all_of(sink, "third\n");
  sink.close();
  EXPECT_EQ(contents(file), "third\n");
}

TEST_F(FileSinkTest, KeepsTheReserveRatherThanCutAnotherWritersData) {
  std::string file = path("shared.log");
  std::string expected;
  {
    FileSink sink(file);
    ASSERT_TRUE(sink.open().ok());
    std::string mine = "from the sink\n";
    std::vector<std::string_view> parts{mine};
    size_t written = 0;
    ASSERT_TRUE(sink.write(parts, written).ok());
    expected += mine;
    // Another process appends to the same file while the sink holds it open.
    std::ofstream(file, std::ios::app) << "from another writer\n";
    expected += "from another writer\n";
  }
  EXPECT_EQ(contents(file), expected);
}

TEST_F(FileSinkTest, AppendsToAnExistingFileAfterItsData) {
  std::string file = path("existing.log");
  std::ofstream(file) << "already here\n";
  {
    FileSink sink(file);
    ASSERT_TRUE(sink.open().ok());
    EXPECT_FALSE(starts_new_output(sink));
    std::string more = "appended\n";
    std::vector<std::string_view> parts{more};
    size_t written = 0;
    ASSERT_TRUE(sink.write(parts, written).ok());
  }
  EXPECT_EQ(contents(file), "already here\nappended\n");
  EXPECT_EQ(stat_of(file).st_size, 22);
}

TEST_F(FileSinkTest, WritesToAFifoWhereNoSpaceCanBeReserved) {
  std::string fifo = path("events.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The sink opens without blocking, so a reader must exist first; this one never reads.
  int idle_reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(idle_reader, 0);
  std::string got;
  std::thread reader([&] { got = contents(fifo); });
  std::string expected;
  {
    // No ASSERT here: the reader thread must be joined whatever happens.
    FileSink sink(fifo);
    Status s = sink.open();
    for (const std::string& chunk : chunks()) {
      std::vector<std::string_view> parts{chunk};
      size_t written = 0;
      if (s.ok()) {
        s = sink.write(parts, written);
      }
      expected += chunk;
    }
    EXPECT_TRUE(s.ok()) << s.message();
  }
  ::close(idle_reader);
  reader.join();
  EXPECT_EQ(got, expected);
}

TEST_F(FileSinkTest, AFifoWithoutAReaderIsAWriteErrorNotAHang) {
  std::string fifo = path("nobody.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  FileSink sink(fifo);
  EXPECT_TRUE(sink.open().ok()) << "a reader may come later";
  std::string chunk = "line\n";
  std::vector<std::string_view> parts{chunk};
  size_t written = 0;
  Status s = sink.write(parts, written);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot open " + fifo + ": it is a FIFO that no process reads");
  // A reader comes: the next write goes through.
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  EXPECT_TRUE(sink.write(parts, written).ok());
  char buf[16] = {};
  EXPECT_EQ(::read(reader, buf, sizeof(buf)), 5);
  ::close(reader);
}

}  // namespace
}  // namespace sluice
