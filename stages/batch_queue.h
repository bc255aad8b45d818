// BatchQueue: the bounded hand-off between two stages. Bounded in bytes, not items: a push
// blocks while the queue holds `capacity` bytes or more (an item is always admitted into an empty
// queue, so one oversized batch cannot wedge a pipeline). Items move through a moodycamel
// ConcurrentQueue; producers and consumers only sleep (never spin) when full or empty.
// Any number of producers and consumers; close() is called once every producer is done.
#pragma once

#include <blockingconcurrentqueue.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

namespace sluice {

// moodycamel's default is to spin up to 10,000 times on an empty queue before sleeping. With
// more stage threads than cores, that spinning takes the core from the very thread that would
// fill the queue, so a waiting stage goes to sleep at once.
struct SleepingQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const int MAX_SEMA_SPINS = 0;
};

template <typename T>
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Producer side. Waits while the queue is full; returns false (item not taken) only when
  // `stop` became true while waiting. Adds the time spent waiting to `*blocked_ns`. With several
  // producers, each may overshoot the capacity by the one item it was waiting to place.
  bool push(T&& item, size_t bytes, const std::atomic<bool>& stop,
            std::atomic<uint64_t>* blocked_ns) {
    if (full()) {
      auto start = std::chrono::steady_clock::now();
      wait_for_space(std::chrono::steady_clock::time_point::max(), stop);
      // Not wait_for_space's answer: with several producers another may take the room between
      // its wake-up and that answer, and this producer's item is still to be placed (overshoot
      // by one item, as said above). Only a stop while full refuses it.
      const bool refused = stop.load(std::memory_order_relaxed) && full();
      if (blocked_ns != nullptr) {
        blocked_ns->fetch_add(
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count()),
            std::memory_order_relaxed);
      }
      if (refused) {
        return false;
      }
    }
    enqueue(std::move(item), bytes);
    return true;
  }

  // Producer side: sleeps until the queue has room, `deadline` passes or `stop` becomes true;
  // returns whether it has room (a try_push from this producer then succeeds, unless another
  // producer took the room first).
  bool wait_for_space(std::chrono::steady_clock::time_point deadline,
                      const std::atomic<bool>& stop) {
    if (!full()) {
      return true;
    }
    std::unique_lock lock(mu_);
    space_waiters_.fetch_add(1);
    while (full() && !stop.load(std::memory_order_relaxed) &&
           std::chrono::steady_clock::now() < deadline) {
      // Slices of 20 ms: `stop` is a flag, not a notification.
      space_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                     std::chrono::milliseconds(20)));
    }
    space_waiters_.fetch_sub(1);
    return !full();
  }
  bool has_room() const { return !full(); }

  // Producer side, for `on_full: drop_newest`: false when full (the caller drops and counts).
  // Moves from `item` only when it returns true: a refused item stays with the caller.
  bool try_push(T& item, size_t bytes) {
    if (full()) {
      return false;
    }
    enqueue(std::move(item), bytes);
    return true;
  }
  bool try_push(T&& item, size_t bytes) { return try_push(item, bytes); }

  // Consumer side. Waits up to `timeout` for an item; false when none came. Once the queue is
  // closed it no longer waits, and a consumer asleep when close() came is woken at once.
  bool pop(T& out, std::chrono::microseconds timeout) {
    std::pair<T, size_t> entry;
    bool got = false;
    sleepers_.fetch_add(1);
    if (closed_.load()) {
      sleepers_.fetch_sub(1);
      got = items_.try_dequeue(entry);
    } else {
      got = items_.wait_dequeue_timed(entry, timeout);
      sleepers_.fetch_sub(1);
    }
    if (!got || entry.second == kWakeToken) {
      return false;
    }
    out = std::move(entry.first);
    bytes_.fetch_sub(entry.second, std::memory_order_relaxed);
    count_.fetch_sub(1, std::memory_order_relaxed);
    if (space_waiters_.load() > 0) {
      std::lock_guard lock(mu_);
      space_.notify_all();
    }
    return true;
  }

  // Every producer is done: a consumer that finds the queue empty after this may finish.
  // Consumers asleep in pop() are each woken by a token that is not an item (not counted in
  // bytes or items), so the end of a stream reaches the next stage at once, not after a pop
  // timeout. A consumer counted here that did not sleep leaves one spare token behind; it is
  // taken and dropped like the others.
  void close() {
    closed_.store(true);
    wake_consumers();
  }
  // Wakes the consumers asleep in pop() now (their pop returns false), so they look at their
  // stop flag without waiting out their timeout.
  void wake_consumers() {
    for (int n = sleepers_.load(); n > 0; --n) {
      items_.enqueue(std::pair<T, size_t>(T{}, kWakeToken));
    }
  }
  // Destroys every item still queued (after the consumers are gone: an aborted run).
  void clear() {
    std::pair<T, size_t> entry;
    while (items_.try_dequeue(entry)) {
      if (entry.second != kWakeToken) {
        bytes_.fetch_sub(entry.second, std::memory_order_relaxed);
        count_.fetch_sub(1, std::memory_order_relaxed);
      }
      entry.first = T{};
    }
  }
  bool closed_and_empty() const {
    return closed_.load(std::memory_order_acquire) && count_.load(std::memory_order_acquire) == 0;
  }

  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  bool full() const {
    return count_.load(std::memory_order_relaxed) > 0 &&
           bytes_.load(std::memory_order_relaxed) >= capacity_;
  }
  void enqueue(T&& item, size_t bytes) {
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_release);
    items_.enqueue(std::pair<T, size_t>(std::move(item), bytes));
  }

  static constexpr size_t kWakeToken = SIZE_MAX;  // no item is that large

  const size_t capacity_;
  std::atomic<size_t> bytes_{0};
  std::atomic<size_t> count_{0};
  std::atomic<bool> closed_{false};
  moodycamel::BlockingConcurrentQueue<std::pair<T, size_t>, SleepingQueueTraits> items_;
  std::mutex mu_;
  std::condition_variable space_;
  std::atomic<int> space_waiters_{0};  // producers asleep on a full queue
  std::atomic<int> sleepers_{0};       // consumers in pop(), maybe asleep
};

}  // namespace sluice
