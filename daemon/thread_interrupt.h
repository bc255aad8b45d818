// Thread interruption: ends a system call a thread is blocked in (write(2) to a pipe nobody
// reads, a tty on hold) so that shutdown is never held up by it. A signal whose handler does
// nothing, installed without SA_RESTART, makes the blocked call fail with EINTR; the thread then
// sees its abort flag. A signal can land just before the thread enters the call, so whoever
// interrupts repeats it until the thread has finished.
#pragma once

#include <string>
#include <system_error>
#include <thread>

namespace sluice {

// Installs the handler; once per process, before any thread starts. Idempotent.
void install_thread_interrupt();
// Sends the interrupt signal to `t` (which must be joinable).
void interrupt_thread(std::thread& t);
// "Resource temporarily unavailable (the process may be at its thread limit: ulimit -u,
// systemd TasksMax)" for a failed std::thread construction.
std::string thread_error(const std::system_error& e);

}  // namespace sluice
