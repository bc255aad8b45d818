#include "stages/memory_budget.h"

#include <chrono>
#include <utility>

namespace sluice {

bool MemoryBudget::acquire(size_t bytes, const std::atomic<bool>& stop) {
  size_t used = used_.load(std::memory_order_relaxed);
  while (true) {
    bool fits = used + bytes <= limit_ || used == 0;
    if (fits) {
      if (used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed)) {
        return true;
      }
      continue;
    }
    if (stop.load(std::memory_order_relaxed)) {
      return false;
    }
    // Slow path: sleep until someone releases. Registering as a waiter before re-reading `used_`
    // (both sequentially consistent) means a concurrent release either is seen here or sees us
    // and notifies; the timeout only serves to re-check `stop`.
    std::unique_lock lock(mu_);
    waiters_.fetch_add(1);
    used = used_.load();
    if (!(used + bytes <= limit_ || used == 0)) {
      freed_.wait_for(lock, std::chrono::milliseconds(50));
      used = used_.load();
    }
    waiters_.fetch_sub(1);
  }
}

void MemoryBudget::release(size_t bytes) {
  used_.fetch_sub(bytes);
  if (waiters_.load() > 0) {
    std::lock_guard lock(mu_);
    freed_.notify_all();
  }
}

MemoryLease& MemoryLease::operator=(MemoryLease&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryLease::resize(size_t bytes) {
  if (budget_ != nullptr) {
    if (bytes > bytes_) {
      budget_->add(bytes - bytes_);
    } else {
      budget_->release(bytes_ - bytes);
    }
  }
  bytes_ = bytes;
}

void MemoryLease::reset() {
  if (budget_ != nullptr && bytes_ > 0) {
    budget_->release(bytes_);
  }
  bytes_ = 0;
}

}  // namespace sluice
