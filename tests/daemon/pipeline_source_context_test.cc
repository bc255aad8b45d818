// Pipeline as a SourceContext: the non-blocking calls a polled source (Kafka, TCP) relies on.
// The pipeline is built but not started, so nothing drains its queue or frees its budget unless
// the test does.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "config/config_loader.h"
#include "daemon/pipeline.h"
#include "daemon/sink_runner.h"
#include "stages/sinks/stdout_sink.h"

namespace sluice {
namespace {

constexpr size_t kKiB = 1024;
constexpr auto kShort = std::chrono::milliseconds(10);

class PipelineSourceContextTest : public ::testing::Test {
 protected:
  // `on_full` of the pipeline's queue; the queue in front of the workers holds 1 MiB.
  void build(size_t memory_limit, const std::string& on_full = "block") {
    LoadedConfig loaded = load_config(R"(
pipelines:
  p:
    source: { type: generate, format: csv, count: 1 }
    parse: { format: none }
    routes: [ { to: out } ]
    queue: { max_bytes: 2MiB, on_full: )" +
                                          on_full + R"( }
sinks:
  out: { type: null }
)",
                                      process_environment());
    ASSERT_TRUE(loaded.ok()) << format_problems(loaded.problems, "test");
    budget_ = std::make_unique<MemoryBudget>(memory_limit);
    sink_ = std::make_unique<SinkRunner>("out", std::make_unique<NullSink>(), 1 << 20);
    auto built = Pipeline::build(loaded.config.pipelines[0], loaded.config.sinks,
                                 {{"out", sink_.get()}}, *budget_);
    ASSERT_TRUE(built.ok()) << built.status().message();
    pipeline_ = std::move(built.value());
  }
  SourceContext& ctx() { return pipeline_->source_context(); }
  const StageCounters& ingest() const { return pipeline_->counters(Stage::kIngest); }
  // A batch of `bytes` (counted against the queue's capacity) holding one event.
  BatchPtr batch_of(size_t bytes) {
    BatchPtr batch = ctx().try_new_batch(bytes);
    EXPECT_NE(batch, nullptr);
    if (batch) {
      batch->events.emplace_back();
    }
    return batch;
  }

  std::unique_ptr<MemoryBudget> budget_;
  std::unique_ptr<SinkRunner> sink_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineSourceContextTest, TryNewBatchIsNullWhileTheBudgetIsExhaustedAndTakesNothing) {
  build(1024 * kKiB);
  BatchPtr held = ctx().try_new_batch(800 * kKiB);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(budget_->used(), 800 * kKiB);
  EXPECT_EQ(ctx().try_new_batch(512 * kKiB), nullptr);
  EXPECT_EQ(budget_->used(), 800 * kKiB) << "a refused try takes nothing from the budget";
  EXPECT_FALSE(ctx().wait_for_room(512 * kKiB, kShort));
  held.reset();  // the batch went through the pipeline: its memory is free again
  EXPECT_TRUE(ctx().wait_for_room(512 * kKiB, kShort));
  BatchPtr next = ctx().try_new_batch(512 * kKiB);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(budget_->used(), 512 * kKiB);
}

TEST_F(PipelineSourceContextTest, TryEmitHandsTheBatchBackWhileTheQueueIsFull) {
  build(64 << 20);
  for (int i = 0; i < 2; ++i) {  // 1.2 MiB: the 1 MiB queue is full after the second
    BatchPtr batch = batch_of(600 * kKiB);
    ASSERT_TRUE(ctx().try_emit(batch));
    EXPECT_EQ(batch, nullptr) << "an accepted batch is moved from";
  }
  EXPECT_EQ(ingest().events_in.load(), 2u);
  BatchPtr refused = batch_of(600 * kKiB);
  const Batch* before = refused.get();
  EXPECT_FALSE(ctx().try_emit(refused));
  EXPECT_EQ(refused.get(), before) << "a refused batch stays with the source";
  EXPECT_EQ(ingest().events_in.load(), 2u) << "a refused batch has not entered the pipeline";
  const uint64_t blocked_before = ingest().blocked_ns.load();
  EXPECT_FALSE(ctx().wait_for_room(0, kShort));
  EXPECT_GT(ingest().blocked_ns.load(), blocked_before) << "waiting for room is backpressure";
  pipeline_->discard_queued();  // the queue drains
  EXPECT_TRUE(ctx().wait_for_room(0, kShort));
  EXPECT_TRUE(ctx().try_emit(refused));
  EXPECT_EQ(refused, nullptr);
  EXPECT_EQ(ingest().events_in.load(), 3u);
}

TEST_F(PipelineSourceContextTest, WithDropNewestAFullQueueDropsTheBatchAndCountsIt) {
  build(64 << 20, "drop_newest");
  for (int i = 0; i < 2; ++i) {
    BatchPtr batch = batch_of(600 * kKiB);
    ASSERT_TRUE(ctx().try_emit(batch));
  }
  BatchPtr dropped = batch_of(600 * kKiB);
  EXPECT_TRUE(ctx().try_emit(dropped));
  EXPECT_EQ(dropped, nullptr);
  EXPECT_EQ(ingest().dropped[static_cast<int>(DropReason::kQueueFull)].load(), 1u);
  EXPECT_TRUE(ctx().wait_for_room(0, kShort)) << "a dropping queue never holds a source back";
}

// wait_for_stop_or_readable: the pipeline polls the source's descriptor together with its own stop
// descriptor, so a stop ends the wait at once, not at the next slice or timeout.
TEST_F(PipelineSourceContextTest, WaitForStopOrReadableReturnsOnAReadableDescriptorOrATimeout) {
  build(64 << 20);
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  using Wake = SourceContext::Wake;
  EXPECT_EQ(ctx().wait_for_stop_or_readable(fd, kShort), Wake::kTimedOut);
  std::thread writer([fd] {
    uint64_t one = 1;
    EXPECT_EQ(::write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  });
  // An hour unless the descriptor is polled.
  EXPECT_EQ(ctx().wait_for_stop_or_readable(fd, std::chrono::hours(1)), Wake::kReadable);
  writer.join();
  ::close(fd);
}

TEST_F(PipelineSourceContextTest, WaitForStopOrReadableReturnsOnceTheStopIsRequested) {
  build(64 << 20);
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  using Wake = SourceContext::Wake;
  EXPECT_EQ(ctx().wait_for_stop_or_readable(fd, kShort), Wake::kTimedOut);  // makes the stop fd
  std::thread stopper([this] { pipeline_->request_stop(); });
  EXPECT_EQ(ctx().wait_for_stop_or_readable(fd, std::chrono::hours(1)), Wake::kStopping);
  stopper.join();
  // Stopped stays stopped, also without a descriptor.
  EXPECT_EQ(ctx().wait_for_stop_or_readable(fd, std::chrono::hours(1)), Wake::kStopping);
  EXPECT_EQ(ctx().wait_for_stop_or_readable(-1, std::chrono::hours(1)), Wake::kStopping);
  ::close(fd);
}

}  // namespace
}  // namespace sluice
