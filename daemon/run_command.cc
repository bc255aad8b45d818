#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "daemon/commands.h"
#include "daemon/config_file.h"
#include "daemon/config_reload.h"
#include "daemon/metrics_exporter.h"
#include "daemon/process_status.h"
#include "daemon/runtime.h"
#include "daemon/standard_streams.h"
#include "daemon/systemd_notify.h"
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
  ProcessStatus process;
  sigset_t signals = block_control_signals();
  std::unique_ptr<Runtime> runtime = config_path.empty()
                                         ? build_config_text(config_text, "<embedded demo.yaml>")
                                         : build_config_file(config_path);
  if (runtime == nullptr) {
    return kExitConfig;
  }
  Runtime& rt = *runtime;
  const Config* config = &rt.config();
  if (Status s = check_standard_streams(*config); !s.ok()) {
    log_error(s.message());
    return kExitFailure;
  }
  // Before any pipeline starts: a metrics address that cannot be bound is a configuration error.
  std::unique_ptr<MetricsExporter> metrics;
  if (config->metrics) {
    auto exporter = MetricsExporter::start(*config->metrics, rt, process, SLUICE_VERSION);
    if (!exporter.ok()) {
      log_error(exporter.status().message());
      return kExitConfig;
    }
    metrics = std::move(*exporter);
  }
  // Listening sockets too: a port in use is a configuration error, said before anything starts.
  if (Status s = rt.open_sources(); !s.ok()) {
    log_error(s.message());
    return kExitConfig;
  }
  if (Status s = rt.start(); !s.ok()) {
    log_error(s.message());
    return kExitFailure;
  }
  log_info("running " + std::to_string(rt.pipelines().size()) + " pipeline(s)");

  // Sleep until a control signal arrives, a thread exits (the run may be over) or a source
  // opens, or until a notification to systemd is due: no timer outside systemd.
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  SystemdNotifier systemd(rt);
  bool sink_broke = false;
  while (!rt.finished()) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {rt.wakeup().fd(), POLLIN, 0}};
    // Ready (/ready 200, READY=1) once every pipeline's source is running; the ingest threads
    // wake this loop when they enter their sources.
    if (!process.ready.load() && rt.sources_open()) {
      process.ready.store(true);
    }
    int wait_ms = systemd.tick(std::chrono::steady_clock::now());
    if (signal_fd < 0) {
      wait_ms = wait_ms < 0 ? 100 : std::min(wait_ms, 100);
    }
    if (::poll(fds, 2, wait_ms) < 0) {
      continue;  // EINTR
    }
    rt.wakeup().clear();
    if (rt.any_sink_broken()) {
      // Every later event for that sink would be lost: stop reading, deliver what the other
      // sinks can, and fail the run.
      sink_broke = true;
      log_info("stopping: a sink's output is gone; draining the other sinks");
      rt.request_stop();
      break;
    }
    signalfd_siginfo info{};
    if (signal_fd < 0 || (fds[0].revents & POLLIN) == 0 ||
        ::read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
      continue;
    }
    if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
      log_info("stopping: draining queues and flushing sinks (a second SIGTERM or SIGINT aborts)");
      rt.request_stop();
      break;
    }
    if (info.ssi_signo == SIGHUP) {
      systemd.reloading();
      std::string what_changed;
      reload_config(config_path, rt, process, &what_changed);
      systemd.reloaded(what_changed);
      log_info("running " + std::to_string(rt.pipelines().size()) + " pipeline(s)");
    }
  }
  systemd.stopping();
  process.ready.store(false);  // stopping: /ready answers 503 while the queues drain
  Runtime::Shutdown how =
      rt.shutdown(std::chrono::duration<double>(config->shutdown_timeout_s), signal_fd);
  if (signal_fd >= 0) {
    ::close(signal_fd);
  }
  std::string summary = rt.summary();
  ssize_t ignored = ::write(STDERR_FILENO, summary.data(), summary.size());
  (void)ignored;
  const std::string undelivered = std::to_string(rt.undelivered() + rt.unaccounted());
  switch (how) {
    case Runtime::Shutdown::kDrained:
      break;
    case Runtime::Shutdown::kTimedOut:
      log_error("shutdown_timeout reached before everything was delivered: " + undelivered +
                " event(s) undelivered and not acknowledged");
      return kExitFailure;
    case Runtime::Shutdown::kInterrupted:
      log_error("stopped by a second signal before everything was delivered: " + undelivered +
                " event(s) undelivered and not acknowledged");
      return kExitFailure;
    case Runtime::Shutdown::kStuck:
      log_error("a thread is blocked in a system call that cannot be interrupted; exiting with " +
                undelivered + " event(s) undelivered");
      // Destroying the runtime would join that thread: leave without running destructors.
      std::_Exit(kExitFailure);
  }
  if (rt.unaccounted() > 0) {
    log_error(std::to_string(rt.unaccounted()) + " event(s) are in no bucket of the summary");
    return kExitFailure;
  }
  if (sink_broke || rt.any_sink_broken()) {
    return kExitFailure;  // said when the sink broke
  }
  if (rt.undelivered() > 0) {
    // Only a sink that gave up gets here (a drained run writes everything else): never exit 0
    // with events left behind.
    log_error(std::to_string(rt.undelivered()) + " event(s) undelivered");
    return kExitFailure;
  }
  return rt.any_source_failed() ? kExitFailure : kExitOk;
}

}  // namespace sluice
