// CheckpointSaver: saves run in order on the saver's thread, a waiting save is replaced by a
// newer one, each save that ran reports its outcome, flush() waits for the last one, and
// save_durably syncs the sink files before it writes the record. A gate holds a save inside the
// save function so the tests decide what runs when; every wait is on a condition, bounded.
#include "stages/ingest/checkpoint_saver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr auto kBound = std::chrono::seconds(10);

// Records the saves it is given; a closed gate holds each save until it is opened.
class GatedSaves {
 public:
  Status save(const CheckpointSave& save) {
    std::unique_lock<std::mutex> lock(mu_);
    started_.push_back(save.seq);
    offsets_.push_back(save.entries.empty() ? 0 : save.entries.front().offset);
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    return fail_ ? Status::error("disk full") : Status();
  }
  void set_open(bool open) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = open;
    changed_.notify_all();
  }
  void set_fail(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }
  // Waits (bounded) until `n` saves have started.
  bool wait_started(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kBound, [&] { return started_.size() >= n; });
  }
  std::vector<uint64_t> offsets() {
    std::lock_guard<std::mutex> lock(mu_);
    return offsets_;
  }
  std::vector<uint64_t> started() {
    std::lock_guard<std::mutex> lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = true;
  bool fail_ = false;
  std::vector<uint64_t> started_;
  std::vector<uint64_t> offsets_;
};

CheckpointSave at(uint64_t offset) {
  CheckpointSave s;
  FileCheckpoint e;
  e.path = "/var/log/app.log";
  e.offset = offset;
  s.entries.push_back(e);
  return s;
}

std::vector<CheckpointSaver::Completion> take(CheckpointSaver& saver) {
  std::vector<CheckpointSaver::Completion> out;
  saver.take_completions(out);
  return out;
}

TEST(CheckpointSaverTest, SavesRunInOrderAndEachReportsItsOutcome) {
  GatedSaves gate;
  CheckpointSaver saver([&](const CheckpointSave& s) { return gate.save(s); });
  const uint64_t first = saver.submit(at(10));
  saver.flush();
  const uint64_t second = saver.submit(at(20));
  saver.flush();
  EXPECT_LT(first, second);
  EXPECT_EQ(gate.offsets(), (std::vector<uint64_t>{10, 20}));
  ASSERT_TRUE(saver.has_completions());
  auto done = take(saver);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].seq, first);
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[1].seq, second);
  EXPECT_TRUE(done[1].status.ok());
  EXPECT_FALSE(saver.has_completions());
  EXPECT_TRUE(take(saver).empty());
}

TEST(CheckpointSaverTest, NewerSaveReplacesOneWaitingWhileASaveRuns) {
  GatedSaves gate;
  gate.set_open(false);
  CheckpointSaver saver([&](const CheckpointSave& s) { return gate.save(s); });
  const uint64_t running = saver.submit(at(10));
  ASSERT_TRUE(gate.wait_started(1));
  saver.submit(at(20));  // waits, then is replaced
  const uint64_t newest = saver.submit(at(30));
  EXPECT_FALSE(saver.has_completions());  // the running save is not done
  gate.set_open(true);
  saver.flush();
  // Never two at once, never the older one after the newer: 10, then 30; 20 never ran.
  EXPECT_EQ(gate.offsets(), (std::vector<uint64_t>{10, 30}));
  auto done = take(saver);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].seq, running);
  EXPECT_EQ(done[1].seq, newest);
}

TEST(CheckpointSaverTest, FlushWaitsForTheRunningAndTheWaitingSave) {
  GatedSaves gate;
  gate.set_open(false);
  CheckpointSaver saver([&](const CheckpointSave& s) { return gate.save(s); });
  saver.submit(at(10));
  ASSERT_TRUE(gate.wait_started(1));
  const uint64_t last = saver.submit(at(20));
  std::mutex mu;
  std::condition_variable cv;
  bool flushed = false;
  std::thread flusher([&] {
    saver.flush();
    std::lock_guard<std::mutex> lock(mu);
    flushed = true;
    cv.notify_all();
  });
  {
    // While the gate is closed the flush cannot return: the saves are not done.
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_FALSE(flushed);
  }
  gate.set_open(true);
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, kBound, [&] { return flushed; }));
  }
  flusher.join();
  auto done = take(saver);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done.back().seq, last);
  EXPECT_EQ(gate.offsets(), (std::vector<uint64_t>{10, 20}));
}

TEST(CheckpointSaverTest, FailingSaveIsReported) {
  GatedSaves gate;
  gate.set_fail(true);
  CheckpointSaver saver([&](const CheckpointSave& s) { return gate.save(s); });
  const uint64_t failed = saver.submit(at(10));
  saver.flush();
  gate.set_fail(false);
  const uint64_t ok = saver.submit(at(10));
  saver.flush();
  auto done = take(saver);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].seq, failed);
  ASSERT_FALSE(done[0].status.ok());
  EXPECT_EQ(done[0].status.message(), "disk full");
  EXPECT_EQ(done[1].seq, ok);
  EXPECT_TRUE(done[1].status.ok());
}

TEST(CheckpointSaverTest, DestructionFinishesTheWaitingSave) {
  GatedSaves gate;
  {
    CheckpointSaver saver([&](const CheckpointSave& s) { return gate.save(s); });
    saver.submit(at(10));
    saver.submit(at(20));
  }
  // The newest is always saved; the first may have been replaced before it started.
  ASSERT_FALSE(gate.offsets().empty());
  EXPECT_EQ(gate.offsets().back(), 20u);
}

class SaveDurablyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "checkpoint_saver_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SaveDurablyTest, RecordHoldsTheSinkLengthsOfTheSnapshot) {
  const std::string sink = dir_ + "/out.log";
  std::ofstream(sink, std::ios::binary) << "0123456789";
  FileCheckpointStore store(dir_ + "/p.files");
  CheckpointSave save = at(42);
  save.sinks.push_back({sink, 6});  // the file grew past the snapshot's length since: fine
  ASSERT_TRUE(save_durably(store, save).ok());
  std::vector<SinkFileLength> sinks;
  auto loaded = store.load(nullptr, &sinks);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded.value().size(), 1u);
  EXPECT_EQ(loaded.value()[0].offset, 42u);
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(sinks[0].path, sink);
  EXPECT_EQ(sinks[0].length, 6u);
}

TEST_F(SaveDurablyTest, SinkThatCannotBeSyncedWritesNoRecord) {
  FileCheckpointStore store(dir_ + "/p.files");
  ASSERT_TRUE(save_durably(store, at(1)).ok());
  CheckpointSave save = at(42);
  save.sinks.push_back({dir_ + "/missing/out.log", 6});  // not there, yet counted
  EXPECT_FALSE(save_durably(store, save).ok());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded.value().size(), 1u);
  EXPECT_EQ(loaded.value()[0].offset, 1u);  // the older record stands
}

}  // namespace
}  // namespace sluice
