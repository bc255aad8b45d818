// ConfigReload: what the daemon does on SIGHUP. It reads and validates the configuration file
// again (as `validate` does, opening nothing); an invalid file changes nothing and its problems
// are logged as FILE:LINE:COL lines. A valid one is compared with the running configuration by
// value (daemon/reload_plan.h) and applied by Runtime::reload: unchanged pipelines run on
// untouched, changed ones drain and restart, removed ones drain and stop, new ones start. Each
// outcome is one log line and is counted in ProcessStatus (sluice_config_reloads_total{result}).
// Threading: the main thread.
#pragma once

#include <string>

#include "daemon/process_status.h"
#include "daemon/runtime.h"

namespace sluice {

enum class ReloadOutcome {
  kApplied,        // valid and different: applied (success)
  kUnchanged,      // valid and the same as the running one: success
  kInvalid,        // unreadable or invalid: kept the running one (failure)
  kNotApplied,     // valid, but a new sink could not be opened: kept the running one (failure)
  kPartlyApplied,  // the old pipelines had stopped when a new one failed to start (failure)
  kNothingToRead,  // the running configuration came from stdin or is built in (failure)
};

// `path` is the configuration file (empty: the built-in demo; "-": stdin). `what_changed`, when
// given, receives one line for systemd's STATUS= ("reloaded: kept a; restarted b").
ReloadOutcome reload_config(const std::string& path, Runtime& runtime, ProcessStatus& status,
                            std::string* what_changed = nullptr);

}  // namespace sluice
