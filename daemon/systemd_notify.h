// SystemdNotifier: tells systemd how the service is (sd_notify(3)) when it runs under a
// Type=notify unit (NOTIFY_SOCKET set): READY=1 once every source is open, STATUS= with the
// events per second in and out every few seconds, WATCHDOG=1 at half of WATCHDOG_USEC while no
// stage thread is stuck (daemon/stage_watchdog.h), RELOADING=1 and READY=1 around a SIGHUP,
// STOPPING=1 when draining. Without NOTIFY_SOCKET it does nothing and asks for no timer, so a run
// outside systemd sleeps exactly as before.
// Threading: the main thread only (NotifyAccess=main accepts only the main process anyway).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/stage_watchdog.h"

namespace sluice {

class Runtime;

class SystemdNotifier {
 public:
  using Clock = std::chrono::steady_clock;
  // How often STATUS= is refreshed: often enough for `systemctl status`, rare enough to cost
  // nothing (one datagram).
  static constexpr auto kStatusInterval = std::chrono::seconds(2);
  // A thread busy with one batch for longer than max(WATCHDOG_USEC / 2, this) is stuck: a 1 MiB
  // batch takes milliseconds, so seconds leave a wide margin for a loaded machine.
  static constexpr auto kMinStuckAfter = std::chrono::seconds(2);

  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled(3)) once. `runtime` has started.
  explicit SystemdNotifier(const Runtime& runtime);

  // Sends what is due at `now`: READY=1 once the sources are open, then STATUS= and WATCHDOG=1
  // on their schedules. Returns how long the main loop may sleep before the next call, in ms for
  // poll(2): -1 when nothing is due (not under systemd, or waiting for the sources to open,
  // which wakes the main loop by itself).
  int tick(Clock::time_point now);

  // Around a SIGHUP (systemd's Type=notify-reload protocol): RELOADING=1 with MONOTONIC_USEC=,
  // then READY=1 with `status` as STATUS= (the latter only once READY was first sent).
  void reloading();
  void reloaded(const std::string& status);
  // Draining after SIGTERM (or at the end of a finite run).
  void stopping();

 private:
  void send_status(Clock::time_point now);

  const Runtime& runtime_;
  bool enabled_ = false;
  bool ready_ = false;
  std::optional<Clock::duration> ping_interval_;  // WATCHDOG_USEC / 2, when the watchdog is on
  StageWatchdog watchdog_;
  Clock::time_point next_status_;
  Clock::time_point next_ping_;
  // The totals at the last STATUS, for the rates.
  Clock::time_point last_status_;
  uint64_t last_in_ = 0;
  uint64_t last_out_ = 0;
};

}  // namespace sluice
