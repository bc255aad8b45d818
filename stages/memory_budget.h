// MemoryBudget: the process-wide cap on bytes held by event buffers (`memory_limit`). Sources
// acquire before they read, so reaching the cap is backpressure at the source, never an OOM kill.
// Growth after the read (parse output) is added without blocking: it is bounded by the input.
// Thread-safe; the fast path is one atomic add, waiting is only done when the cap is reached.
// Waiters are served first come, first served, so the budget is shared fairly among sources: one
// busy source cannot keep taking what a waiting one needs. Buffers a library keeps outside the
// batches (librdkafka's pre-fetch and producer queue) are reserved from the same cap when a
// pipeline or sink is built, so the cap stays the process's whole event memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <utility>

namespace sluice {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit) : limit_(limit) {}

  // Blocks until `bytes` fit under the limit or `stop` becomes true; returns false on stop.
  // A request larger than the whole limit is granted when nothing else is held, so one huge
  // record cannot deadlock the process. While anyone waits, a new request queues behind them.
  // REQUIRES: the caller holds no lease it could only release after this returns (it would wait
  // for itself); sources hand on their batch before asking for the next.
  bool acquire(size_t bytes, const std::atomic<bool>& stop);
  // Never waits: takes `bytes` if they fit now and nobody is waiting (a waiter's turn comes
  // first); false otherwise, and nothing is taken. For a source that must keep polling its input
  // (a Kafka consumer, a TCP server) instead of sleeping in acquire().
  bool try_acquire(size_t bytes);
  // Sleeps until try_acquire(bytes) could succeed, `deadline` passes or `stop` becomes true;
  // returns whether it could. Takes nothing and no place in the waiters' queue: a source polling
  // with try_acquire() yields to the sources waiting in acquire().
  bool wait_for_room(size_t bytes, std::chrono::steady_clock::time_point deadline,
                     const std::atomic<bool>& stop);
  // True when try_acquire(bytes) would succeed now.
  bool has_room(size_t bytes) const { return waiters_.load() == 0 && fits(used_.load(), bytes); }
  // Adds without waiting (growth of an already admitted batch).
  void add(size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(size_t bytes);
  // Holds `bytes` for a library's own buffers until unreserve(): counted in used() and taken from
  // what batches may use, without waiting (a reservation is made once, at build time, and the
  // config check has made sure the limit holds every reservation plus a read buffer).
  void reserve(size_t bytes);
  void unreserve(size_t bytes);
  // Bytes held by reservations now.
  size_t reserved() const { return reserved_.load(std::memory_order_relaxed); }

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }
  // Requests waiting for room now.
  int waiting() const { return waiters_.load(); }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> reserved_{0};  // the part of used_ that reservations hold
  // When no batch holds anything (only reservations), any request fits: one record larger than
  // what is left must not wait for memory nobody will release.
  bool fits(size_t used, size_t bytes) const {
    return used + bytes <= limit_ || used <= reserved_.load(std::memory_order_relaxed);
  }
  // Under mu_: moves `serving_` past tickets whose waiters left (stop).
  void advance_serving();

  std::mutex mu_;
  std::condition_variable freed_;
  std::atomic<int> waiters_{0};
  std::atomic<int> watchers_{0};  // callers of wait_for_room() asleep: release() wakes them too
  uint64_t next_ticket_ = 0;      // under mu_: the ticket the next waiter takes
  uint64_t serving_ = 0;          // under mu_: the only ticket that may be granted now
  std::set<uint64_t> abandoned_;  // under mu_: tickets of waiters that stopped waiting
};

// The bytes one batch holds against a budget; returns them when destroyed. Move-only.
class MemoryLease {
 public:
  MemoryLease() = default;
  MemoryLease(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
  MemoryLease(MemoryLease&& other) noexcept { *this = std::move(other); }
  MemoryLease& operator=(MemoryLease&& other) noexcept;
  MemoryLease(const MemoryLease&) = delete;
  MemoryLease& operator=(const MemoryLease&) = delete;
  ~MemoryLease() { reset(); }

  void resize(size_t bytes);
  void reset();
  size_t bytes() const { return bytes_; }

 private:
  MemoryBudget* budget_ = nullptr;
  size_t bytes_ = 0;
};

// A reservation of library buffers (MemoryBudget::reserve) for as long as it lives. Move-only.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  MemoryReservation(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {
    if (budget_ != nullptr) {
      budget_->reserve(bytes_);
    }
  }
  MemoryReservation(MemoryReservation&& other) noexcept { *this = std::move(other); }
  MemoryReservation& operator=(MemoryReservation&& other) noexcept;
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;
  ~MemoryReservation() { reset(); }

  void reset();
  size_t bytes() const { return bytes_; }

 private:
  MemoryBudget* budget_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace sluice
