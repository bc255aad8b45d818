// Wakeup: an eventfd that stage and sink threads poke when they exit, so the main thread can
// sleep in poll() until something it waits for has happened (every thread finished) instead of
// checking on a timer: no idle wake-ups, and a finished run ends at once rather than up to a
// polling interval late.
#pragma once

#include <chrono>

namespace sluice {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  // Safe from any thread, never blocks.
  void notify() noexcept;
  // For poll(): readable after notify(); clear() makes it unreadable again.
  int fd() const { return fd_; }
  void clear() noexcept;
  // Sleeps until notified or `timeout` passed; clears the notification.
  void wait(std::chrono::milliseconds timeout) noexcept;

 private:
  int fd_;
};

}  // namespace sluice
