// BatchQueue: bounded in bytes, blocking producers when full, waking them when drained.
#include "stages/batch_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using Item = std::unique_ptr<int>;
constexpr auto kShort = std::chrono::milliseconds(10);

TEST(BatchQueue, PushThenPopKeepsOrder) {
  BatchQueue<Item> q(1000);
  std::atomic<bool> stop{false};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(q.push(std::make_unique<int>(i), 10, stop, nullptr));
  }
  EXPECT_EQ(q.bytes(), 50u);
  for (int i = 0; i < 5; ++i) {
    Item out;
    ASSERT_TRUE(q.pop(out, kShort));
    EXPECT_EQ(*out, i);
  }
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(BatchQueue, PopOnEmptyTimesOut) {
  BatchQueue<Item> q(100);
  Item out;
  EXPECT_FALSE(q.pop(out, kShort));
}

TEST(BatchQueue, OversizedItemIsAdmittedIntoAnEmptyQueue) {
  BatchQueue<Item> q(100);
  std::atomic<bool> stop{false};
  EXPECT_TRUE(q.push(std::make_unique<int>(1), 1000, stop, nullptr));
  EXPECT_FALSE(q.try_push(std::make_unique<int>(2), 1)) << "full after the oversized item";
}

TEST(BatchQueue, TryPushFailsWhenFull) {
  BatchQueue<Item> q(100);
  EXPECT_TRUE(q.try_push(std::make_unique<int>(1), 60));
  EXPECT_TRUE(q.try_push(std::make_unique<int>(2), 60));
  EXPECT_FALSE(q.try_push(std::make_unique<int>(3), 60));
  Item out;
  ASSERT_TRUE(q.pop(out, kShort));
  EXPECT_TRUE(q.try_push(std::make_unique<int>(3), 60));
}

TEST(BatchQueue, FullQueueBlocksTheProducerUntilAConsumerPops) {
  BatchQueue<Item> q(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(q.push(std::make_unique<int>(1), 100, stop, nullptr));
  std::atomic<bool> pushed{false};
  std::atomic<uint64_t> blocked_ns{0};
  std::thread producer([&] {
    q.push(std::make_unique<int>(2), 10, stop, &blocked_ns);
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(pushed.load()) << "a push into a full queue must wait";
  Item out;
  ASSERT_TRUE(q.pop(out, kShort));
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_GT(blocked_ns.load(), 0u);
}

TEST(BatchQueue, StopReleasesABlockedProducerWithoutTakingTheItem) {
  BatchQueue<Item> q(10);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(q.push(std::make_unique<int>(1), 10, stop, nullptr));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = q.push(std::make_unique<int>(2), 10, stop, nullptr); });
  stop = true;
  producer.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(q.bytes(), 10u);
}

TEST(BatchQueue, WaitForSpaceTimesOutOnAFullQueueAndReturnsOnceAConsumerPops) {
  BatchQueue<Item> q(100);
  std::atomic<bool> stop{false};
  EXPECT_TRUE(q.has_room());
  ASSERT_TRUE(q.push(std::make_unique<int>(1), 100, stop, nullptr));
  EXPECT_FALSE(q.has_room());
  EXPECT_FALSE(q.wait_for_space(std::chrono::steady_clock::now() + kShort, stop));
  std::thread consumer([&] {
    Item out;
    EXPECT_TRUE(q.pop(out, std::chrono::seconds(10)));
  });
  EXPECT_TRUE(q.wait_for_space(std::chrono::steady_clock::now() + std::chrono::hours(1), stop));
  consumer.join();
  EXPECT_TRUE(q.has_room());
  Item next = std::make_unique<int>(2);
  EXPECT_TRUE(q.try_push(next, 100));
}

TEST(BatchQueue, StopEndsAWaitForSpace) {
  BatchQueue<Item> q(100);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(q.push(std::make_unique<int>(1), 100, stop, nullptr));
  std::thread stopper([&] { stop = true; });
  EXPECT_FALSE(q.wait_for_space(std::chrono::steady_clock::now() + std::chrono::hours(1), stop));
  stopper.join();
}

TEST(BatchQueue, ClosedAndEmptyOnlyAfterDrain) {
  BatchQueue<Item> q(100);
  ASSERT_TRUE(q.try_push(std::make_unique<int>(1), 1));
  q.close();
  EXPECT_FALSE(q.closed_and_empty());
  Item out;
  ASSERT_TRUE(q.pop(out, kShort));
  EXPECT_TRUE(q.closed_and_empty());
}

// Consumers asleep in pop() with a timeout far longer than any test wake up when the queue is
// closed (if they did not, this test would hang until ctest's timeout), and items pushed before
// close() still come out, from several producers, before pop() says false.
TEST(BatchQueue, CloseWakesEverySleepingConsumerAndKeepsTheItems) {
  BatchQueue<Item> q(1000);
  constexpr auto kHour = std::chrono::hours(1);
  std::atomic<int> woken{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < 3; ++i) {
    consumers.emplace_back([&] {
      Item out;
      while (q.pop(out, kHour)) {
      }
      woken.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let them fall asleep
  q.close();
  for (auto& t : consumers) {
    t.join();
  }
  EXPECT_EQ(woken.load(), 3);
  EXPECT_TRUE(q.closed_and_empty());

  BatchQueue<Item> with_items(1000);
  std::atomic<bool> stop{false};
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(with_items.push(std::make_unique<int>(p * 10 + i), 1, stop, nullptr));
      }
    });
  }
  for (auto& t : producers) {
    t.join();
  }
  with_items.close();
  int popped = 0;
  Item out;
  while (!with_items.closed_and_empty()) {
    popped += with_items.pop(out, kHour) ? 1 : 0;
  }
  EXPECT_EQ(popped, 30);
  EXPECT_FALSE(with_items.pop(out, kHour));  // closed and drained: no wait
}

TEST(BatchQueue, WakeConsumersEndsTheirWaitWithoutClosingTheQueue) {
  BatchQueue<Item> q(1000);
  constexpr auto kHour = std::chrono::hours(1);
  std::atomic<bool> stop{false};
  std::atomic<int> woken{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < 2; ++i) {
    consumers.emplace_back([&] {
      Item out;
      // Each sleeps up to an hour; only wake_consumers() can end the wait (no item comes).
      EXPECT_FALSE(q.pop(out, kHour));
      woken.fetch_add(1);
    });
  }
  // A consumer not yet asleep when wake_consumers() runs would miss it: repeat until both woke.
  while (woken.load() < 2) {
    q.wake_consumers();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& t : consumers) {
    t.join();
  }
  // Still open, and the spare wake tokens are never handed out as items.
  EXPECT_FALSE(q.closed_and_empty());
  ASSERT_TRUE(q.push(std::make_unique<int>(7), 1, stop, nullptr));
  Item out;
  while (!q.pop(out, kShort)) {
  }
  EXPECT_EQ(*out, 7);
}

TEST(BatchQueue, ManyProducersOneConsumerLoseNothing) {
  BatchQueue<Item> q(64);
  std::atomic<bool> stop{false};
  constexpr int kPerProducer = 20000;
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        q.push(std::make_unique<int>(p * kPerProducer + i), 8, stop, nullptr);
      }
    });
  }
  std::vector<int> seen(3 * kPerProducer, 0);
  int received = 0;
  while (received < 3 * kPerProducer) {
    Item out;
    if (q.pop(out, std::chrono::milliseconds(100))) {
      ++seen[static_cast<size_t>(*out)];
      ++received;
    }
  }
  for (auto& t : producers) {
    t.join();
  }
  for (int v : seen) {
    ASSERT_EQ(v, 1);
  }
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace sluice
