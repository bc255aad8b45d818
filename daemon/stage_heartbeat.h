// StageHeartbeat: what one stage thread (a worker, a route thread, a sink runner) is doing, for
// the systemd watchdog: busy with a batch since a given moment, or not busy (waiting for input
// or on backpressure, both healthy however long they last). Written by its own thread once per
// batch, never per event; read by the main thread. Two relaxed atomic stores per batch: no lock,
// no allocation.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sluice {

class StageHeartbeat {
 public:
  using Clock = std::chrono::steady_clock;

  explicit StageHeartbeat(std::string name) : name_(std::move(name)) {}
  StageHeartbeat(const StageHeartbeat&) = delete;
  StageHeartbeat& operator=(const StageHeartbeat&) = delete;

  // Its own thread: took a batch and works on it (a new batch restarts the clock).
  void busy() noexcept {
    busy_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
  }
  // Its own thread: done with the batch in hand; about to wait for input or for room.
  void not_busy() noexcept { busy_since_.store(kNotBusy, std::memory_order_relaxed); }

  // Any thread: how long it has been busy with its current batch at `now` (zero when not busy).
  Clock::duration busy_for(Clock::time_point now) const noexcept {
    const int64_t since = busy_since_.load(std::memory_order_relaxed);
    if (since == kNotBusy) {
      return Clock::duration::zero();
    }
    return std::max(Clock::duration::zero(), now - Clock::time_point(Clock::duration(since)));
  }
  // Batches taken so far (progress), for the log line that names a stuck thread.
  uint64_t batches() const noexcept { return batches_.load(std::memory_order_relaxed); }
  // "route:web", "worker0:web", "sink:archive".
  const std::string& name() const { return name_; }

 private:
  static constexpr int64_t kNotBusy = 0;
  std::atomic<int64_t> busy_since_{kNotBusy};
  std::atomic<uint64_t> batches_{0};
  std::string name_;
};

}  // namespace sluice
