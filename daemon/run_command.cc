#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "daemon/commands.h"
#include "daemon/config_file.h"
#include "daemon/runtime.h"
#include "stages/log.h"

namespace sluice {
namespace {

// Signals are taken synchronously by the main thread (sigtimedwait), so no handler runs on a
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

  bool stopping = false;
  while (!rt.finished()) {
    timespec timeout{0, 100 * 1000 * 1000};
    siginfo_t info;
    int sig = sigtimedwait(&signals, &info, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      if (!stopping) {
        log_info("stopping: draining queues and flushing sinks");
        stopping = true;
        rt.request_stop();
        break;
      }
    } else if (sig == SIGHUP) {
      log_warning("SIGHUP: configuration reload is not supported yet; keeping the running one");
    }
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
