// ProcessStatus: what the process as a whole says about itself to the metrics endpoint: whether
// it is ready (every source open, not stopping), its start time and its configuration reloads.
// Threading: the main thread (the run command, a reload) writes; the metrics exporter's HTTP
// threads read. Plain atomics, so neither side waits on the other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sluice {

struct ProcessStatus {
  // Set once Runtime::start() has opened every source; cleared when a stop is requested. /ready
  // answers 200 only while it is set.
  std::atomic<bool> ready{false};
  // Unix time in seconds the process started (`process_start_time_seconds`).
  double start_time_s = now_s();
  // Reloads by outcome (`sluice_config_reloads_total{result}`) and the time of the last one that
  // took effect; the first configuration counts as a success at start.
  std::atomic<uint64_t> reloads_succeeded{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<double> last_reload_success_s{start_time_s};

  // For a reload: bumps the counters (and the timestamp on success).
  void record_reload(bool succeeded) {
    if (succeeded) {
      reloads_succeeded.fetch_add(1, std::memory_order_relaxed);
      last_reload_success_s.store(now_s(), std::memory_order_relaxed);
    } else {
      reloads_failed.fetch_add(1, std::memory_order_relaxed);
    }
  }

  static double now_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace sluice
