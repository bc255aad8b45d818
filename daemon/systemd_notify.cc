#include "daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "daemon/runtime.h"

namespace sluice {
namespace {

std::chrono::milliseconds stuck_after(std::optional<std::chrono::steady_clock::duration> ping) {
  auto bound = std::chrono::duration_cast<std::chrono::milliseconds>(
      ping.value_or(std::chrono::steady_clock::duration::zero()));
  return std::max<std::chrono::milliseconds>(bound, SystemdNotifier::kMinStuckAfter);
}

std::optional<std::chrono::steady_clock::duration> watchdog_ping_interval() {
  uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is this process).
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  // Half the timeout, as sd_watchdog_enabled(3) recommends: one late ping is not a restart.
  return std::chrono::microseconds(usec / 2);
}

void notify(const std::string& state) {
  // A failure to reach systemd changes nothing in how sluice runs: ignored.
  (void)sd_notify(0, state.c_str());
}

uint64_t total_in(const Runtime& rt) {
  uint64_t n = 0;
  for (const auto& p : rt.pipelines()) {
    n += p->counters(Stage::kIngest).events_in.load(std::memory_order_relaxed);
  }
  return n;
}

uint64_t total_out(const Runtime& rt) {
  uint64_t n = 0;
  for (const auto& p : rt.pipelines()) {
    n += p->outcomes().delivered.load(std::memory_order_relaxed);
  }
  return n;
}

}  // namespace

SystemdNotifier::SystemdNotifier(const Runtime& runtime)
    : runtime_(runtime),
      enabled_(std::getenv("NOTIFY_SOCKET") != nullptr),
      ping_interval_(enabled_ ? watchdog_ping_interval() : std::nullopt),
      watchdog_(runtime, stuck_after(ping_interval_)) {}

int SystemdNotifier::tick(Clock::time_point now) {
  if (!enabled_) {
    return -1;
  }
  if (!ready_) {
    if (!runtime_.sources_open()) {
      return -1;  // the ingest threads wake the main loop as they enter their sources
    }
    ready_ = true;
    notify("READY=1\nSTATUS=running " + std::to_string(runtime_.pipelines().size()) +
           " pipeline(s)");
    last_status_ = now;
    last_in_ = total_in(runtime_);
    last_out_ = total_out(runtime_);
    next_status_ = now + kStatusInterval;
    next_ping_ = now;
  }
  if (now >= next_status_) {
    send_status(now);
    next_status_ = now + kStatusInterval;
  }
  Clock::time_point next = next_status_;
  if (ping_interval_) {
    if (now >= next_ping_) {
      // A stuck thread stops the pings; systemd then restarts the service after WATCHDOG_USEC.
      if (watchdog_.healthy(now)) {
        notify("WATCHDOG=1");
      }
      next_ping_ = now + *ping_interval_;
    }
    next = std::min(next, next_ping_);
  }
  // Rounded up, so the loop never wakes just before a deadline and spins.
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now);
  return static_cast<int>(std::max<int64_t>(wait.count(), 0));
}

void SystemdNotifier::send_status(Clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - last_status_).count();
  const uint64_t in = total_in(runtime_);
  const uint64_t out = total_out(runtime_);
  char line[160];
  std::snprintf(
      line, sizeof(line), "STATUS=running %zu pipeline(s): in %.0f events/s, out %.0f events/s",
      runtime_.pipelines().size(), seconds > 0 ? static_cast<double>(in - last_in_) / seconds : 0.0,
      seconds > 0 ? static_cast<double>(out - last_out_) / seconds : 0.0);
  notify(line);
  last_status_ = now;
  last_in_ = in;
  last_out_ = out;
}

void SystemdNotifier::reloading() {
  if (enabled_) {
    // systemd (253 and later) takes the reload to start at this CLOCK_MONOTONIC time.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t usec =
        static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
           "\nSTATUS=reloading the configuration");
  }
}

void SystemdNotifier::reloaded(const std::string& status) {
  // The watchdog holds the heartbeats of the threads that ran before: take the new set.
  watchdog_ = StageWatchdog(runtime_, stuck_after(ping_interval_));
  if (enabled_ && ready_) {
    notify("READY=1\nSTATUS=" + status);
  }
}

void SystemdNotifier::stopping() {
  if (enabled_) {
    notify("STOPPING=1\nSTATUS=draining queues and flushing sinks");
  }
}

}  // namespace sluice
