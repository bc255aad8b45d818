#include "daemon/thread_interrupt.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

namespace sluice {
namespace {

// A real-time signal: nobody sends it to a daemon by accident, and unlike SIGUSR1/2 it is not
// taken by a library we use.
int interrupt_signal() { return SIGRTMIN + 1; }

void ignore_interrupt(int) {}

}  // namespace

void install_thread_interrupt() {
  struct sigaction sa {};
  sa.sa_handler = ignore_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
  sigaction(interrupt_signal(), &sa, nullptr);
}

void interrupt_thread(std::thread& t) { pthread_kill(t.native_handle(), interrupt_signal()); }

std::string thread_error(const std::system_error& e) {
  std::string reason = std::strerror(e.code().value());
  if (e.code().value() == EAGAIN) {
    reason += " (the process is at its limit of threads: ulimit -u, or systemd TasksMax)";
  }
  return reason;
}

}  // namespace sluice
