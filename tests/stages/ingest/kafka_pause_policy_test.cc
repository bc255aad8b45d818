#include "stages/ingest/kafka_pause_policy.h"

#include <gtest/gtest.h>

#include <chrono>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = KafkaPausePolicy::Clock;

TEST(KafkaPausePolicy, NoPauseWhileThePipelineMoves) {
  KafkaPausePolicy policy(500ms);
  const Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(policy.pause_due(t0));
  EXPECT_EQ(policy.until_pause(t0), Clock::duration(500ms));
}

TEST(KafkaPausePolicy, AMomentsFullnessIsWaitedOut) {
  KafkaPausePolicy policy(500ms);
  const Clock::time_point t0 = Clock::now();
  policy.refused(t0);
  policy.refused(t0 + 300ms);  // still full: the stall is timed from the first refusal
  EXPECT_FALSE(policy.pause_due(t0 + 499ms));
  EXPECT_EQ(policy.until_pause(t0 + 300ms), Clock::duration(200ms));
}

TEST(KafkaPausePolicy, AStallPausesAfterTheDelay) {
  KafkaPausePolicy policy(500ms);
  const Clock::time_point t0 = Clock::now();
  policy.refused(t0);
  EXPECT_TRUE(policy.pause_due(t0 + 500ms));
  EXPECT_EQ(policy.until_pause(t0 + 700ms), Clock::duration::zero());
}

// A backlog draining at the pipeline's speed refuses many times a second, each time briefly:
// progress in between restarts the clock, so the partitions are never paused.
TEST(KafkaPausePolicy, ProgressBetweenRefusalsRestartsTheClock) {
  KafkaPausePolicy policy(500ms);
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 100; ++i) {
    policy.refused(t0 + i * 10ms);
    policy.progressed();
  }
  policy.refused(t0 + 1000ms);
  EXPECT_FALSE(policy.pause_due(t0 + 1400ms));
  EXPECT_TRUE(policy.pause_due(t0 + 1500ms));
}

}  // namespace
}  // namespace sluice
