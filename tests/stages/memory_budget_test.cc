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

TEST(MemoryBudget, WaitersAreServedInTheOrderTheyCame) {
  // Fairness: while a large request waits for room, smaller later ones queue behind it instead
  // of taking the room as it frees up bit by bit.
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(100, stop));
  std::atomic<bool> big_granted{false};
  std::atomic<bool> small_granted{false};
  std::thread big([&] { big_granted = budget.acquire(80, stop); });
  for (int i = 0; i < 1000 && budget.waiting() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(budget.waiting(), 1);
  std::thread small([&] { small_granted = budget.acquire(10, stop); });
  for (int i = 0; i < 1000 && budget.waiting() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(budget.waiting(), 2);
  budget.release(30);  // room for the small request, not for the big one that came first
  // A negative can only be watched for a while: 50 checks over about 50 ms (each waiter
  // re-checks at least every 50 ms, and at once on release).
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_FALSE(small_granted.load()) << "served before the earlier waiter";
  }
  EXPECT_EQ(budget.used(), 70u);
  budget.release(70);
  big.join();
  small.join();
  EXPECT_TRUE(big_granted.load());
  EXPECT_TRUE(small_granted.load());
  EXPECT_EQ(budget.used(), 90u);
}

TEST(MemoryBudget, AWaiterThatStopsDoesNotBlockThoseBehindIt) {
  MemoryBudget budget(100);
  std::atomic<bool> stop_first{false};
  std::atomic<bool> never{false};
  ASSERT_TRUE(budget.acquire(100, never));
  std::atomic<int> first{-1};
  std::thread waiter_a([&] { first = budget.acquire(100, stop_first); });
  for (int i = 0; i < 1000 && budget.waiting() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<bool> second{false};
  std::thread waiter_b([&] { second = budget.acquire(50, never); });
  for (int i = 0; i < 1000 && budget.waiting() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop_first = true;
  waiter_a.join();
  EXPECT_EQ(first.load(), 0);
  budget.release(60);
  waiter_b.join();
  EXPECT_TRUE(second.load());
  EXPECT_EQ(budget.used(), 90u);
}

TEST(MemoryBudget, TryAcquireTakesWhatFitsAndRefusesTheRestWithoutWaiting) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.try_acquire(60));
  EXPECT_FALSE(budget.try_acquire(50));
  EXPECT_EQ(budget.used(), 60u) << "a refused try takes nothing";
  EXPECT_TRUE(budget.try_acquire(40));
  EXPECT_EQ(budget.used(), 100u);
  budget.release(60);
  EXPECT_TRUE(budget.try_acquire(50)) << "room freed: the same request now succeeds";
}

TEST(MemoryBudget, TryAcquireDoesNotJumpTheQueueOfWaiters) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(80, stop));
  std::thread waiter([&] { EXPECT_TRUE(budget.acquire(50, stop)); });
  for (int i = 0; i < 2000 && budget.waiting() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(budget.waiting(), 1);
  EXPECT_FALSE(budget.has_room(10));
  EXPECT_FALSE(budget.try_acquire(10)) << "10 bytes fit, but the waiter asked first";
  budget.release(80);
  waiter.join();
  EXPECT_EQ(budget.used(), 50u);
}

TEST(MemoryBudget, WaitForRoomWakesOnReleaseAndTakesNothing) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(80, stop));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_FALSE(budget.wait_for_room(50, now + std::chrono::milliseconds(10), stop));
  std::atomic<bool> woke{false};
  std::thread watcher([&] {
    // An hour unless the release is noticed; ctest's timeout fails a test that never returns.
    woke = budget.wait_for_room(50, std::chrono::steady_clock::now() + std::chrono::hours(1), stop);
  });
  budget.release(80);
  watcher.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_TRUE(budget.try_acquire(50));
}

TEST(MemoryBudget, StopEndsAWaitForRoom) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(budget.acquire(100, stop));
  std::thread stopper([&] { stop = true; });
  EXPECT_FALSE(
      budget.wait_for_room(1, std::chrono::steady_clock::now() + std::chrono::hours(1), stop));
  stopper.join();
}

// librdkafka's buffers are reserved from the cap: batches get what is left.
TEST(MemoryBudget, AReservationTakesItsShareFromTheBatches) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  MemoryReservation library(&budget, 30);
  EXPECT_EQ(budget.used(), 30u);
  EXPECT_EQ(budget.reserved(), 30u);
  EXPECT_TRUE(budget.try_acquire(70));
  EXPECT_FALSE(budget.try_acquire(1));
  budget.release(70);
  library.reset();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.reserved(), 0u);
  EXPECT_TRUE(budget.try_acquire(100));
}

// One record larger than what the reservations leave must still be read when no batch holds
// anything; otherwise it would wait for memory nobody releases.
TEST(MemoryBudget, AnOversizedRequestIsGrantedWhenOnlyReservationsAreHeld) {
  MemoryBudget budget(100);
  std::atomic<bool> stop{false};
  MemoryReservation library(&budget, 60);
  EXPECT_TRUE(budget.acquire(90, stop));
  EXPECT_EQ(budget.used(), 150u);
  // Now a batch holds bytes: the next request waits its turn as usual.
  EXPECT_FALSE(budget.try_acquire(10));
}

TEST(MemoryReservation, MovesAndGivesBackOnce) {
  MemoryBudget budget(100);
  {
    MemoryReservation first(&budget, 40);
    MemoryReservation second(std::move(first));
    EXPECT_EQ(budget.reserved(), 40u);
    MemoryReservation third;
    third = std::move(second);
    EXPECT_EQ(budget.used(), 40u);
  }
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.reserved(), 0u);
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
