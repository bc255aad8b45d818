#include "stages/delivery/position_tracker.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using Change = PositionTracker::Change;

TEST(PositionTracker, NoPositionBeforeTheFirstRange) {
  PositionTracker t;
  EXPECT_FALSE(t.committable().has_value());
  EXPECT_EQ(t.in_flight(), 0u);
  t.emitted(100, 109);
  EXPECT_EQ(t.committable(), 100);  // nothing finished: the first emitted position
  EXPECT_EQ(t.in_flight(), 1u);
}

TEST(PositionTracker, InOrderCompletionAdvancesPastEachRange) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 10);
  EXPECT_EQ(t.complete(10), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 20);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(PositionTracker, OutOfOrderCompletionWaitsForTheEarlierRange) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  t.emitted(20, 29);
  EXPECT_EQ(t.complete(20), Change::kNone);
  EXPECT_EQ(t.complete(10), Change::kNone);
  EXPECT_EQ(t.committable(), 0);
  EXPECT_EQ(t.in_flight(), 1u);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 30);  // the whole contiguous run at once
}

TEST(PositionTracker, HoleInTheMiddleStopsTheRunThere) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  t.emitted(20, 29);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.complete(20), Change::kNone);
  EXPECT_EQ(t.committable(), 10);  // 10..19 still in flight
  EXPECT_EQ(t.complete(10), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 30);
}

TEST(PositionTracker, GapsBetweenRangesAreNotWaitedFor) {
  // Kafka offsets skip compacted records and transaction markers: never emitted, never owed.
  PositionTracker t;
  t.emitted(5, 7);
  t.emitted(12, 12);
  EXPECT_EQ(t.complete(12), Change::kNone);
  EXPECT_EQ(t.complete(5), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 13);
}

TEST(PositionTracker, AbandonedRangeHoldsThePositionForGood) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  t.emitted(20, 29);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.abandon(10), Change::kBlocked);
  EXPECT_EQ(t.blocked_at(), 10);
  EXPECT_EQ(t.complete(20), Change::kNone);
  EXPECT_EQ(t.committable(), 10);  // never past the undelivered record
  t.emitted(30, 39);
  EXPECT_EQ(t.complete(30), Change::kNone);
  EXPECT_EQ(t.committable(), 10);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(PositionTracker, BlockedIsSaidOnceButEarlierRangesStillFinish) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  t.emitted(20, 29);
  t.emitted(30, 39);
  EXPECT_EQ(t.abandon(20), Change::kBlocked);
  EXPECT_EQ(t.abandon(30), Change::kNone);  // already blocked: the source said so once
  // Ranges before the hole still move the position up to it.
  EXPECT_EQ(t.complete(10), Change::kNone);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 20);
  EXPECT_EQ(t.blocked_at(), 20);
}

TEST(PositionTracker, AnEarlierAbandonMovesTheBlockBack) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  t.emitted(20, 29);
  EXPECT_EQ(t.abandon(20), Change::kBlocked);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.abandon(10), Change::kNone);
  EXPECT_EQ(t.blocked_at(), 10);
  EXPECT_EQ(t.committable(), 10);
}

TEST(PositionTracker, FirstRangeAbandonedHoldsTheStart) {
  PositionTracker t;
  t.emitted(42, 50);
  t.emitted(51, 60);
  EXPECT_EQ(t.abandon(42), Change::kBlocked);
  EXPECT_EQ(t.complete(51), Change::kNone);
  EXPECT_EQ(t.committable(), 42);
}

TEST(PositionTracker, ResetOnRevokeForgetsRangesAndTheBlock) {
  PositionTracker t;
  t.emitted(0, 9);
  t.emitted(10, 19);
  EXPECT_EQ(t.abandon(0), Change::kBlocked);
  t.reset();
  EXPECT_FALSE(t.committable().has_value());
  EXPECT_FALSE(t.blocked_at().has_value());
  EXPECT_EQ(t.in_flight(), 0u);
  // An acknowledgement of a batch from before the reset is ignored.
  EXPECT_EQ(t.complete(10), Change::kNone);
  // The partition comes back (from the committed offset): tracked afresh.
  t.emitted(0, 4);
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 5);
}

TEST(PositionTracker, ResetWithAPositionStartsThere) {
  PositionTracker t;
  t.reset(1000);
  EXPECT_EQ(t.committable(), 1000);
  t.emitted(1000, 1001);
  EXPECT_EQ(t.complete(1000), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 1002);
}

TEST(PositionTracker, UnknownOrRepeatedOutcomesAreIgnored) {
  PositionTracker t;
  t.emitted(0, 9);
  EXPECT_EQ(t.complete(5), Change::kNone);  // not the start of a range
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.complete(0), Change::kNone);  // told twice
  EXPECT_EQ(t.abandon(0), Change::kNone);   // already finished
  EXPECT_EQ(t.committable(), 10);
  EXPECT_FALSE(t.blocked_at().has_value());
}

TEST(PositionTracker, SingleRecordRanges) {
  PositionTracker t;
  for (int64_t i = 0; i < 100; ++i) {
    t.emitted(i, i);
  }
  for (int64_t i = 99; i >= 1; --i) {
    EXPECT_EQ(t.complete(i), Change::kNone);
  }
  EXPECT_EQ(t.complete(0), Change::kAdvanced);
  EXPECT_EQ(t.committable(), 100);
  EXPECT_EQ(t.in_flight(), 0u);
}

}  // namespace
}  // namespace sluice
