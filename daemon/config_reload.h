// ConfigReload: what the daemon does on SIGHUP in this version. It reads and validates the
// configuration file again (as `validate` does, opening nothing) and compares it with the text
// the running configuration came from. Applying a changed configuration (rebuilding the
// pipelines that changed) is not built yet: a valid, changed file is reported as needing a
// restart, and the running configuration is kept in every case. Each outcome is one log line
// (an invalid file's problems come first, as FILE:LINE:COL lines) and is counted in ProcessStatus
// (sluice_config_reloads_total{result}).
// Threading: the main thread.
#pragma once

#include <string>

#include "daemon/process_status.h"

namespace sluice {

enum class ReloadOutcome {
  kUnchanged,      // valid and the same as the running one: success
  kNeedsRestart,   // valid but different: kept the running one (failure)
  kInvalid,        // unreadable or invalid: kept the running one (failure)
  kNothingToRead,  // the running configuration came from stdin or is built in (failure)
};

// `path` is the configuration file (empty: the built-in demo; "-": stdin); `running_text` the
// text the running configuration was built from.
ReloadOutcome reload_config(const std::string& path, const std::string& running_text,
                            ProcessStatus& status);

}  // namespace sluice
