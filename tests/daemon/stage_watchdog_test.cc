// The watchdog's rule, one test per case: waiting (for input or on backpressure) is healthy
// however long; busy with one batch past the bound is stuck; finishing the batch heals.
#include "daemon/stage_watchdog.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(StageWatchdog, WaitingThreadsAreHealthyForever) {
  StageHeartbeat worker("worker0:p");
  StageHeartbeat sink("sink:out");
  StageWatchdog watchdog({&worker, &sink}, milliseconds(2000));
  EXPECT_TRUE(watchdog.healthy(StageHeartbeat::Clock::now() + std::chrono::hours(24)));
}

TEST(StageWatchdog, BusyWithinTheBoundIsHealthy) {
  StageHeartbeat route("route:p");
  StageWatchdog watchdog({&route}, milliseconds(2000));
  route.busy();
  EXPECT_TRUE(watchdog.healthy(StageHeartbeat::Clock::now() + milliseconds(1500)));
}

TEST(StageWatchdog, BusyPastTheBoundIsStuckUntilTheBatchIsDone) {
  StageHeartbeat worker("worker0:p");
  StageHeartbeat route("route:p");
  StageWatchdog watchdog({&worker, &route}, milliseconds(2000));
  route.busy();
  EXPECT_FALSE(watchdog.healthy(StageHeartbeat::Clock::now() + seconds(3)));
  EXPECT_EQ(route.batches(), 1u);
  route.not_busy();
  EXPECT_TRUE(watchdog.healthy(StageHeartbeat::Clock::now() + seconds(3)));
}

TEST(StageWatchdog, ANewBatchRestartsTheClock) {
  StageHeartbeat sink("sink:out");
  StageWatchdog watchdog({&sink}, milliseconds(2000));
  sink.busy();
  const auto first = StageHeartbeat::Clock::now();
  sink.not_busy();
  sink.busy();
  EXPECT_LE(sink.busy_for(first + seconds(1)), seconds(1));
  EXPECT_EQ(sink.batches(), 2u);
}

}  // namespace
}  // namespace sluice
