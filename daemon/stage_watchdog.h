// StageWatchdog: decides whether the process is healthy enough to ping systemd's watchdog.
// Healthy means every stage thread with a heartbeat (workers, route, sinks; see
// daemon/stage_heartbeat.h) is making progress, waiting for input or waiting on backpressure; a
// thread busy with the same batch for longer than `stuck_after` is stuck, and one stuck thread
// stops the pings so that systemd restarts the service.
// Threading: the main thread only; the heartbeats it reads are written by the stage threads.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/stage_heartbeat.h"

namespace sluice {

class Runtime;

class StageWatchdog {
 public:
  // Every heartbeat of the runtime's pipelines and sinks (after Runtime::start()).
  StageWatchdog(const Runtime& runtime, std::chrono::milliseconds stuck_after);
  // For tests: the given heartbeats.
  StageWatchdog(std::vector<const StageHeartbeat*> heartbeats,
                std::chrono::milliseconds stuck_after);

  // True when no thread is stuck at `now`. The first time a thread is found stuck (and again
  // once it has recovered and stuck anew) a warning names it: the operator sees why systemd
  // restarted the service.
  bool healthy(StageHeartbeat::Clock::time_point now);

 private:
  std::vector<const StageHeartbeat*> heartbeats_;
  std::chrono::milliseconds stuck_after_;
  bool reported_ = false;
};

}  // namespace sluice
