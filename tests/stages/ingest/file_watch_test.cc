// FileWatch: a write, a new name or a rename in a watched directory wakes it at once; files the
// globs do not match do not; the rescan comes at the interval; with SLUICE_TEST_INOTIFY=unavailable
// it polls, and each wait lasts the interval. Waits that must end early are given a long limit
// that only a broken watch would reach.
#include "stages/ingest/file_watch.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

constexpr auto kLong = milliseconds(10000);  // reached only when a wake-up was missed
constexpr auto kHour = milliseconds(3600 * 1000);

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "file_watch_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    ::unsetenv("SLUICE_TEST_INOTIFY");
    std::filesystem::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void append(const std::string& name, const std::string& data) {
    std::ofstream(path(name), std::ios::binary | std::ios::app) << data;
  }

  std::string dir_;
  StoppableContext ctx_;
};

TEST_F(FileWatchTest, AWriteToAWatchedFileWakesItAtOnce) {
  append("a.log", "1\n");
  FileWatch watch({path("*.log")}, kHour);
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  append("a.log", "2\n");
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kWritten);
  // Everything pending was taken: the next wait sleeps to its limit.
  EXPECT_EQ(watch.wait(ctx_, milliseconds(30)), FileWatch::Wake::kTimedOut);
}

TEST_F(FileWatchTest, ANewFileAndARenameWakeItAsANameChange) {
  FileWatch watch({path("*.log")}, kHour);
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  append("b.log", "");
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kRenamed);
  std::filesystem::rename(path("b.log"), path("c.log"));
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kRenamed);
  // Renamed out of the glob: the name the glob matched went away, which is news too.
  std::filesystem::rename(path("c.log"), path("c.log.1"));
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kRenamed);
}

TEST_F(FileWatchTest, WritesToFilesNoGlobMatchesDoNotWakeIt) {
  FileWatch watch({path("*.log")}, kHour);
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  append("out.ndjson", "{}\n");  // a sink writing beside its input
  append(".hidden.log", "x\n");  // glob(3) does not match a leading dot with '*' either
  EXPECT_EQ(watch.wait(ctx_, milliseconds(50)), FileWatch::Wake::kTimedOut);
  append("a.log", "1\n");
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kRenamed);  // created
}

TEST_F(FileWatchTest, TheRescanComesAtTheIntervalEvenWithInotify) {
  FileWatch watch({path("*.log")}, milliseconds(30));
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(watch.wait(ctx_), FileWatch::Wake::kRescan);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
}

TEST_F(FileWatchTest, ADirectoryCreatedLaterIsWatchedFromTheNextRescan) {
  FileWatch watch({path("sub/*.log")}, milliseconds(20));
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  std::filesystem::create_directory(path("sub"));
  EXPECT_EQ(watch.wait(ctx_), FileWatch::Wake::kRescan);
  append("sub/a.log", "1\n");
  // The rescan interval is short here, so what wakes it first is not fixed; a missed event
  // would show as rescans only.
  FileWatch::Wake wake = FileWatch::Wake::kRescan;
  for (int i = 0; i < 100 && wake == FileWatch::Wake::kRescan; ++i) {
    wake = watch.wait(ctx_);
  }
  EXPECT_EQ(wake, FileWatch::Wake::kRenamed);
}

TEST_F(FileWatchTest, ADirectoryGlobIsWatchedInEachDirectoryItMatches) {
  std::filesystem::create_directory(path("x"));
  std::filesystem::create_directory(path("y"));
  FileWatch watch({path("*/app.log")}, kHour);
  ASSERT_FALSE(watch.polling()) << watch.fallback_reason();
  append("y/app.log", "1\n");
  EXPECT_EQ(watch.wait(ctx_, kLong), FileWatch::Wake::kRenamed);
  append("x/other.log", "1\n");
  EXPECT_EQ(watch.wait(ctx_, milliseconds(50)), FileWatch::Wake::kTimedOut);
}

TEST_F(FileWatchTest, WithInotifyUnavailableItPollsAtTheInterval) {
  ::setenv("SLUICE_TEST_INOTIFY", "unavailable", 1);
  // The interval counts from when the watch began (its first scan): the clock starts before it.
  const auto start = std::chrono::steady_clock::now();
  FileWatch watch({path("*.log")}, milliseconds(60));
  EXPECT_TRUE(watch.polling());
  EXPECT_EQ(watch.fallback_reason(), "SLUICE_TEST_INOTIFY=unavailable");
  append("a.log", "1\n");  // not seen: only the rescan at the interval tells
  EXPECT_EQ(watch.wait(ctx_), FileWatch::Wake::kRescan);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(60));
  // A shorter limit than the interval ends the wait first, as with inotify.
  EXPECT_EQ(watch.wait(ctx_, milliseconds(10)), FileWatch::Wake::kTimedOut);
}

TEST_F(FileWatchTest, AStopEndsTheWait) {
  FileWatch watch({path("*.log")}, kHour);
  std::thread stopper([&] { ctx_.stop.store(true); });
  // An hour unless the stop is noticed; ctest's timeout fails a wait that never ends.
  EXPECT_EQ(watch.wait(ctx_), FileWatch::Wake::kStopping);
  stopper.join();
}

TEST_F(FileWatchTest, AStopEndsTheWaitWhenPollingToo) {
  ::setenv("SLUICE_TEST_INOTIFY", "unavailable", 1);
  FileWatch watch({path("*.log")}, kHour);
  ASSERT_TRUE(watch.polling());
  std::thread stopper([&] { ctx_.stop.store(true); });
  EXPECT_EQ(watch.wait(ctx_), FileWatch::Wake::kStopping);
  stopper.join();
}

}  // namespace
}  // namespace sluice
