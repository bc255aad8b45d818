// ConsistentCut: positions and output lengths move together, only over batches every output
// finished, and never past an abandoned one.
#include "stages/delivery/consistent_cut.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

TEST(ConsistentCutTest, LengthsAndPositionsMoveOnlyOverAContiguousRun) {
  ConsistentCut cut({100, 0});
  std::vector<ConsistentCut::Passed> passed;
  cut.emitted(1, /*stream=*/7, 10);
  cut.emitted(2, 8, 50);
  cut.emitted(3, 7, 20);
  // Output 0 writes batches 1 and 3, output 1 writes batch 2 (each reports before settling).
  cut.output_written(0, 1, 110);
  cut.output_written(1, 2, 40);
  cut.output_written(0, 3, 130);
  // Batch 2 settles first: nothing moves while batch 1 is in flight.
  EXPECT_FALSE(cut.settle(2, true, passed));
  EXPECT_EQ(cut.lengths(), (std::vector<uint64_t>{100, 0}));
  EXPECT_TRUE(cut.settle(1, true, passed));
  ASSERT_EQ(passed.size(), 2u);
  EXPECT_EQ(passed[0].stream, 7u);
  EXPECT_EQ(passed[0].end, 10);
  EXPECT_EQ(passed[1].stream, 8u);
  EXPECT_EQ(passed[1].end, 50);
  // Output 0 counts batch 1 only: batch 3's bytes are past the cut.
  EXPECT_EQ(cut.lengths(), (std::vector<uint64_t>{110, 40}));
  passed.clear();
  EXPECT_TRUE(cut.settle(3, true, passed));
  EXPECT_EQ(cut.lengths(), (std::vector<uint64_t>{130, 40}));
  EXPECT_EQ(cut.behind(), 0u);
}

TEST(ConsistentCutTest, ABatchNotRoutedToAnOutputLeavesItsLength) {
  ConsistentCut cut({5});
  std::vector<ConsistentCut::Passed> passed;
  cut.emitted(1, 1, 10);  // everything filtered: no output reports
  EXPECT_TRUE(cut.settle(1, true, passed));
  EXPECT_EQ(cut.lengths()[0], 5u);
  EXPECT_EQ(cut.cut(), 2);
}

TEST(ConsistentCutTest, AnAbandonedBatchHoldsTheCutBeforeIt) {
  ConsistentCut cut({0});
  std::vector<ConsistentCut::Passed> passed;
  cut.emitted(1, 1, 10);
  cut.emitted(2, 1, 20);
  cut.emitted(3, 1, 30);
  cut.output_written(0, 1, 3);
  cut.output_written(0, 2, 6);
  EXPECT_TRUE(cut.settle(1, true, passed));
  EXPECT_FALSE(cut.settle(2, false, passed));
  cut.output_written(0, 3, 9);
  EXPECT_FALSE(cut.settle(3, true, passed));
  EXPECT_EQ(cut.lengths()[0], 3u);
  EXPECT_EQ(cut.blocked_at(), 2);
  ASSERT_EQ(passed.size(), 1u);
  EXPECT_EQ(passed[0].end, 10);
  // Later batches are not remembered while blocked.
  cut.emitted(4, 1, 40);
  EXPECT_EQ(cut.behind(), 0u);
}

}  // namespace
}  // namespace sluice
