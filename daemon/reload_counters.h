// ReloadCounters: what became of each SIGHUP, for the metrics endpoint
// (sluice_config_reloads_total{result} and sluice_config_last_reload_success_timestamp_seconds).
// A reload succeeds when the configuration file is valid and is the one running; an invalid file,
// or a changed one this version cannot apply without a restart, is a failure: either way the
// file on disk is not what runs, which is what an alert on failures should tell an operator.
// Threading: written by the main thread, read by any (a scrape); plain atomics.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

struct ReloadCounters {
  std::atomic<uint64_t> success{0};
  std::atomic<uint64_t> failure{0};
  // Unix time in seconds of the last successful reload; 0 before the first one.
  std::atomic<double> last_success_unix_seconds{0};
};

}  // namespace sluice
