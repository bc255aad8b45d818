#include "daemon/wakeup.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <cstdint>

namespace sluice {

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) { assert(fd_ >= 0); }

Wakeup::~Wakeup() { ::close(fd_); }

void Wakeup::notify() noexcept {
  uint64_t one = 1;
  ssize_t ignored = ::write(fd_, &one, sizeof(one));  // only fails when the counter is huge
  (void)ignored;
}

void Wakeup::clear() noexcept {
  uint64_t value = 0;
  ssize_t ignored = ::read(fd_, &value, sizeof(value));  // EAGAIN when nothing was pending
  (void)ignored;
}

void Wakeup::wait(std::chrono::milliseconds timeout) noexcept {
  pollfd pfd{fd_, POLLIN, 0};
  ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  clear();
}

}  // namespace sluice
