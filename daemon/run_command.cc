#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>

#include "daemon/commands.h"
#include "daemon/config_file.h"
#include "daemon/runtime.h"
#include "daemon/standard_streams.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Signals are taken synchronously by the main thread (signalfd), so no handler runs on a
// stage thread and no async-signal-safety puzzles arise. Blocked before any thread starts, so
// every thread inherits the mask.
sigset_t block_control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is a write error, not a kill
  return set;
}

}  // namespace

int run_command(const std::string& config_path, const std::string& config_text, bool quiet) {
  set_log_quiet(quiet);
  sigset_t signals = block_control_signals();
  auto config = config_path.empty() ? load_config_text(config_text, "<embedded demo.yaml>")
                                    : load_config_file(config_path);
  if (!config) {
    return kExitConfig;
  }
  if (Status s = check_standard_streams(*config); !s.ok()) {
    log_error(s.message());
    return kExitFailure;
  }
  auto runtime = Runtime::build(*config);
  if (!runtime.ok()) {
    log_error(runtime.status().message());
    return kExitConfig;
  }
  Runtime& rt = *runtime.value();
  if (Status s = rt.start(); !s.ok()) {
    log_error(s.message());
    return kExitFailure;
  }
  log_info("running " + std::to_string(rt.pipelines().size()) + " pipeline(s)");

  // Sleep until a control signal arrives or a thread exits (the run may be over): no timer.
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  while (!rt.finished()) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {rt.wakeup().fd(), POLLIN, 0}};
    if (::poll(fds, 2, signal_fd < 0 ? 100 : -1) < 0) {
      continue;  // EINTR
    }
    rt.wakeup().clear();
    signalfd_siginfo info{};
    if (signal_fd < 0 || (fds[0].revents & POLLIN) == 0 ||
        ::read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
      continue;
    }
    if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
      log_info("stopping: draining queues and flushing sinks");
      rt.request_stop();
      break;
    }
    if (info.ssi_signo == SIGHUP) {
      log_warning("SIGHUP: configuration reload is not supported yet; keeping the running one");
    }
  }
  if (signal_fd >= 0) {
    ::close(signal_fd);
  }
  bool clean = rt.wait_drained(std::chrono::duration<double>(config->shutdown_timeout_s));
  std::string summary = rt.summary();
  ssize_t ignored = ::write(STDERR_FILENO, summary.data(), summary.size());
  (void)ignored;
  if (!clean) {
    log_error(
        "shutdown_timeout reached before everything was delivered; undelivered events "
        "were not acknowledged");
    return kExitFailure;
  }
  return rt.any_source_failed() ? kExitFailure : kExitOk;
}

}  // namespace sluice
