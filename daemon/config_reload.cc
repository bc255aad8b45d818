#include "daemon/config_reload.h"

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
                            ProcessStatus& status) {
  // Only an unchanged valid file is a success: otherwise the file on disk is not what runs,
  // which is what an alert on failed reloads should tell an operator.
  ReloadOutcome outcome = check(path, running_text);
  status.record_reload(outcome == ReloadOutcome::kUnchanged);
  return outcome;
}

}  // namespace sluice
