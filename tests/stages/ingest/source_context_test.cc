// SourceContext::wait_for_stop and wait_for_stop_or_readable, the defaults a context without its
// own wake-up uses: they sleep out their timeout when nobody stops them, return soon after
// stopping() turns true, and the second returns as soon as its descriptor is readable.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "stages/ingest/source.h"
#include "tests/stages/ingest/fake_source_context.h"

namespace sluice {
namespace {

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

// An eventfd as the descriptor a source waits on: readable once written.
class EventFd {
 public:
  EventFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() { ::close(fd_); }
  int fd() const { return fd_; }
  void poke() {
    uint64_t one = 1;
    ASSERT_EQ(::write(fd_, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  }

 private:
  int fd_;
};

using Wake = SourceContext::Wake;

TEST(SourceContext, WaitForStopOrReadableTimesOutWhenNothingHappens) {
  StoppableContext ctx;
  EventFd fd;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::milliseconds(50)), Wake::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::milliseconds(0)), Wake::kTimedOut);
  // Without a descriptor it is wait_for_stop().
  EXPECT_EQ(ctx.wait_for_stop_or_readable(-1, std::chrono::milliseconds(0)), Wake::kTimedOut);
}

TEST(SourceContext, WaitForStopOrReadableReturnsOnceTheDescriptorIsReadable) {
  StoppableContext ctx;
  EventFd fd;
  fd.poke();
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::milliseconds(0)), Wake::kReadable);
  std::thread writer([&] { fd.poke(); });
  // An hour unless the descriptor is looked at.
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::hours(1)), Wake::kReadable);
  writer.join();
}

TEST(SourceContext, WaitForStopOrReadableReturnsOnceStoppedAndAStopWins) {
  StoppableContext ctx;
  EventFd fd;
  std::thread stopper([&] { ctx.stop.store(true); });
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::hours(1)), Wake::kStopping);
  stopper.join();
  fd.poke();
  EXPECT_EQ(ctx.wait_for_stop_or_readable(fd.fd(), std::chrono::hours(1)), Wake::kStopping);
  EXPECT_EQ(ctx.wait_for_stop_or_readable(-1, std::chrono::hours(1)), Wake::kStopping);
}

}  // namespace
}  // namespace sluice
