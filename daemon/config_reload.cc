#include "daemon/config_reload.h"

#include <chrono>

#include "daemon/config_file.h"
#include "stages/log.h"

namespace sluice {
namespace {

ReloadOutcome check(const std::string& path, const std::string& running_text) {
  if (path.empty() || path == "-") {
    log_warning(std::string("SIGHUP: the running configuration ") +
                (path.empty() ? "is the built-in demo" : "was read from stdin") +
                ", so there is no file to read again; keeping it");
    return ReloadOutcome::kNothingToRead;
  }
  std::string text;
  if (build_config_file(path, &text) == nullptr) {
    log_error("SIGHUP: " + path +
              " is not a valid configuration (see above); keeping the running one");
    return ReloadOutcome::kInvalid;
  }
  if (text != running_text) {
    log_warning("SIGHUP: " + path +
                " is valid but changed; applying a changed configuration needs a restart in "
                "this version (systemctl restart sluice); keeping the running one");
    return ReloadOutcome::kNeedsRestart;
  }
  log_info("SIGHUP: " + path + " is valid and unchanged");
  return ReloadOutcome::kUnchanged;
}

}  // namespace

ReloadOutcome reload_config(const std::string& path, const std::string& running_text,
                            ReloadCounters& counters) {
  ReloadOutcome outcome = check(path, running_text);
  if (outcome == ReloadOutcome::kUnchanged) {
    counters.success.fetch_add(1);
    counters.last_success_unix_seconds.store(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  } else {
    counters.failure.fetch_add(1);
  }
  return outcome;
}

}  // namespace sluice
