// MemoryBudget and MemoryLease: the process-wide byte cap that turns into backpressure.
#include "stages/memory_budget.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice {
namespace {

TEST(MemoryBudget, AcquireWithinLimitDoesNotBlock) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  EXPECT_TRUE(budget.acquire(60, stop));
  EXPECT_TRUE(budget.acquire(40, stop));
  EXPECT_EQ(budget.used(), 100u);
}

TEST(MemoryBudget, OversizedRequestIsGrantedWhenNothingIsHeld) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  EXPECT_TRUE(budget.acquire(500, stop));
  EXPECT_EQ(budget.used(), 500u);
}

TEST(MemoryBudget, AcquireBlocksUntilRelease) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(80, stop));
  std::atomic<bool> granted{false};
  std::thread waiter([&] { granted = budget.acquire(50, stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(granted.load());
  budget.release(80);
  waiter.join();
  EXPECT_TRUE(granted.load());
  EXPECT_EQ(budget.used(), 50u);
}

TEST(MemoryBudget, StopEndsAWaitWithoutGranting) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(100, stop));
  std::atomic<int> granted{-1};
  std::thread waiter([&] { granted = budget.acquire(1, stop); });
  stop = true;
  waiter.join();
  EXPECT_EQ(granted.load(), 0);
  EXPECT_EQ(budget.used(), 100u);
}

TEST(MemoryLease, ReleasesOnDestructionAndResizes) {
  MemoryBudget budget(1000);
  std::atomic<bool> stop{false};
  {
    ASSERT_TRUE(budget.acquire(100, stop));
    MemoryLease lease(&budget, 100);
    lease.resize(300);
    EXPECT_EQ(budget.used(), 300u);
    lease.resize(50);
    EXPECT_EQ(budget.used(), 50u);
    MemoryLease moved(std::move(lease));
    EXPECT_EQ(budget.used(), 50u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace sluice
