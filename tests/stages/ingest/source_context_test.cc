// SourceContext::wait_for_stop, the default a context without its own wake-up uses: sleeps out
// its timeout when nobody stops it, and returns soon after stopping() turns true.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stages/ingest/source.h"
#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

class StoppableContext : public BlockingOnlyContext {
 public:
  bool stopping() const override { return stop.load(); }
  BatchPtr new_batch(size_t) override { return nullptr; }
  bool emit(BatchPtr) override { return false; }
  std::atomic<bool> stop{false};
};

TEST(SourceContext, WaitForStopSleepsOutItsTimeoutWhenNotStopped) {
  StoppableContext ctx;
  EXPECT_FALSE(ctx.wait_for_stop(std::chrono::milliseconds(30)));
  EXPECT_FALSE(ctx.wait_for_stop(std::chrono::milliseconds(0)));
}

TEST(SourceContext, WaitForStopReturnsOnceStopped) {
  StoppableContext ctx;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ctx.stop.store(true);
  });
  // An hour unless the stop is noticed; ctest's timeout fails a test that never returns.
  EXPECT_TRUE(ctx.wait_for_stop(std::chrono::hours(1)));
  stopper.join();
  EXPECT_TRUE(ctx.wait_for_stop(std::chrono::hours(1)));  // already stopped: no wait
}

}  // namespace
}  // namespace sluice
