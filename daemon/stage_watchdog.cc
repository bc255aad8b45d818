#include "daemon/stage_watchdog.h"

#include "daemon/runtime.h"
#include "stages/log.h"

namespace sluice {

StageWatchdog::StageWatchdog(const Runtime& runtime, std::chrono::milliseconds stuck_after)
    : stuck_after_(stuck_after) {
  for (const auto& p : runtime.pipelines()) {
    for (const auto& h : p->heartbeats()) {
      heartbeats_.push_back(h.get());
    }
  }
  for (const auto& s : runtime.sinks()) {
    heartbeats_.push_back(&s->heartbeat());
  }
}

StageWatchdog::StageWatchdog(std::vector<const StageHeartbeat*> heartbeats,
                             std::chrono::milliseconds stuck_after)
    : heartbeats_(std::move(heartbeats)), stuck_after_(stuck_after) {}

bool StageWatchdog::healthy(StageHeartbeat::Clock::time_point now) {
  for (const StageHeartbeat* h : heartbeats_) {
    const auto busy = h->busy_for(now);
    if (busy > stuck_after_) {
      if (!reported_) {
        reported_ = true;
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(busy).count();
        log_error("watchdog: thread " + h->name() + " has been busy with one batch for " +
                  std::to_string(seconds) +
                  " s; no longer telling systemd the service is alive (it will restart it)");
      }
      return false;
    }
  }
  reported_ = false;
  return true;
}

}  // namespace sluice
