// ReloadPlan: what a SIGHUP changes, decided by comparing the running configuration with the new
// one by value (the canonical form of each pipeline's and sink's block, config/config.h), never
// by the file's text. A pipeline is unchanged when its own block is and the block of every sink
// it names (routes and dead letter) is too; only those keep running untouched.
// Settings of the whole process (memory_limit, metrics.listen, data_dir) cannot change live: the
// plan names them and the reload keeps their running values.
// Threading: a plain function of two configurations.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace sluice {

struct ReloadPlan {
  // Pipeline names, each in file order.
  std::vector<std::string> kept;       // unchanged: keep running
  std::vector<std::string> restarted;  // changed: drain, then start on the new configuration
  std::vector<std::string> removed;    // gone: drain and stop
  std::vector<std::string> added;      // new: start
  // Sink names: rebuilt ones (changed or gone) drain with the pipelines that feed them.
  std::vector<std::string> sinks_replaced;  // changed: drained, then built anew
  std::vector<std::string> sinks_removed;
  std::vector<std::string> sinks_added;
  // One line per process-wide setting that changed and is kept at its running value.
  std::vector<std::string> kept_settings;

  bool changes_pipelines() const {
    return !restarted.empty() || !removed.empty() || !added.empty() || !sinks_replaced.empty() ||
           !sinks_removed.empty() || !sinks_added.empty();
  }
  // "kept web; restarted api; removed old; started new" (the parts that are not empty), or
  // "nothing changed": for the log line and systemd's STATUS=.
  std::string describe() const;
};

ReloadPlan plan_reload(const Config& running, const Config& next);

}  // namespace sluice
