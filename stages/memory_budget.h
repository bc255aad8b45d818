// MemoryBudget: the process-wide cap on bytes held by event buffers (`memory_limit`). Sources
// acquire before they read, so reaching the cap is backpressure at the source, never an OOM kill.
// Growth after the read (parse output) is added without blocking: it is bounded by the input.
// Thread-safe; the fast path is one atomic add, waiting is only done when the cap is reached.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace sluice {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit) : limit_(limit) {}

  // Blocks until `bytes` fit under the limit or `stop` becomes true; returns false on stop.
  // A request larger than the whole limit is granted when nothing else is held, so one huge
  // record cannot deadlock the process.
  bool acquire(size_t bytes, const std::atomic<bool>& stop);
  // Adds without waiting (growth of an already admitted batch).
  void add(size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }
  void release(size_t bytes);

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::mutex mu_;
  std::condition_variable freed_;
  std::atomic<int> waiters_{0};
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

}  // namespace sluice
