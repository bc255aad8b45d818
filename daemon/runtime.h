// Runtime: the whole running process for one configuration: the memory budget, the sinks and
// the pipelines. It owns their lifetimes and the shutdown sequence (stop sources, drain, flush,
// give up after shutdown_timeout) and prints the end-of-run summary.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/pipeline.h"
#include "daemon/sink_runner.h"
#include "daemon/wakeup.h"
#include "stages/memory_budget.h"

namespace sluice {

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> build(const Config& config);
  ~Runtime();

  // Opens sinks and starts every thread. An error (a sink that cannot be opened) is one line.
  Status start();
  // Asks every source to stop; pipelines drain.
  void request_stop();
  // True when every pipeline has drained and every sink has written everything.
  bool finished() const;
  // Readable (for poll) when a thread has exited, so finished() may have become true.
  Wakeup& wakeup() { return *wakeup_; }
  // Waits for the drain; after `timeout`, aborts what is left. False when it had to abort.
  bool wait_drained(std::chrono::duration<double> timeout);

  // One line per pipeline: in, out, filtered, dead-lettered, dropped, events/s.
  std::string summary() const;
  bool any_source_failed() const;

  const std::vector<std::unique_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  const std::vector<std::unique_ptr<SinkRunner>>& sinks() const { return sinks_; }
  const MemoryBudget& budget() const { return *budget_; }
  const Config& config() const { return config_; }

 private:
  explicit Runtime(const Config& config);

  Config config_;
  std::unique_ptr<MemoryBudget> budget_;
  std::unique_ptr<Wakeup> wakeup_ = std::make_unique<Wakeup>();
  std::vector<std::unique_ptr<SinkRunner>> sinks_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace sluice
