#include "daemon/config_reload.h"

#include "daemon/config_file.h"
#include "daemon/reload_plan.h"
#include "daemon/standard_streams.h"
#include "stages/log.h"

namespace sluice {
namespace {

ReloadOutcome apply(const std::string& path, Runtime& runtime, std::string& said) {
  if (path.empty() || path == "-") {
    said = std::string("the running configuration ") +
           (path.empty() ? "is the built-in demo" : "was read from stdin") +
           ", so there is no file to read again; keeping it";
    log_warning("SIGHUP: " + said);
    return ReloadOutcome::kNothingToRead;
  }
  // Built as `validate` builds it (nothing opened, no thread started), then only its Config is
  // kept: the running Runtime builds what changed against its own memory budget and sinks.
  std::unique_ptr<Runtime> checked = build_config_file(path);
  Status streams = checked != nullptr ? check_standard_streams(checked->config()) : Status();
  if (checked == nullptr || !streams.ok()) {
    if (!streams.ok()) {
      log_error(path + ": " + streams.message());
    }
    said = path + " is not a valid configuration; keeping the running one";
    log_error("SIGHUP: " + path +
              " is not a valid configuration (see above); keeping the running one");
    return ReloadOutcome::kInvalid;
  }
  const Config next = checked->config();
  checked.reset();
  const ReloadPlan plan = plan_reload(runtime.config(), next);
  for (const std::string& line : plan.kept_settings) {
    log_warning("SIGHUP: " + line);
  }
  const bool changes = plan.changes_pipelines();
  log_info("SIGHUP: " + path + " is valid; " +
           (changes ? "applying it: " + plan.describe() : "no pipeline or sink changed"));
  bool touched = false;
  Status applied = runtime.reload(next, plan, touched);
  if (!applied.ok()) {
    said = "reload of " + path + " failed: " + applied.message();
    log_error("SIGHUP: " + applied.message() + "; " +
              (touched ? "the pipelines that started keep running" : "keeping the running one"));
    return touched ? ReloadOutcome::kPartlyApplied : ReloadOutcome::kNotApplied;
  }
  if (!changes) {
    said = "reloaded " + path + ": no pipeline or sink changed";
    return ReloadOutcome::kUnchanged;
  }
  said = "reloaded: " + plan.describe();
  log_info("SIGHUP: reloaded " + path + ": " + plan.describe());
  return ReloadOutcome::kApplied;
}

}  // namespace

ReloadOutcome reload_config(const std::string& path, Runtime& runtime, ProcessStatus& status,
                            std::string* what_changed) {
  std::string said;
  ReloadOutcome outcome = apply(path, runtime, said);
  status.record_reload(outcome == ReloadOutcome::kApplied || outcome == ReloadOutcome::kUnchanged);
  if (what_changed != nullptr) {
    *what_changed = said;
  }
  return outcome;
}

}  // namespace sluice
