#include "stages/memory_budget.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace sluice {

bool MemoryBudget::try_acquire(size_t bytes) {
  size_t used = used_.load(std::memory_order_relaxed);
  while (waiters_.load() == 0 && fits(used, bytes)) {
    if (used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool MemoryBudget::wait_for_room(size_t bytes, std::chrono::steady_clock::time_point deadline,
                                 const std::atomic<bool>& stop) {
  if (has_room(bytes)) {
    return true;
  }
  // Registered (sequentially consistent) before re-reading `used_`, as in acquire(): a
  // concurrent release either is seen here or sees the watcher and notifies.
  std::unique_lock lock(mu_);
  watchers_.fetch_add(1);
  bool room = has_room(bytes);
  while (!room && !stop.load(std::memory_order_relaxed) &&
         std::chrono::steady_clock::now() < deadline) {
    freed_.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
    room = has_room(bytes);
  }
  watchers_.fetch_sub(1);
  return room;
}

bool MemoryBudget::acquire(size_t bytes, const std::atomic<bool>& stop) {
  // Fast path: nobody is waiting and the request fits.
  if (try_acquire(bytes)) {
    return true;
  }
  size_t used = 0;
  // Slow path: take a ticket and wait for our turn and for room. Registering as a waiter
  // (sequentially consistent) before re-reading `used_` means a concurrent release either is
  // seen here or sees us and notifies; the timeout only serves to re-check `stop`.
  std::unique_lock lock(mu_);
  const uint64_t ticket = next_ticket_++;
  waiters_.fetch_add(1);
  while (true) {
    if (ticket == serving_) {
      used = used_.load();
      while (fits(used, bytes) && !used_.compare_exchange_weak(used, used + bytes)) {
      }
      if (fits(used, bytes)) {
        ++serving_;
        advance_serving();
        waiters_.fetch_sub(1);
        freed_.notify_all();  // the next ticket may fit too
        return true;
      }
    }
    if (stop.load(std::memory_order_relaxed)) {
      if (ticket == serving_) {
        ++serving_;
        advance_serving();
      } else {
        abandoned_.insert(ticket);
      }
      waiters_.fetch_sub(1);
      freed_.notify_all();
      return false;
    }
    freed_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void MemoryBudget::advance_serving() {
  while (!abandoned_.empty() && *abandoned_.begin() == serving_) {
    abandoned_.erase(abandoned_.begin());
    ++serving_;
  }
}

void MemoryBudget::release(size_t bytes) {
  used_.fetch_sub(bytes);
  if (waiters_.load() > 0 || watchers_.load() > 0) {
    std::lock_guard lock(mu_);
    freed_.notify_all();
  }
}

// Both orders keep fits() conservative in between: a used_ that counts a reservation that
// reserved_ does not (yet, or any more) only makes the budget look fuller than it is.
void MemoryBudget::reserve(size_t bytes) {
  used_.fetch_add(bytes);
  reserved_.fetch_add(bytes);
}

void MemoryBudget::unreserve(size_t bytes) {
  reserved_.fetch_sub(bytes);
  release(bytes);
}

MemoryReservation& MemoryReservation::operator=(MemoryReservation&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryReservation::reset() {
  if (budget_ != nullptr && bytes_ > 0) {
    budget_->unreserve(bytes_);
  }
  budget_ = nullptr;
  bytes_ = 0;
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
